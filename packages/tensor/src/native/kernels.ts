// The native backend's own kernels, by kernel name: where a kernel is written for speed here (BLAS
// calls, oneDNN, loops without per-element index arithmetic), the native backend runs it instead of
// the kernel's reference `cpu` loop. Each op's forward, backward, cpu loop and WGSL stay together in
// ops/; this table only says how this engine computes some of those kernels faster. Every entry is
// tested against the TypeScript reference (packages/tensor/test, on `[native]` and in float64).
import type { Kernel } from '../backend.ts';
import { collapse, decode } from '../indexing.ts';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel } from '../ops/conv.ts';
import { scalarMap, type MapParams } from '../ops/elementwise.ts';
import { inverseKernel, pivotRow, swapRows } from '../ops/linalg.ts';
import { matmulKernel } from '../ops/matmul.ts';
import { padKernel, stridedKernel } from '../ops/movement.ts';
import { reduceKernel } from '../ops/reduce-kernel.ts';
import { sizeOf, stridesOf } from '../shape.ts';
import type { FloatArray } from '../backend.ts';
import { convForward, convInputGrad, convWeightGrad } from './conv.ts';
import type { NativeKernel } from './engine.ts';
import { mapLoop, reduceInto, stridedCopy } from './loops.ts';

const table = new Map<string, NativeKernel<never> | null>();

/** Registers `run` as the native implementation of `kernel` (typed by the kernel's params). */
function define<P>(kernel: Kernel<P>, run: NativeKernel<P>): void {
  if (table.has(kernel.name)) throw new Error(`native kernel '${kernel.name}' is defined twice`);
  table.set(kernel.name, run as NativeKernel<never>);
}

define(matmulKernel, ([a, b], [out], p, engine) => {
  const { M, N, K } = p;
  const batches = sizeOf(p.batchShape);
  for (let z = 0; z < batches; z++) {
    const aOff = decode(z, p.batchShape, p.aBatchStrides);
    const bOff = decode(z, p.batchShape, p.bBatchStrides);
    engine.gemm(p.transA, p.transB, M, N, K, 1, a, aOff, p.transA ? M : K, b, bOff, p.transB ? K : N, 0, out, z * M * N, N);
  }
});

define(conv2dKernel, (inputs, [y], { g, bias, relu }, engine) => convForward(inputs[0], inputs[1], bias ? inputs[2] : null, y, g, relu, engine));
define(conv2dInputGradKernel, (inputs, [dx], { g, bias }, engine) => convInputGrad(inputs[0], inputs[1], bias ? inputs[2] : null, dx, g, engine));
define(conv2dWeightGradKernel, ([x, dy], [dw], { g }, engine) => convWeightGrad(x, dy, dw, g, engine));

define(reduceKernel, ([x], [out], p) => {
  // Off the GPU a reduction is never chunked; the merged dimensions in memory order are the
  // kept and reduced ones sorted by stride.
  const parts = [...p.keptDims.map((d, i) => ({ d, stride: p.keptStrides[i], reduced: false })), ...p.redDims.map((d, i) => ({ d, stride: p.redStrides[i], reduced: true }))];
  parts.sort((a, b) => b.stride - a.stride);
  if (parts.length === 0) parts.push({ d: 1, stride: 1, reduced: true });
  reduceInto(p.op, x, parts.map((q) => q.d), parts.map((q) => q.reduced), out);
});

define(stridedKernel, ([x], [out], p) => stridedCopy(x, p.offset, p.strides, out, 0, stridesOf(p.dims), p.dims));

define(padKernel, ([x], [out], p) => {
  out.fill(p.value);
  const outStrides = stridesOf(p.outShape);
  const offset = p.before.reduce((o, b, d) => o + b * outStrides[d], 0);
  const { dims, strides } = collapse(p.xShape, [stridesOf(p.xShape), outStrides]);
  stridedCopy(x, 0, strides[0], out, offset, strides[1], dims);
});

define(inverseKernel, ([a], [x, w], { batches, c }) => invert(a, x, w, batches, c));

/**
 * The native implementation of the kernel named `name`, or null where the backend runs the
 * kernel's reference loop. Elementwise kernels get a loop compiled for their scalar function at
 * first use (loops.ts: mapLoop).
 */
export function nativeKernel(name: string): NativeKernel<unknown> | null {
  let run = table.get(name);
  if (run === undefined) {
    const map = scalarMap(name);
    run = map ? (elementwise(name, map.arity, map.scalar) as NativeKernel<never>) : null;
    table.set(name, run);
  }
  return run as NativeKernel<unknown> | null;
}

function elementwise(name: string, arity: 1 | 2 | 3, scalar: (...args: never[]) => number): NativeKernel<MapParams> {
  const loop = mapLoop(name, arity, scalar);
  return (inputs, [out], p) => loop(inputs, out, p.dims, p.strides, p.direct, p.n, p.c);
}

let gaussJordan = new Float64Array(0);

/**
 * Gauss–Jordan with the reference loop's pivoting, on a float64 copy (no float32 rounding at each
 * store) and without the columns of W left of the pivot, which are already zero: 1.5c³
 * multiply-adds instead of 2c³. Glow's 64×64 inverse per flow step at level 3 is in every decode.
 */
function invert(a: FloatArray, x: FloatArray, reduced: FloatArray, batches: number, c: number): void {
  const cc = c * c;
  if (gaussJordan.length < 2 * cc) gaussJordan = new Float64Array(2 * cc);
  const w = gaussJordan.subarray(0, cc);
  const v = gaussJordan.subarray(cc, 2 * cc);
  for (let z = 0; z < batches; z++) {
    const o = z * cc;
    for (let i = 0; i < cc; i++) w[i] = a[o + i];
    v.fill(0);
    for (let i = 0; i < c; i++) v[i * c + i] = 1;
    for (let k = 0; k < c; k++) {
      const best = pivotRow(w, 0, c, k);
      if (best !== k) {
        swapRows(w, 0, c, k, best);
        swapRows(v, 0, c, k, best);
      }
      const rk = k * c;
      const scale = 1 / w[rk + k];
      for (let j = k; j < c; j++) w[rk + j] *= scale;
      for (let j = 0; j < c; j++) v[rk + j] *= scale;
      for (let i = 0; i < c; i++) {
        const ri = i * c;
        const f = w[ri + k];
        if (i === k || f === 0) continue;
        for (let j = k; j < c; j++) w[ri + j] -= f * w[rk + j];
        for (let j = 0; j < c; j++) v[ri + j] -= f * v[rk + j];
      }
    }
    for (let i = 0; i < cc; i++) x[o + i] = v[i];
    // The scratch output holds what the reference leaves there, A reduced to I (checked mode reads it).
    for (let i = 0; i < cc; i++) reduced[o + i] = i % (c + 1) === 0 ? 1 : 0;
  }
}
