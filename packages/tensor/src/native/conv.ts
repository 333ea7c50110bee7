// The native engine's convolutions: oneDNN's primitives where the library loaded, else the
// reference loop's columns (im2col) multiplied by the BLAS. Images go in groups whose columns sit
// side by side, cols[k, (n − n0)·P + p], so that each layer is a few large GEMMs rather than one
// small GEMM per image (3× faster for the encoder's layers):
//   forward       Y'[co, n·P] = W·cols, then scattered to Y[n, co, P]
//   input grad    cols = Wᵀ·dY' (dY' gathered from dY[n, co, P]), then col2im per image
//   weight grad   dW += dY'·colsᵀ
// A 1×1 convolution with stride 1 and no padding needs no im2col: its columns are the channels.
import type { FloatArray } from '../backend.ts';
import { col2imAdd, im2col, reluInPlace, type ConvGeometry } from '../ops/conv-geometry.ts';
import type { NativeEngine } from './engine.ts';

/** y = x ⋆ w (+ bias), then max(y, 0) when `relu`. */
export function convForward(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry, relu: boolean, engine: NativeEngine): void {
  const dnnl = engine.convolutions;
  if (dnnl) dnnl.forward(x as Float32Array, w as Float32Array, bias as Float32Array | null, y as Float32Array, g, relu);
  else {
    convForwardBlas(x, w, bias, y, g, engine);
    if (relu) reluInPlace(y);
  }
}

/** The input gradient dx of the convolution given dy (+ bias per input channel: convTranspose2d's forward). */
export function convInputGrad(dy: FloatArray, w: FloatArray, bias: FloatArray | null, dx: FloatArray, g: ConvGeometry, engine: NativeEngine): void {
  const dnnl = engine.convolutions;
  if (!dnnl) return convInputGradBlas(dy, w, bias, dx, g, engine);
  dnnl.backwardData(dy as Float32Array, w as Float32Array, dx as Float32Array, g);
  if (bias) addChannels(dx, g.n, g.ci, g.h * g.w, bias);
}

/** The weight gradient dw given x and dy. */
export function convWeightGrad(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry, engine: NativeEngine): void {
  if (engine.convolutions) engine.convolutions.backwardWeights(x as Float32Array, dy as Float32Array, dw as Float32Array, g);
  else convWeightGradBlas(x, dy, dw, g, engine);
}

/** Columns of one group stay within this many elements (16 MiB of float32). */
const GROUP_ELEMENTS = 1 << 22;

const isPointwise = (g: ConvGeometry) => g.kh === 1 && g.kw === 1 && g.stride === 1 && g.pad === 0;

/** Images per group for `rows` rows of columns over `pixels` each. */
const groupSize = (g: ConvGeometry, rows: number, pixels: number) => Math.max(1, Math.min(g.n, Math.floor(GROUP_ELEMENTS / Math.max(1, rows * pixels))));

/** to[c, (n − n0)·P + p] = from[n, c, p] for count images of C channels (with `ld` = count·P). */
function gatherChannels(from: FloatArray, n0: number, count: number, C: number, P: number, to: FloatArray): void {
  const ld = count * P;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < C; c++) {
      const src = ((n0 + i) * C + c) * P;
      to.set(from.subarray(src, src + P), c * ld + i * P);
    }
  }
}

/** to[n, c, p] = from[c, (n − n0)·P + p] (+ bias[c]): the inverse of gatherChannels. */
function scatterChannels(from: FloatArray, n0: number, count: number, C: number, P: number, to: FloatArray, bias: FloatArray | null): void {
  const ld = count * P;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < C; c++) {
      const dst = ((n0 + i) * C + c) * P;
      const src = c * ld + i * P;
      if (!bias) to.set(from.subarray(src, src + P), dst);
      else {
        const b = bias[c];
        for (let p = 0; p < P; p++) to[dst + p] = from[src + p] + b;
      }
    }
  }
}

function columnsOf(x: FloatArray, n0: number, count: number, g: ConvGeometry, cols: FloatArray): void {
  if (isPointwise(g)) gatherChannels(x, n0, count, g.ci, g.h * g.w, cols);
  else for (let i = 0; i < count; i++) im2col(x, n0 + i, g, cols, i * g.ho * g.wo, count * g.ho * g.wo);
}

function convForwardBlas(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry, e: NativeEngine): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const group = groupSize(g, K, P);
  for (let n0 = 0; n0 < g.n; n0 += group) {
    const count = Math.min(group, g.n - n0);
    const cols = e.scratch(K * count * P, 0);
    const out = e.scratch(g.co * count * P, 1);
    columnsOf(x, n0, count, g, cols);
    e.gemm(false, false, g.co, count * P, K, 1, w, 0, K, cols, 0, count * P, 0, out, 0, count * P);
    scatterChannels(out, n0, count, g.co, P, y, bias);
  }
}

// The batch in groups of images (groupSize), as both gradients take it: for each group, dy of its
// images gathered channel-major into scratch slot 0 ([co, count·P]) and scratch slot 1 sized for
// their columns ([K, count·P]).
function eachGradientGroup(dy: FloatArray, g: ConvGeometry, e: NativeEngine, body: (n0: number, count: number, grads: FloatArray, cols: FloatArray) => void): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const group = groupSize(g, K + g.co, P);
  for (let n0 = 0; n0 < g.n; n0 += group) {
    const count = Math.min(group, g.n - n0);
    const grads = e.scratch(g.co * count * P, 0);
    const cols = e.scratch(K * count * P, 1);
    gatherChannels(dy, n0, count, g.co, P, grads);
    body(n0, count, grads, cols);
  }
}

function convInputGradBlas(dy: FloatArray, w: FloatArray, bias: FloatArray | null, dx: FloatArray, g: ConvGeometry, e: NativeEngine): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const HW = g.h * g.w;
  const pointwise = isPointwise(g);
  eachGradientGroup(dy, g, e, (n0, count, grads, cols) => {
    e.gemm(true, false, K, count * P, g.co, 1, w, 0, K, grads, 0, count * P, 0, cols, 0, count * P);
    if (pointwise) {
      scatterChannels(cols, n0, count, g.ci, P, dx, bias);
      return;
    }
    for (let i = 0; i < count; i++) {
      const plane = dx.subarray((n0 + i) * g.ci * HW, (n0 + i + 1) * g.ci * HW);
      if (bias) fillChannels(plane, g.ci, HW, bias);
      else plane.fill(0);
      col2imAdd(cols, g, plane, i * P, count * P);
    }
  });
}

function addChannels(t: FloatArray, n: number, channels: number, pixels: number, bias: FloatArray): void {
  for (let i = 0; i < n * channels; i++) {
    const b = bias[i % channels];
    for (let p = i * pixels; p < (i + 1) * pixels; p++) t[p] += b;
  }
}

function fillChannels(plane: FloatArray, channels: number, pixels: number, bias: FloatArray): void {
  for (let c = 0; c < channels; c++) plane.fill(bias[c], c * pixels, (c + 1) * pixels);
}

function convWeightGradBlas(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry, e: NativeEngine): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  eachGradientGroup(dy, g, e, (n0, count, grads, cols) => {
    columnsOf(x, n0, count, g, cols);
    e.gemm(false, true, g.co, K, count * P, 1, grads, 0, count * P, cols, 0, count * P, n0 === 0 ? 0 : 1, dw, 0, K);
  });
}
