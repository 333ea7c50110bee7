// The geometry of a 2-D convolution (NCHW, weights [Co, Ci, KH, KW]) and its receptive-field
// columns (im2col) with their adjoint. A module of its own because three places read it: the conv
// ops (which check it and write the cpu and WGSL kernels), the native engine's BLAS path, and
// oneDNN's primitives, which are created per geometry.
import { describeShape } from '../shape.ts';
import type { FloatArray } from '../backend.ts';

export interface ConvGeometry {
  n: number;
  ci: number;
  h: number;
  w: number;
  co: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
}

/** The geometry of a convolution of x [N, Ci, H, W] by w [Co, Ci, KH, KW], or an error naming `op` and the shapes. */
export function convGeometry(op: string, x: readonly number[], w: readonly number[], stride: number, pad: number): ConvGeometry {
  if (x.length !== 4 || w.length !== 4) throw new Error(`${op}: expected input [N, C, H, W] and weight [Co, Ci, KH, KW], got ${describeShape(x)} and ${describeShape(w)}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`${op}: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`${op}: padding must be a non-negative integer, got ${pad}`);
  const [n, ci, h, wd] = x;
  const [co, wci, kh, kw] = w;
  if (wci !== ci) throw new Error(`${op}: input has ${ci} channels but weight ${describeShape(w)} expects ${wci}`);
  const ho = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const wo = Math.floor((wd + 2 * pad - kw) / stride) + 1;
  if (ho < 1 || wo < 1) throw new Error(`${op}: kernel ${kh}×${kw} does not fit input ${h}×${wd} with padding ${pad}`);
  return { n, ci, h, w: wd, co, kh, kw, stride, pad, ho, wo };
}

/** cols[k·P + p] = x[n, ci, oh·s − pad + dh, ow·s − pad + dw] (0 outside), k = (ci, dh, dw), p = (oh, ow). */
export function im2col(x: FloatArray, n: number, g: ConvGeometry, cols: FloatArray, column = 0, ld = g.ho * g.wo): void {
  const P = g.ho * g.wo;
  for (let k = 0; k < g.ci * g.kh * g.kw; k++) cols.fill(0, k * ld + column, k * ld + column + P);
  taps(cols, x, n * g.ci * g.h * g.w, g, column, ld, true);
}

/** dx[n, ci, ih, iw] += cols[k·P + p] for every tap that reads that pixel (the adjoint of im2col). */
export function col2imAdd(cols: FloatArray, g: ConvGeometry, plane: FloatArray, column = 0, ld = g.ho * g.wo): void {
  taps(cols, plane, 0, g, column, ld, false);
}

// Every (tap, output pixel) whose input pixel lies inside the image, row by row: `gather` copies the
// image's pixel (from `plane` at `planeOffset`) into its column (im2col), else the column's value is
// added to the pixel (col2im). The branch is taken once per output row, outside the innermost loop.
function taps(cols: FloatArray, plane: FloatArray, planeOffset: number, g: ConvGeometry, column: number, ld: number, gather: boolean): void {
  const { ci: cin, h, w: width, kh, kw, stride, pad, ho, wo } = g;
  for (let ci = 0; ci < cin; ci++) {
    const xBase = planeOffset + ci * h * width;
    for (let dh = 0; dh < kh; dh++) {
      for (let dw = 0; dw < kw; dw++) {
        const row = ((ci * kh + dh) * kw + dw) * ld + column;
        for (let oh = 0; oh < ho; oh++) {
          const ih = oh * stride - pad + dh;
          if (ih < 0 || ih >= h) continue;
          const pixels = xBase + ih * width;
          const entries = row + oh * wo;
          if (gather) {
            for (let ow = 0; ow < wo; ow++) {
              const iw = ow * stride - pad + dw;
              if (iw >= 0 && iw < width) cols[entries + ow] = plane[pixels + iw];
            }
          } else {
            for (let ow = 0; ow < wo; ow++) {
              const iw = ow * stride - pad + dw;
              if (iw >= 0 && iw < width) plane[pixels + iw] += cols[entries + ow];
            }
          }
        }
      }
    }
  }
}

/** max(v, 0) over y in place (NaN stays NaN), after a convolution that has no fused epilogue. */
export function reluInPlace(y: FloatArray): void {
  for (let i = 0; i < y.length; i++) if (!(y[i] > 0) && y[i] === y[i]) y[i] = 0;
}
