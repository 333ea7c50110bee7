// The reduction kernel (sum or max over axes) and the raw, non-recording reductions built on it.
// Backward rules of other ops (elementwise, movement, matmul, …) reduce gradients with sumToRaw,
// which records nothing (backward runs without autodiff), so those modules need not import the
// differentiable reductions in reduce.ts, which themselves use elementwise and movement ops.
import { WORKGROUP_1D, bindings, grid1dCounts, gridIndex, uniformDeclaration, uniformWord, type Kernel } from '../backend.ts';
import { decode, decodeWgsl } from '../indexing.ts';
import { describeShape, shapesEqual, stridesOf } from '../shape.ts';
import { Tensor, apply } from '../tensor.ts';

export type ReduceOp = 'sum' | 'max';

export interface ReduceParams {
  op: ReduceOp;
  /** Kept dimensions of the input (merged), with their strides in the input. */
  keptDims: number[];
  keptStrides: number[];
  /** Reduced dimensions of the input (merged), with their strides. */
  redDims: number[];
  redStrides: number[];
  outputs: number;
  reduced: number;
  /** Each output's reduction is split into `chunks` partial results of `chunkSize` elements. */
  chunks: number;
  chunkSize: number;
}

function planReduce(op: ReduceOp, shape: readonly number[], axes: readonly number[], gpu: boolean): ReduceParams {
  const strides = stridesOf(shape);
  const keptDims: number[] = [];
  const keptStrides: number[] = [];
  const redDims: number[] = [];
  const redStrides: number[] = [];
  let lastKind: 'kept' | 'red' | null = null;
  shape.forEach((d, i) => {
    if (d === 1) return;
    const kind = axes.includes(i) ? 'red' : 'kept';
    const dims = kind === 'red' ? redDims : keptDims;
    const ss = kind === 'red' ? redStrides : keptStrides;
    if (kind === lastKind) {
      dims[dims.length - 1] *= d;
      ss[ss.length - 1] = strides[i];
    } else {
      dims.push(d);
      ss.push(strides[i]);
    }
    lastKind = kind;
  });
  const outputs = keptDims.reduce((a, b) => a * b, 1);
  const reduced = redDims.reduce((a, b) => a * b, 1);
  // On a GPU, few outputs over long reductions would leave most lanes idle: split them in chunks.
  let chunks = 1;
  if (gpu && outputs < 4096 && reduced > 128) chunks = Math.min(Math.ceil(reduced / 64), Math.max(1, Math.floor(8192 / outputs)));
  const chunkSize = Math.ceil(reduced / chunks);
  chunks = Math.ceil(reduced / chunkSize);
  return { op, keptDims, keptStrides, redDims, redStrides, outputs, reduced, chunks, chunkSize };
}

export const reduceKernel: Kernel<ReduceParams> = {
  name: 'reduce',
  // Shape-generic: sizes and strides are uniform words (see uniformsOf).
  key: (p) => `${p.op}|${p.keptDims.length}|${p.redDims.length}`,
  uniforms: (p) => [p.outputs, p.reduced, p.chunks, p.chunkSize, ...p.keptDims, ...p.keptStrides, ...p.redDims, ...p.redStrides],
  workgroups: (p, traits) => grid1dCounts(p.outputs * p.chunks, traits),
  cpu: ([x], [out], p) => {
    for (let o = 0; o < p.outputs; o++) {
      const base = decode(o, p.keptDims, p.keptStrides);
      for (let c = 0; c < p.chunks; c++) {
        const end = Math.min(p.reduced, (c + 1) * p.chunkSize);
        let acc = p.op === 'sum' ? 0 : -Infinity;
        for (let r = c * p.chunkSize; r < end; r++) {
          const v = x[base + decode(r, p.redDims, p.redStrides)];
          acc = p.op === 'sum' ? acc + v : v > acc || Number.isNaN(v) ? v : acc;
        }
        out[o * p.chunks + c] = acc;
      }
    }
  },
  wgsl: (p, traits) => {
    const k = p.keptDims.length;
    const r = p.redDims.length;
    const word = (i: number) => uniformWord(i);
    const keptDims = Array.from({ length: k }, (_, d) => word(4 + d));
    const keptStrides = Array.from({ length: k }, (_, d) => word(4 + k + d));
    const redDims = Array.from({ length: r }, (_, d) => word(4 + 2 * k + d));
    const redStrides = Array.from({ length: r }, (_, d) => word(4 + 2 * k + r + d));
    const combine = p.op === 'sum' ? 'acc + v' : 'select(max(acc, v), v, v != v)';
    return {
      code: `${bindings(['x'], ['out'])}
${uniformDeclaration(2, 4 + 2 * k + 2 * r)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let id = ${gridIndex(traits)};
  let chunks = ${word(2)};
  let chunkSize = ${word(3)};
  if (id >= ${word(0)} * chunks) { return; }
  let o = id / chunks;
  let chunk = id % chunks;
  ${decodeWgsl('o', keptDims, keptStrides, 'base')}
  let end = min(${word(1)}, (chunk + 1u) * chunkSize);
  let first = chunk * chunkSize;
  ${decodeWgsl('first', redDims, redStrides, 'firstOffset')}
  var acc = ${p.op === 'sum' ? '0.0' : 'x[base + firstOffset]'};
  for (var r = first; r < end; r++) {
    ${decodeWgsl('r', redDims, redStrides, 'offset')}
    let v = x[base + offset];
    acc = ${combine};
  }
  out[id] = acc;
}`,
    };
  },
};

export /** Runs the reduction (in two passes when chunked), without autodiff. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[], outShape: readonly number[]): Tensor {
  const p = planReduce(op, x.shape, axes, x.backend.traits !== null);
  if (p.reduced === 0) throw new Error(`${op}: cannot reduce over an empty axis of ${describeShape(x.shape)}`);
  if (p.chunks === 1) return apply(op, [x], outShape, reduceKernel, p);
  const partial = apply(op, [x], [p.outputs, p.chunks], reduceKernel, p);
  const result = reduceRaw(op, partial, [1], outShape);
  partial.dispose();
  return result;
}

/** The axes along which `shape` was broadcast to `from` (leading extra axes, and 1s that grew). */
export function broadcastAxes(from: readonly number[], shape: readonly number[]): number[] {
  const offset = from.length - shape.length;
  if (offset < 0) throw new Error(`sumTo: ${describeShape(from)} has fewer dimensions than ${describeShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < offset || (shape[i - offset] === 1 && from[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** sumTo without autodiff, for backward rules: `g` summed over the axes along which `shape` was broadcast. */
export function sumToRaw(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const y = reduceRaw('sum', g, broadcastAxes(g.shape, shape), shape);
  return y;
}
