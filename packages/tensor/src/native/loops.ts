// Loops of the native backend for ops that move or combine elements: strided copies, elementwise
// maps with broadcasting, and reductions. Each walks its operands row by row — the innermost
// dimension in a plain loop, the outer ones by counters — so no element pays for index division,
// as the reference loops do. Elementwise maps get one generated loop per op, so that the JIT sees
// a single scalar function at each call site and inlines it.
import type { FloatArray } from '../backend.ts';

/**
 * dst[dstOff + Σ i_d·dstStrides_d] = src[srcOff + Σ i_d·srcStrides_d] over all indices of `dims`
 * (dimensions already merged where both sides allow). The two innermost dimensions run as plain
 * nested loops, the longer one innermost, and only the outer ones pay for counters: Glow's
 * depth-to-space has an innermost dimension of 2, which row-by-row counters made ~5× slower.
 */
export function stridedCopy(src: FloatArray, srcOff: number, srcStrides: readonly number[], dst: FloatArray, dstOff: number, dstStrides: readonly number[], dims: readonly number[]): void {
  const r = dims.length;
  // The loop order of a copy is free: the longer of the two innermost dimensions goes innermost.
  const swap = r >= 2 && dims[r - 2] > dims[r - 1];
  const a = swap ? r - 2 : r - 1;
  const b = swap ? r - 1 : r - 2;
  const inner = dims[a];
  const si = srcStrides[a];
  const di = dstStrides[a];
  const mid = r >= 2 ? dims[b] : 1;
  const sm = r >= 2 ? srcStrides[b] : 0;
  const dm = r >= 2 ? dstStrides[b] : 0;
  const outer = Math.max(0, r - 2);
  let tiles = 1;
  for (let d = 0; d < outer; d++) tiles *= dims[d];
  const counter = new Int32Array(Math.max(1, outer));
  let s = srcOff;
  let t = dstOff;
  for (let tile = 0; tile < tiles; tile++) {
    for (let m = 0; m < mid; m++) {
      const s0 = s + m * sm;
      const t0 = t + m * dm;
      if (si === 1 && di === 1) {
        if (inner > 64) dst.set(src.subarray(s0, s0 + inner), t0);
        else for (let j = 0; j < inner; j++) dst[t0 + j] = src[s0 + j];
      } else {
        for (let j = 0; j < inner; j++) dst[t0 + j * di] = src[s0 + j * si];
      }
    }
    for (let d = outer - 1; d >= 0; d--) {
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
 *
 * Broadcast operands mostly move along the inner row with stride 1 or 0 (ActNorm's per-channel
 * scale and bias over [N, C, H·W], a [1, …] operand against a batch): each such pattern gets its
 * own copy of the row loop, with a stride-0 operand read once per row, which measured 2–3.5× faster
 * than the general inner loop (p + j·s) on 256 Ki elements. Other strides take the general loop.
 */
export function mapLoop(name: string, arity: 1 | 2 | 3, f: (...args: never[]) => number): MapLoop {
  const operands = Array.from({ length: arity }, (_, k) => k);
  // (c is the constants.)
  const array = (k: number) => ['a', 'b', 'e'][k];
  const direct = `f(${operands.map((k) => `${array(k)}[i]`).concat('c').join(', ')})`;
  // Inner stride of operand k: 1 (unit), 0 (one value per row) or any (general).
  type Inner = 'unit' | 'zero' | 'any';
  const rowLoop = (inner: readonly Inner[]) => {
    const hoisted = operands.filter((k) => inner[k] === 'zero').map((k) => `const v${k} = ${array(k)}[p${k}];`);
    const read = (k: number) => (inner[k] === 'unit' ? `${array(k)}[p${k} + j]` : inner[k] === 'zero' ? `v${k}` : `${array(k)}[p${k} + j * s${k}]`);
    const args = operands.map(read).concat('c').join(', ');
    return `for (let o = 0; o < n; o += inner) {
        ${hoisted.join(' ')}
        for (let j = 0; j < inner; j++) out[o + j] = f(${args});
        for (let d = r - 2; d >= 0; d--) {
          ${operands.map((k) => `p${k} += strides[${k}][d];`).join(' ')}
          if (++counter[d] < dims[d]) break;
          counter[d] = 0;
          ${operands.map((k) => `p${k} -= strides[${k}][d] * dims[d];`).join(' ')}
        }
      }`;
  };
  // Every mix of unit and zero inner strides but all zero (an output row is never all broadcast).
  const patterns: Inner[][] = [];
  for (let mask = 0; mask < 2 ** arity - 1; mask++) patterns.push(operands.map((k) => ((mask >> k) & 1 ? 'zero' : 'unit')));
  const test = (pattern: readonly Inner[]) => pattern.map((kind, k) => `s${k} === ${kind === 'unit' ? 1 : 0}`).join(' && ');
  const specialised = patterns.map((pattern) => `if (${test(pattern)}) { ${rowLoop(pattern)} return; }`).join('\n      ');
  const source = `
    // elementwise ${name.replace(/[^\w]/g, '_')}
    return function (inputs, out, dims, strides, direct, n, c) {
      const a = inputs[0]; const b = inputs[1]; const e = inputs[2];
      if (direct) { for (let i = 0; i < n; i++) out[i] = ${direct}; return; }
      const r = dims.length; const inner = dims[r - 1];
      ${operands.map((k) => `let p${k} = 0; const s${k} = strides[${k}][r - 1];`).join(' ')}
      const counter = new Int32Array(r);
      ${specialised}
      ${rowLoop(operands.map(() => 'any'))}
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
