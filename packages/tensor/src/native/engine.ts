// The native engine's types: what the native backend lends its kernels (the BLAS, oneDNN's
// convolutions, scratch arrays) and the shape of a native kernel. Types only, in a module of their
// own, so that the core contract (backend.ts) and the libraries' loaders import nothing of each other.
import type { FloatArray } from '../backend.ts';
import type { ConvGeometry } from '../ops/conv-geometry.ts';

/** oneDNN's convolution primitives on plain NCHW float32 arrays (native/dnnl.ts loads them). */
export interface Convolutions {
  readonly description: string;
  /** y = x ⋆ w (+ bias), then max(y, 0) when `relu`, all plain NCHW float32. */
  forward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvGeometry, relu?: boolean): void;
  /** dx = the input gradient of the convolution, given dy. */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): void;
  /** dw = the weight gradient, given x and dy. */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry): void;
}

/** What the native backend lends its kernels: the BLAS, oneDNN's convolutions, and scratch arrays. */
export interface NativeEngine {
  /** oneDNN convolutions (float32 only), or null where libdnnl is missing or in float64 mode. */
  readonly convolutions: Convolutions | null;
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number, beta: number, c: FloatArray, cOff: number, ldc: number): void;
  /**
   * At least `length` elements of the backend's float type, contents undefined, valid until the
   * kernel returns; `slot` tells apart the scratch arrays that one kernel uses at once.
   */
  scratch(length: number, slot?: number): FloatArray;
  /**
   * Called before a BLAS or oneDNN call of `flops` operations: sets how many threads the libraries
   * run it with (the plan's threads for a large call outside a data-parallel step, else 1).
   */
  parallel(flops: number): void;
  /** The content version of an array: it changes whenever the backend writes the array. */
  version(array: FloatArray): number;
  /** a⁻¹ of a row-major c×c float64 matrix by LAPACK (a overwritten), false if singular; null without LAPACK. */
  readonly inverse64: ((c: number, a: Float64Array, x: Float64Array) => boolean) | null;
}

/**
 * The native backend's implementation of one kernel, written for speed (BLAS calls, oneDNN, loops
 * without per-element index arithmetic). Same contract as the kernel's `cpu` loop, which the
 * backend runs for every kernel that has none.
 */
export type NativeKernel<P> = (inputs: readonly FloatArray[], outputs: readonly FloatArray[], params: P, engine: NativeEngine) => void;
