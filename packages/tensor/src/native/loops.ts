// Loops of the native backend for ops that move or combine elements: strided copies, elementwise
// maps with broadcasting, and reductions. Each walks its operands row by row — the innermost
// dimension in a plain loop, the outer ones by counters — so no element pays for index division,
// as the reference loops do. Elementwise maps get one generated loop per op, so that the JIT sees
// a single scalar function at each call site and inlines it.
import type { FloatArray } from '../backend.ts';

/**
 * dst[dstOff + Σ i_d·dstStrides_d] = src[srcOff + Σ i_d·srcStrides_d] over all indices of `dims`
 * (dimensions already merged where both sides allow).
 */
export function stridedCopy(src: FloatArray, srcOff: number, srcStrides: readonly number[], dst: FloatArray, dstOff: number, dstStrides: readonly number[], dims: readonly number[]): void {
  const r = dims.length;
  const inner = dims[r - 1];
  const si = srcStrides[r - 1];
  const di = dstStrides[r - 1];
  let rows = 1;
  for (let d = 0; d < r - 1; d++) rows *= dims[d];
  const counter = new Int32Array(r);
  let s = srcOff;
  let t = dstOff;
  for (let row = 0; row < rows; row++) {
    if (si === 1 && di === 1) {
      if (inner > 64) dst.set(src.subarray(s, s + inner), t);
      else for (let j = 0; j < inner; j++) dst[t + j] = src[s + j];
    } else {
      for (let j = 0; j < inner; j++) dst[t + j * di] = src[s + j * si];
    }
    for (let d = r - 2; d >= 0; d--) {
      s += srcStrides[d];
      t += dstStrides[d];
      if (++counter[d] < dims[d]) break;
      counter[d] = 0;
      s -= srcStrides[d] * dims[d];
      t -= dstStrides[d] * dims[d];
    }
  }
}

type Consts = readonly number[];
/** An elementwise map over a contiguous output: operands `a` (and `b`) read with strides over `dims`. */
export type MapLoop = (inputs: readonly FloatArray[], out: FloatArray, dims: readonly number[], strides: readonly (readonly number[])[], direct: boolean, n: number, c: Consts) => void;

/**
 * A loop for one elementwise op, compiled from its own source text (new Function), so that the
 * call of `f` in it only ever sees that op's scalar function and is inlined. A loop shared by all
 * ops would call a different function at the same site for each op, which the JIT cannot inline.
 */
export function mapLoop(name: string, arity: 1 | 2, f: (...args: never[]) => number): MapLoop {
  const read = (k: number, index: string) => `${k === 0 ? 'a' : 'b'}[${index}]`;
  const args = (direct: boolean) =>
    Array.from({ length: arity }, (_, k) => (direct ? read(k, 'i') : read(k, `p${k} + j * s${k}`)))
      .concat('c')
      .join(', ');
  const strided = Array.from({ length: arity }, (_, k) => `let p${k} = 0; const s${k} = strides[${k}][r - 1];`).join(' ');
  const advance = Array.from({ length: arity }, (_, k) => `p${k} += strides[${k}][d];`).join(' ');
  const rewind = Array.from({ length: arity }, (_, k) => `p${k} -= strides[${k}][d] * dims[d];`).join(' ');
  const source = `
    // elementwise ${name.replace(/[^\w]/g, '_')}
    return function (inputs, out, dims, strides, direct, n, c) {
      const a = inputs[0]; const b = inputs[1];
      if (direct) { for (let i = 0; i < n; i++) out[i] = f(${args(true)}); return; }
      const r = dims.length; const inner = dims[r - 1];
      ${strided}
      const counter = new Int32Array(r);
      for (let o = 0; o < n; o += inner) {
        for (let j = 0; j < inner; j++) out[o + j] = f(${args(false)});
        for (let d = r - 2; d >= 0; d--) {
          ${advance}
          if (++counter[d] < dims[d]) break;
          counter[d] = 0;
          ${rewind}
        }
      }
    };`;
  return new Function('f', source)(f) as MapLoop;
}

let accumulator = new Float64Array(0);

/**
 * Sums (or maxes) a contiguous `x` into `out`: `dims` are x's dimensions in memory order (merged,
 * alternating kinds), `reduced` says which are summed over. It walks x in memory order and
 * accumulates in float64: the inner row adds into one output when it is reduced, or into a row of
 * outputs when it is kept.
 */
export function reduceInto(op: 'sum' | 'max', x: FloatArray, dims: readonly number[], reduced: readonly boolean[], out: FloatArray): void {
  const r = dims.length;
  const xStrides = new Array<number>(r);
  const oStrides = new Array<number>(r);
  let xs = 1;
  let os = 1;
  for (let d = r - 1; d >= 0; d--) {
    xStrides[d] = xs;
    xs *= dims[d];
    oStrides[d] = reduced[d] ? 0 : os;
    if (!reduced[d]) os *= dims[d];
  }
  const outputs = out.length;
  if (accumulator.length < outputs) accumulator = new Float64Array(outputs);
  const acc = accumulator;
  acc.fill(op === 'sum' ? 0 : -Infinity, 0, outputs);
  const inner = dims[r - 1];
  const innerReduced = reduced[r - 1];
  const counter = new Int32Array(r);
  const total = x.length;
  let o = 0;
  for (let p = 0; p < total; p += inner) {
    if (op === 'sum') {
      if (innerReduced) {
        let s = 0;
        for (let j = 0; j < inner; j++) s += x[p + j];
        acc[o] += s;
      } else for (let j = 0; j < inner; j++) acc[o + j] += x[p + j];
    } else if (innerReduced) {
      let m = acc[o];
      for (let j = 0; j < inner; j++) {
        const v = x[p + j];
        if (v > m || v !== v) m = v;
      }
      acc[o] = m;
    } else {
      for (let j = 0; j < inner; j++) {
        const v = x[p + j];
        if (v > acc[o + j] || v !== v) acc[o + j] = v;
      }
    }
    for (let d = r - 2; d >= 0; d--) {
      o += oStrides[d];
      if (++counter[d] < dims[d]) break;
      counter[d] = 0;
      o -= oStrides[d] * dims[d];
    }
  }
  for (let i = 0; i < outputs; i++) out[i] = acc[i];
}
