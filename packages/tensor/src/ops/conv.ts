// 2-D convolution (NCHW, weights [Co, Ci, KH, KW] as in PyTorch) and its transpose, from three
// implicit-GEMM kernels that never materialise im2col:
//   forward        Y[b,co,p]      = Σ_{ci,dh,dw} W[co,ci,dh,dw] · X[b,ci, p·s − pad + d]
//   input grad     dX[b,ci,q]     = Σ_{co,dh,dw} W[co,ci,dh,dw] · dY[b,co,(q + pad − d)/s]
//   weight grad    dW[co,ci,dh,dw] = Σ_{b,p} dY[b,co,p] · X[b,ci, p·s − pad + d]
// convTranspose2d's forward is conv2d's input gradient and vice versa. The input gradient splits
// the input pixels into s² phases so that each only visits the kernel taps that reach it: for
// stride 2 that is a quarter of the taps, with no wasted multiply-adds.
import { bindings, uniformDeclaration, uniformWord, type FloatArray, type Kernel } from '../backend.ts';
import { describeShape } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { gemmWgsl, gemmWorkgroups, tilingFor, tilingKey, type GemmTiling } from './gemm.ts';
import { col2imAdd, convGeometry, im2col, reluInPlace, type ConvGeometry } from './conv-geometry.ts';
import { reluGradRaw } from './elementwise.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';

export interface ConvOptions {
  stride?: number;
  padding?: number;
}

export interface Conv2dOptions extends ConvOptions {
  /**
   * relu(conv2d(…)) as one op: on the native backend oneDNN applies it as the convolution writes
   * its output (a post-op), saving a pass over the largest activations (the encoder's first layer
   * writes 8 MiB at batch 64). Its gradient masks by the output, y > 0, which is where the
   * convolution was positive.
   */
  relu?: boolean;
}

/**
 * Reads X[base + ih·W + iw], or 0 outside the image. A negative i32 cast to u32 is huge, so one
 * unsigned compare per axis tests both bounds; the index is not clamped because WebGPU guarantees
 * that an out-of-range read returns some value of the buffer (or 0) and `select` discards it.
 */
function imageLoader(name: string, buffer: string, h: string, w: string): string {
  return `fn ${name}(base: u32, ih: i32, iw: i32) -> f32 {
  let width = ${w};
  let inside = (u32(ih) < ${h}) & (u32(iw) < width);
  return select(0.0, ${buffer}[base + u32(ih) * width + u32(iw)], inside);
}`;
}

// Kernels are compiled per kernel geometry (taps, stride, padding) and tiling; every size is one of
// these uniform words, so batch sizes, channel counts and image sizes share pipelines.
const W = { n: 0, ci: 1, h: 2, w: 3, co: 4, ho: 5, wo: 6, hw: 7, howo: 8, cihw: 9, cohowo: 10, M: 11, N: 12, K: 13, extra: 14 } as const;
const word = (name: keyof typeof W, plus = 0) => uniformWord(W[name] + plus);

function geometryWords(g: ConvGeometry, M: number, N: number, K: number, extra: number[] = []): number[] {
  const { n, ci, h, w, co, ho, wo } = g;
  return [n, ci, h, w, co, ho, wo, h * w, ho * wo, ci * h * w, co * ho * wo, M, N, K, ...extra];
}

/** The pipeline identity of a convolution kernel: its loop structure, not its sizes. */
function geometryKey(g: ConvGeometry, extra: string, tiling: GemmTiling): string {
  return `${g.kh}x${g.kw}/s${g.stride}/p${g.pad}|${extra}|${tilingKey(tiling)}`;
}

// ---- forward ----------------------------------------------------------------------------------

export interface ConvForwardParams {
  g: ConvGeometry;
  bias: boolean;
  relu: boolean;
  tiling: GemmTiling;
}

const forwardSizes = (g: ConvGeometry) => ({ M: g.co, N: g.n * g.ho * g.wo, K: g.ci * g.kh * g.kw });

export const conv2dKernel: Kernel<ConvForwardParams> = {
  name: 'conv2d',
  key: ({ g, bias, relu, tiling }) => geometryKey(g, `${bias}${relu ? '|relu' : ''}`, tiling),
  uniforms: ({ g }) => {
    const { M, N, K } = forwardSizes(g);
    return geometryWords(g, M, N, K);
  },
  workgroups: ({ g, tiling }) => {
    const { M, N } = forwardSizes(g);
    return gemmWorkgroups(M, N, 1, tiling);
  },
  cpu: (inputs, [y], { g, bias, relu }) => {
    convForwardCpu(inputs[0], inputs[1], bias ? inputs[2] : null, y, g);
    if (relu) reluInPlace(y);
  },
  wgsl: ({ g, bias, relu, tiling }) => {
    const kk = g.kh * g.kw;
    const inputs = bias ? ['x', 'w', 'bias'] : ['x', 'w'];
    const code = gemmWgsl({
      M: word('M'),
      N: word('N'),
      K: word('K'),
      prelude: `${bindings(inputs, ['y'])}\n${uniformDeclaration(inputs.length + 1, W.extra)}\n${imageLoader('loadX', 'x', word('h'), word('w'))}`,
      setup: `let howo = ${word('howo')}; let wo = ${word('wo')}; let hw = ${word('hw')}; let cihw = ${word('cihw')}; let co = ${word('co')};`,
      colSetup: (n, j) =>
        `let b${j} = ${n} / howo; let xb${j} = b${j} * cihw; let pix${j} = ${n} % howo; let yb${j} = b${j} * co * howo + pix${j}; let ih${j} = i32(pix${j} / wo) * ${g.stride} - ${g.pad}; let iw${j} = i32(pix${j} % wo) * ${g.stride} - ${g.pad};`,
      kSetup: `let cOff = (k / ${kk}u) * hw; let r = k % ${kk}u; let dh = i32(r / ${g.kw}u); let dw = i32(r % ${g.kw}u);`,
      loadA: (m, k) => `w[${m} * gK + ${k}]`,
      loadB: (_k, _n, j) => `loadX(xb${j} + cOff, ih${j} + dh, iw${j} + dw)`,
      // Each column's output offset was decoded once, before the k loop.
      store: (m, _n, v, j) => {
        const value = `${v}${bias ? ` + bias[${m}]` : ''}`;
        return `y[yb${j} + ${m} * howo] = ${relu ? `max(${value}, 0.0)` : value};`;
      },
      tiling,
    });
    return { code };
  },
};

// ---- input gradient (also convTranspose2d's forward) ----------------------------------------

export interface ConvInputGradParams {
  g: ConvGeometry;
  bias: boolean;
  tiling: GemmTiling;
}

/** GEMM sizes of the input gradient: one GEMM per phase of the input grid, each over ⌈H/s⌉·⌈W/s⌉ pixels. */
function inputGradSizes(g: ConvGeometry) {
  const s = g.stride;
  const hq = Math.ceil(g.h / s);
  const wq = Math.ceil(g.w / s);
  const taps = Math.ceil(g.kh / s) * Math.ceil(g.kw / s);
  return { M: g.ci, N: g.n * hq * wq, K: g.co * taps, hq, wq };
}

export const conv2dInputGradKernel: Kernel<ConvInputGradParams> = {
  name: 'conv2d_input_grad',
  key: ({ g, bias, tiling }) => geometryKey(g, `${bias}`, tiling),
  uniforms: ({ g }) => {
    const { M, N, K, hq, wq } = inputGradSizes(g);
    return geometryWords(g, M, N, K, [wq, hq * wq, g.co * g.ci * g.kh * g.kw - 1]);
  },
  workgroups: ({ g, tiling }) => {
    const { M, N } = inputGradSizes(g);
    return gemmWorkgroups(M, N, g.stride * g.stride, tiling);
  },
  cpu: (inputs, [dx], { g, bias }) => convInputGradCpu(inputs[0], inputs[1], bias ? inputs[2] : null, dx, g),
  wgsl: ({ g, bias, tiling }) => {
    const s = g.stride;
    const th = Math.ceil(g.kh / s);
    const tw = Math.ceil(g.kw / s);
    const kk = g.kh * g.kw;
    const inputs = bias ? ['dy', 'w', 'bias'] : ['dy', 'w'];
    const code = gemmWgsl({
      M: word('M'),
      N: word('N'),
      K: word('K'),
      // One GEMM per phase (ph, pw) of the input pixel grid, run side by side as batches.
      prelude: `${bindings(inputs, ['dx'])}\n${uniformDeclaration(inputs.length + 1, W.extra + 3)}\n${imageLoader('loadG', 'dy', word('ho'), word('wo'))}`,
      setup: `let ph = batch / ${s}u; let pw = batch % ${s}u; let dh0 = (ph + ${g.pad}u) % ${s}u; let dw0 = (pw + ${g.pad}u) % ${s}u;
  let wq = ${word('extra')}; let hqwq = ${word('extra', 1)}; let wLast = ${word('extra', 2)};
  let ci = ${word('ci')}; let h = ${word('h')}; let width = ${word('w')}; let howo = ${word('howo')}; let cohowo = ${word('cohowo')};`,
      colSetup: (n, j) =>
        `let q${j} = ${n} % hqwq; let b${j} = ${n} / hqwq; let gb${j} = b${j} * cohowo; let ih${j} = (q${j} / wq) * ${s}u + ph; let iw${j} = (q${j} % wq) * ${s}u + pw; let oh${j} = i32((ih${j} + ${g.pad}u - dh0) / ${s}u); let ow${j} = i32((iw${j} + ${g.pad}u - dw0) / ${s}u);
  let inside${j} = (ih${j} < h) & (iw${j} < width); let xb${j} = (b${j} * ci * h + ih${j}) * width + iw${j};`,
      kSetup: `let co = k / ${th * tw}u; let t = k % ${th * tw}u; let tH = t / ${tw}u; let tW = t % ${tw}u; let dh = dh0 + tH * ${s}u; let dw = dw0 + tW * ${s}u; let tap = (dh < ${g.kh}u) & (dw < ${g.kw}u); let wOff = co * ci * ${kk}u + dh * ${g.kw}u + dw; let gOff = co * howo;`,
      // When the stride divides the kernel, every phase uses every tap: no test needed.
      loadA: (m) => (g.kh % s === 0 && g.kw % s === 0 ? `w[wOff + ${m} * ${kk}u]` : `select(0.0, w[min(wOff + ${m} * ${kk}u, wLast)], tap)`),
      loadB: (_k, _n, j) => `loadG(gb${j} + gOff, oh${j} - i32(tH), ow${j} - i32(tW))`,
      store: (m, _n, v, j) => `if (inside${j}) { dx[xb${j} + ${m} * h * width] = ${v}${bias ? ` + bias[${m}]` : ''}; }`,
      tiling,
    });
    return { code };
  },
};

// ---- weight gradient ----------------------------------------------------------------------------

export interface ConvWeightGradParams {
  g: ConvGeometry;
  /** The reduction over (batch, pixels) is split in `splits` partial sums (summed afterwards). */
  splits: number;
  splitSize: number;
  tiling: GemmTiling;
}

const weightGradSizes = (g: ConvGeometry) => ({ M: g.co, N: g.ci * g.kh * g.kw, K: g.n * g.ho * g.wo });

export const conv2dWeightGradKernel: Kernel<ConvWeightGradParams> = {
  name: 'conv2d_weight_grad',
  key: ({ g, tiling }) => geometryKey(g, '', tiling),
  uniforms: ({ g, splitSize }) => {
    const { M, N, K } = weightGradSizes(g);
    return geometryWords(g, M, N, K, [splitSize]);
  },
  workgroups: ({ g, splits, tiling }) => {
    const { M, N } = weightGradSizes(g);
    return gemmWorkgroups(M, N, splits, tiling);
  },
  cpu: ([x, dy], [dw], { g }) => {
    // The whole sum goes into the first partial; the others are zero (the GPU splits for parallelism only).
    dw.fill(0);
    convWeightGradCpu(x, dy, dw, g);
  },
  wgsl: ({ g, tiling }) => {
    const kk = g.kh * g.kw;
    const code = gemmWgsl({
      M: word('M'),
      N: word('N'),
      K: word('K'),
      prelude: `${bindings(['x', 'dy'], ['dw'])}\n${uniformDeclaration(3, W.extra + 1)}\n${imageLoader('loadX', 'x', word('h'), word('w'))}`,
      setup: `let splitSize = ${word('extra')}; let kBegin = batch * splitSize; let kFinish = min(gK, kBegin + splitSize);
  let howo = ${word('howo')}; let wo = ${word('wo')}; let ho = ${word('ho')}; let hw = ${word('hw')}; let cihw = ${word('cihw')}; let cohowo = ${word('cohowo')};`,
      kStart: 'kBegin',
      kEnd: 'kFinish',
      colSetup: (n, j) =>
        `let xc${j} = (${n} / ${kk}u) * hw; let r${j} = ${n} % ${kk}u; let dh${j} = i32(r${j} / ${g.kw}u) - ${g.pad}; let dw${j} = i32(r${j} % ${g.kw}u) - ${g.pad};`,
      // (b, oh, ow) walk the reduction index k by counting, not dividing, in the inner loop.
      kInit: `var b = kBegin / howo; var oh = (kBegin % howo) / wo; var ow = kBegin % wo;`,
      kSetup: `let xb = b * cihw; let gIndex = b * cohowo + oh * wo + ow; let ohs = i32(oh) * ${g.stride}; let ows = i32(ow) * ${g.stride};`,
      kAdvance: `ow += 1u; if (ow == wo) { ow = 0u; oh += 1u; if (oh == ho) { oh = 0u; b += 1u; } }`,
      loadA: (m) => `dy[gIndex + ${m} * howo]`,
      loadB: (_k, _n, j) => `loadX(xb + xc${j}, ohs + dh${j}, ows + dw${j})`,
      store: (m, n, v) => `dw[batch * gM * gN + ${m} * gN + ${n}] = ${v};`,
      tiling,
    });
    return { code };
  },
};

// ---- cpu loops ------------------------------------------------------------------------------------
// Per image, the receptive fields are gathered into columns (im2col, K = Ci·KH·KW rows by P = Ho·Wo
// columns) and multiplied with row-wise multiply-adds over contiguous rows, the loop shape the
// JavaScript JIT runs fastest; accumulation in float64.

function convForwardCpu(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, g: ConvGeometry): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const cols = new Float64Array(K * P);
  const row = new Float64Array(P);
  for (let n = 0; n < g.n; n++) {
    im2col(x, n, g, cols);
    for (let co = 0; co < g.co; co++) {
      row.fill(bias ? bias[co] : 0);
      for (let k = 0; k < K; k++) {
        const weight = w[co * K + k];
        if (weight === 0) continue;
        const c = k * P;
        for (let p = 0; p < P; p++) row[p] += weight * cols[c + p];
      }
      y.set(row, (n * g.co + co) * P);
    }
  }
}

function convInputGradCpu(dy: FloatArray, w: FloatArray, bias: FloatArray | null, dx: FloatArray, g: ConvGeometry): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const cols = new Float64Array(K * P);
  const plane = new Float64Array(g.ci * g.h * g.w);
  for (let n = 0; n < g.n; n++) {
    // cols = Wᵀ · dY_n, then every column entry is added back to the pixel it was read from.
    cols.fill(0);
    for (let co = 0; co < g.co; co++) {
      const gBase = (n * g.co + co) * P;
      for (let k = 0; k < K; k++) {
        const weight = w[co * K + k];
        if (weight === 0) continue;
        const c = k * P;
        for (let p = 0; p < P; p++) cols[c + p] += weight * dy[gBase + p];
      }
    }
    for (let ci = 0; ci < g.ci; ci++) plane.fill(bias ? bias[ci] : 0, ci * g.h * g.w, (ci + 1) * g.h * g.w);
    col2imAdd(cols, g, plane);
    dx.set(plane, n * g.ci * g.h * g.w);
  }
}

function convWeightGradCpu(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry): void {
  const K = g.ci * g.kh * g.kw;
  const P = g.ho * g.wo;
  const cols = new Float64Array(K * P);
  const sums = new Float64Array(g.co * K);
  for (let n = 0; n < g.n; n++) {
    im2col(x, n, g, cols);
    for (let co = 0; co < g.co; co++) {
      const gBase = (n * g.co + co) * P;
      for (let k = 0; k < K; k++) {
        const c = k * P;
        let acc = 0;
        for (let p = 0; p < P; p++) acc += dy[gBase + p] * cols[c + p];
        sums[co * K + k] += acc;
      }
    }
  }
  dw.set(sums);
}

// ---- the three primitives, without autodiff -----------------------------------------------------

function convForward(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry, relu = false): Tensor {
  const { M, N, K } = forwardSizes(g);
  const tiling = tilingFor(M, N, K, x.backend.traits);
  return apply('conv2d', bias ? [x, w, bias] : [x, w], [g.n, g.co, g.ho, g.wo], conv2dKernel, { g, bias: bias !== null, relu, tiling });
}

function convInputGrad(dy: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  const { M, N, K } = inputGradSizes(g);
  const tiling = tilingFor(M, N, K, dy.backend.traits);
  return apply('conv2d_input_grad', bias ? [dy, w, bias] : [dy, w], [g.n, g.ci, g.h, g.w], conv2dInputGradKernel, { g, bias: bias !== null, tiling });
}

function convWeightGrad(x: Tensor, dy: Tensor, g: ConvGeometry): Tensor {
  const { M, N, K } = weightGradSizes(g);
  const traits = x.backend.traits;
  // On a GPU, partial sums keep float32 accumulation short and give it enough parallel work; the
  // cpu loops accumulate in float64 and BLAS blocks its sums, so they need no split.
  const target = traits?.cpuLike === false ? 1024 : 4096;
  const splits = traits ? Math.max(1, Math.min(64, Math.ceil(K / target))) : 1;
  const splitSize = Math.ceil(K / splits);
  const p: ConvWeightGradParams = { g, splits: Math.ceil(K / splitSize), splitSize, tiling: tilingFor(M, N, K, traits) };
  const partial = apply('conv2d_weight_grad', [x, dy], [p.splits, g.co, g.ci, g.kh, g.kw], conv2dWeightGradKernel, p);
  if (p.splits === 1) return reshape(partial, [g.co, g.ci, g.kh, g.kw]);
  const total = sum(partial, 0);
  partial.dispose();
  return total;
}

function checkBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`${op}: bias must have shape [${channels}], got ${describeShape(bias.shape)}`);
  }
}

// ---- public ops -----------------------------------------------------------------------------

/** 2-D cross-correlation as in PyTorch's conv2d: x [N, Ci, H, W], weight [Co, Ci, KH, KW], bias [Co]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  const g = convGeometry('conv2d', x.shape, weight.shape, options.stride ?? 1, options.padding ?? 0);
  checkBias('conv2d', bias, g.co);
  const relu = options.relu ?? false;
  const y = convForward(x, weight, bias ?? null, g, relu);
  return record(relu ? 'conv2d_relu' : 'conv2d', y, bias ? [x, weight, bias] : [x, weight], (gy, out) => {
    const dy = relu ? reluGradRaw(out, gy) : gy;
    return [
      x.requiresGrad ? convInputGrad(dy, weight, null, g) : null,
      weight.requiresGrad ? convWeightGrad(x, dy, g) : null,
      ...(bias ? [bias.requiresGrad ? sum(dy, [0, 2, 3]) : null] : []),
    ];
  });
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra rows/columns on one side of the output (PyTorch's output_padding), less than stride. */
  outputPadding?: number;
}

/**
 * Transposed convolution as in PyTorch's conv_transpose2d: x [N, Ci, H, W], weight [Ci, Co, KH, KW],
 * bias [Co]; output side (H − 1)·stride − 2·padding + KH + outputPadding.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, options: ConvTransposeOptions = {}): Tensor {
  const stride = options.stride ?? 1;
  const pad = options.padding ?? 0;
  const extra = options.outputPadding ?? 0;
  if (x.rank !== 4 || weight.rank !== 4) throw new Error(`convTranspose2d: expected input [N, Ci, H, W] and weight [Ci, Co, KH, KW], got ${describeShape(x.shape)} and ${describeShape(weight.shape)}`);
  if (!Number.isInteger(extra) || extra < 0 || extra >= stride) throw new Error(`convTranspose2d: outputPadding must be an integer in [0, stride), got ${extra}`);
  const [n, ci, h, w] = x.shape;
  const [wci, co, kh, kw] = weight.shape;
  if (wci !== ci) throw new Error(`convTranspose2d: input has ${ci} channels but weight ${describeShape(weight.shape)} expects ${wci}`);
  const ho = (h - 1) * stride - 2 * pad + kh + extra;
  const wo = (w - 1) * stride - 2 * pad + kw + extra;
  if (ho < 1 || wo < 1) throw new Error(`convTranspose2d: output would be ${ho}×${wo} for input ${describeShape(x.shape)}, kernel ${kh}×${kw}, padding ${pad}`);
  checkBias('convTranspose2d', bias, co);
  // The convolution whose input gradient this is maps [N, Co, ho, wo] → [N, Ci, H, W].
  const g = convGeometry('convTranspose2d', [n, co, ho, wo], [ci, co, kh, kw], stride, pad);
  if (g.ho !== h || g.wo !== w) throw new Error(`convTranspose2d: inconsistent geometry for ${describeShape(x.shape)} (internal)`);
  const y = convInputGrad(x, weight, bias ?? null, g);
  return record('convTranspose2d', y, bias ? [x, weight, bias] : [x, weight], (dy) => [
    x.requiresGrad ? convForward(dy, weight, null, g) : null,
    weight.requiresGrad ? convWeightGrad(dy, x, g) : null,
    ...(bias ? [bias.requiresGrad ? sum(dy, [0, 2, 3]) : null] : []),
  ]);
}

