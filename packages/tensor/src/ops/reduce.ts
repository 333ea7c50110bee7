// Reductions over axes (sum, mean, max), and sumTo: the gradient of broadcasting.
import { WORKGROUP_1D, bindings, grid1dCounts, gridIndex, uniformDeclaration, uniformWord, type Kernel } from '../backend.ts';
import { decode, decodeWgsl } from '../indexing.ts';
import { reduceInto } from '../native/loops.ts';
import { describeShape, normalizeAxes, shapesEqual, stridesOf } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { div, equal, mul } from './elementwise.ts';
import { broadcastTo, reshape } from './movement.ts';

type ReduceOp = 'sum' | 'max';

interface ReduceParams {
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

const reduceKernel: Kernel<ReduceParams> = {
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
  native: ([x], [out], p) => {
    // Off the GPU a reduction is never chunked; the merged dimensions in memory order are the
    // kept and reduced ones sorted by stride.
    const parts = [...p.keptDims.map((d, i) => ({ d, stride: p.keptStrides[i], reduced: false })), ...p.redDims.map((d, i) => ({ d, stride: p.redStrides[i], reduced: true }))];
    parts.sort((a, b) => b.stride - a.stride);
    if (parts.length === 0) parts.push({ d: 1, stride: 1, reduced: true });
    reduceInto(p.op, x, parts.map((q) => q.d), parts.map((q) => q.reduced), out);
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
      workgroups: [0, 0, 0],
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

function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Runs the reduction (in two passes when chunked), without autodiff. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[], outShape: readonly number[]): Tensor {
  const p = planReduce(op, x.shape, axes, x.backend.traits !== null);
  if (p.reduced === 0) throw new Error(`${op}: cannot reduce over an empty axis of ${describeShape(x.shape)}`);
  if (p.chunks === 1) return apply(op, [x], outShape, reduceKernel, p);
  const partial = apply(op, [x], [p.outputs, p.chunks], reduceKernel, p);
  const result = reduceRaw(op, partial, [1], outShape);
  partial.dispose();
  return result;
}

export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('sum', axes, x.rank);
  const outShape = reducedShape(x.shape, ax, keepDims);
  if (ax.length === 0) return reshape(x, outShape);
  const y = reduceRaw('sum', x, ax, outShape);
  return recordReduce('sum', x, y, (g) => broadcastTo(reshape(g, reducedShape(x.shape, ax, true)), x.shape));
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, ax, keepDims), count);
}

/** Maximum over axes; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('max', axes, x.rank);
  const outShape = reducedShape(x.shape, ax, keepDims);
  if (ax.length === 0) return reshape(x, outShape);
  const y = reduceRaw('max', x, ax, outShape);
  return recordReduce('max', x, y, (g, out) => {
    const kept = reducedShape(x.shape, ax, true);
    const mask = equal(x, reshape(out, kept));
    const count = reduceRaw('sum', mask, ax, kept);
    return mul(mask, div(reshape(g, kept), count));
  });
}

function recordReduce(op: string, x: Tensor, y: Tensor, rule: (g: Tensor, y: Tensor) => Tensor): Tensor {
  return record(op, y, [x], (g, out) => [rule(g, out)]);
}

// ---- broadcasting ---------------------------------------------------------------------------

/** Sums `g` over the dimensions along which `shape` was broadcast, giving a tensor of `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const offset = g.rank - shape.length;
  if (offset < 0) throw new Error(`sumTo: ${describeShape(g.shape)} has fewer dimensions than ${describeShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < offset || (shape[i - offset] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}
