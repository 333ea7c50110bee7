// The native backend's own kernels, by kernel name: where a kernel is written for speed here (BLAS
// calls, oneDNN, loops without per-element index arithmetic), the native backend runs it instead of
// the kernel's reference `cpu` loop. Each op's forward, backward, cpu loop and WGSL stay together in
// ops/; this table only says how this engine computes some of those kernels faster. Every entry is
// tested by the conformance suite on `[native]` (packages/tensor/test, against the float64 loops of
// testing/reference.ts) and in float64 mode against the TypeScript reference (native.test.ts).
import type { Kernel } from '../backend.ts';
import { collapse, decode } from '../indexing.ts';
import { conv2dInputGradKernel, conv2dKernel, conv2dWeightGradKernel } from '../ops/conv.ts';
import type { ConvGeometry } from '../ops/conv-geometry.ts';
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
  engine.parallel(2 * M * N * K * batches);
  for (let z = 0; z < batches; z++) {
    const aOff = decode(z, p.batchShape, p.aBatchStrides);
    const bOff = decode(z, p.batchShape, p.bBatchStrides);
    engine.gemm(p.transA, p.transB, M, N, K, 1, a, aOff, p.transA ? M : K, b, bOff, p.transB ? K : N, 0, out, z * M * N, N);
  }
});

const convFlops = (g: ConvGeometry) => 2 * g.n * g.co * g.ho * g.wo * g.ci * g.kh * g.kw;
define(conv2dKernel, (inputs, [y], { g, bias, relu }, engine) => (engine.parallel(convFlops(g)), convForward(inputs[0], inputs[1], bias ? inputs[2] : null, y, g, relu, engine)));
define(conv2dInputGradKernel, (inputs, [dx], { g, bias }, engine) => (engine.parallel(convFlops(g)), convInputGrad(inputs[0], inputs[1], bias ? inputs[2] : null, dx, g, engine)));
define(conv2dWeightGradKernel, ([x, dy], [dw], { g }, engine) => (engine.parallel(convFlops(g)), convWeightGrad(x, dy, dw, g, engine)));

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

// Glow's 1×1 convolutions invert the same weights at every decode until training changes them,
// but each decode rebuilds W = P·L·U into a fresh array: the inverse is kept by the *contents* it
// came from (a hash, then an exact comparison), so that changed weights always miss, however they
// were written. c² comparisons against 1.5c³ multiply-adds: ~1% of a 64×64 inverse.
define(inverseKernel, ([a], [x, w], { batches, c }, engine) => {
  const cacheable = a instanceof Float32Array && a.length <= KEPT_ELEMENTS;
  const kept = cacheable ? keptInverse(a, c) : null;
  if (kept) x.set(kept);
  else {
    invert(a, x, batches, c, engine.inverse64);
    if (cacheable) keepInverse(a, c, x as Float32Array);
  }
  // The scratch output holds what the reference leaves there, A reduced to I (checked mode reads it).
  const cc = c * c;
  for (let i = 0; i < w.length; i++) w[i] = (i % cc) % (c + 1) === 0 ? 1 : 0;
});

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
 * Each matrix's inverse in float64 (no float32 rounding at each store): LAPACK's dgesv where the
 * BLAS bundles it (blocked LU, ~10× the JS loop at 64×64, the size of Glow's deepest 1×1
 * convolution), else — and for a singular matrix, whose Infs and NaNs the reference gives — a
 * Gauss–Jordan with the reference loop's pivoting, without the columns of W left of the pivot,
 * which are already zero: 1.5c³ multiply-adds instead of 2c³. Exported for its test: with LAPACK
 * present the loop runs only for singular matrices.
 */
export function invert(a: FloatArray, x: FloatArray, batches: number, c: number, lapack: ((c: number, a: Float64Array, x: Float64Array) => boolean) | null): void {
  const cc = c * c;
  if (gaussJordan.length < 2 * cc) gaussJordan = new Float64Array(2 * cc);
  const w = gaussJordan.subarray(0, cc);
  const v = gaussJordan.subarray(cc, 2 * cc);
  for (let z = 0; z < batches; z++) {
    const o = z * cc;
    if (lapack) {
      for (let i = 0; i < cc; i++) w[i] = a[o + i];
      if (lapack(c, w, v)) {
        for (let i = 0; i < cc; i++) x[o + i] = v[i];
        continue;
      }
    }
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
  }
}

/** Inverses by the hash of the matrices they invert, oldest first: at most 64 of at most 64 Ki elements (≤ 32 MiB; 2 MiB for Glow's). */
const inverses = new Map<number, { from: Float32Array; c: number; inverse: Float32Array }>();
const KEPT_INVERSES = 64;
const KEPT_ELEMENTS = 1 << 16;

/** FNV-1a over the float bits and the matrix size. */
function contentHash(a: Float32Array, c: number): number {
  const bits = new Int32Array(a.buffer, a.byteOffset, a.length);
  let h = Math.imul(0x811c9dc5 ^ c, 0x01000193) ^ a.length;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
  return h;
}

function keptInverse(a: Float32Array, c: number): Float32Array | null {
  const kept = inverses.get(contentHash(a, c));
  if (!kept || kept.c !== c || kept.from.length !== a.length) return null;
  for (let i = 0; i < a.length; i++) if (!Object.is(kept.from[i], a[i])) return null;
  return kept.inverse;
}

function keepInverse(a: Float32Array, c: number, inverse: Float32Array): void {
  const hash = contentHash(a, c);
  inverses.delete(hash);
  if (inverses.size >= KEPT_INVERSES) inverses.delete(inverses.keys().next().value!);
  inverses.set(hash, { from: Float32Array.from(a), c, inverse: Float32Array.from(inverse) });
}
