// 2-D convolution (NCHW, weights [Co, Ci, KH, KW] as in PyTorch) and its transpose, from three
// implicit-GEMM kernels that never materialise im2col:
//   forward        Y[b,co,p]      = Σ_{ci,dh,dw} W[co,ci,dh,dw] · X[b,ci, p·s − pad + d]
//   input grad     dX[b,ci,q]     = Σ_{co,dh,dw} W[co,ci,dh,dw] · dY[b,co,(q + pad − d)/s]
//   weight grad    dW[co,ci,dh,dw] = Σ_{b,p} dY[b,co,p] · X[b,ci, p·s − pad + d]
// convTranspose2d's forward is conv2d's input gradient and vice versa. The input gradient splits
// the input pixels into s² phases so that each only visits the kernel taps that reach it: for
// stride 2 that is a quarter of the taps, with no wasted multiply-adds.
import { bindings, type GpuTraits, type Kernel } from '../backend.ts';
import { describeShape } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { tilingFor, gemmWgsl } from './gemm.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';

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

export interface ConvOptions {
  stride?: number;
  padding?: number;
}

function geometry(op: string, x: readonly number[], w: readonly number[], stride: number, pad: number): ConvGeometry {
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

const key = (p: object) => JSON.stringify(p);

/** Reads X[base + ih·W + iw], or 0 outside the image (branch-free: the index is clamped). */
function imageLoader(name: string, buffer: string, h: number, w: number): string {
  return `fn ${name}(base: u32, ih: i32, iw: i32) -> f32 {
  let inside = (ih >= 0) & (ih < ${h}) & (iw >= 0) & (iw < ${w});
  let index = base + u32(clamp(ih, 0, ${h - 1})) * ${w}u + u32(clamp(iw, 0, ${w - 1}));
  return select(0.0, ${buffer}[index], inside);
}`;
}

// ---- forward ----------------------------------------------------------------------------------

interface ForwardParams {
  g: ConvGeometry;
  bias: boolean;
}

const forwardKernel: Kernel<ForwardParams> = {
  name: 'conv2d',
  key,
  cpu: (inputs, [y], { g, bias }) => {
    const [x, w, b] = inputs;
    const kk = g.kh * g.kw;
    for (let n = 0; n < g.n; n++) {
      for (let co = 0; co < g.co; co++) {
        for (let oh = 0; oh < g.ho; oh++) {
          for (let ow = 0; ow < g.wo; ow++) {
            let acc = bias ? b[co] : 0;
            for (let ci = 0; ci < g.ci; ci++) {
              const xBase = (n * g.ci + ci) * g.h * g.w;
              const wBase = (co * g.ci + ci) * kk;
              for (let dh = 0; dh < g.kh; dh++) {
                const ih = oh * g.stride - g.pad + dh;
                if (ih < 0 || ih >= g.h) continue;
                for (let dw = 0; dw < g.kw; dw++) {
                  const iw = ow * g.stride - g.pad + dw;
                  if (iw < 0 || iw >= g.w) continue;
                  acc += w[wBase + dh * g.kw + dw] * x[xBase + ih * g.w + iw];
                }
              }
            }
            y[((n * g.co + co) * g.ho + oh) * g.wo + ow] = acc;
          }
        }
      }
    }
  },
  wgsl: ({ g, bias }, traits) => {
    const hw = g.h * g.w;
    const howo = g.ho * g.wo;
    const kk = g.kh * g.kw;
    const K = g.ci * kk;
    const M = g.co;
    const N = g.n * howo;
    return gemmWgsl({
      M,
      N,
      K,
      batches: 1,
      prelude: `${bindings(bias ? ['x', 'w', 'bias'] : ['x', 'w'], ['y'])}\n${imageLoader('loadX', 'x', g.h, g.w)}`,
      colSetup: (n, j) =>
        `let xb${j} = (${n} / ${howo}u) * ${g.ci * hw}u; let pix${j} = ${n} % ${howo}u; let ih${j} = i32(pix${j} / ${g.wo}u) * ${g.stride} - ${g.pad}; let iw${j} = i32(pix${j} % ${g.wo}u) * ${g.stride} - ${g.pad};`,
      kSetup: `let cOff = (k / ${kk}u) * ${hw}u; let r = k % ${kk}u; let dh = i32(r / ${g.kw}u); let dw = i32(r % ${g.kw}u);`,
      loadA: (m, k) => `w[${m} * ${K}u + ${k}]`,
      loadB: (_k, _n, j) => `loadX(xb${j} + cOff, ih${j} + dh, iw${j} + dw)`,
      store: (m, n, v) => `{ let c = ${n}; y[((c / ${howo}u) * ${g.co}u + ${m}) * ${howo}u + c % ${howo}u] = ${v}${bias ? ` + bias[${m}]` : ''}; }`,
      tiling: tilingFor(M, N, K, traits),
    });
  },
};

// ---- input gradient (also convTranspose2d's forward) ----------------------------------------

interface InputGradParams {
  g: ConvGeometry;
  bias: boolean;
}

const inputGradKernel: Kernel<InputGradParams> = {
  name: 'conv2d_input_grad',
  key,
  cpu: (inputs, [dx], { g, bias }) => {
    const [dy, w, b] = inputs;
    const kk = g.kh * g.kw;
    for (let n = 0; n < g.n; n++) {
      for (let ci = 0; ci < g.ci; ci++) {
        for (let ih = 0; ih < g.h; ih++) {
          for (let iw = 0; iw < g.w; iw++) {
            let acc = bias ? b[ci] : 0;
            for (let dh = 0; dh < g.kh; dh++) {
              const th = ih + g.pad - dh;
              if (th < 0 || th % g.stride !== 0 || th / g.stride >= g.ho) continue;
              for (let dw = 0; dw < g.kw; dw++) {
                const tw = iw + g.pad - dw;
                if (tw < 0 || tw % g.stride !== 0 || tw / g.stride >= g.wo) continue;
                for (let co = 0; co < g.co; co++) {
                  acc += w[(co * g.ci + ci) * kk + dh * g.kw + dw] * dy[((n * g.co + co) * g.ho + th / g.stride) * g.wo + tw / g.stride];
                }
              }
            }
            dx[((n * g.ci + ci) * g.h + ih) * g.w + iw] = acc;
          }
        }
      }
    }
  },
  wgsl: ({ g, bias }, traits) => {
    const s = g.stride;
    const hq = Math.ceil(g.h / s);
    const wq = Math.ceil(g.w / s);
    const th = Math.ceil(g.kh / s);
    const tw = Math.ceil(g.kw / s);
    const kk = g.kh * g.kw;
    const howo = g.ho * g.wo;
    const M = g.ci;
    const N = g.n * hq * wq;
    const K = g.co * th * tw;
    const wLast = g.co * g.ci * kk - 1;
    return gemmWgsl({
      M,
      N,
      K,
      // One GEMM per phase (ph, pw) of the input pixel grid, run side by side as batches.
      batches: s * s,
      prelude: `${bindings(bias ? ['dy', 'w', 'bias'] : ['dy', 'w'], ['dx'])}\n${imageLoader('loadG', 'dy', g.ho, g.wo)}`,
      setup: `let ph = batch / ${s}u; let pw = batch % ${s}u; let dh0 = (ph + ${g.pad}u) % ${s}u; let dw0 = (pw + ${g.pad}u) % ${s}u;`,
      colSetup: (n, j) =>
        `let q${j} = ${n} % ${hq * wq}u; let gb${j} = (${n} / ${hq * wq}u) * ${g.co * howo}u; let ih${j} = (q${j} / ${wq}u) * ${s}u + ph; let iw${j} = (q${j} % ${wq}u) * ${s}u + pw; let oh${j} = i32((ih${j} + ${g.pad}u - dh0) / ${s}u); let ow${j} = i32((iw${j} + ${g.pad}u - dw0) / ${s}u);`,
      kSetup: `let co = k / ${th * tw}u; let t = k % ${th * tw}u; let tH = t / ${tw}u; let tW = t % ${tw}u; let dh = dh0 + tH * ${s}u; let dw = dw0 + tW * ${s}u; let tap = (dh < ${g.kh}u) & (dw < ${g.kw}u); let wOff = co * ${g.ci * kk}u + dh * ${g.kw}u + dw; let gOff = co * ${howo}u;`,
      loadA: (m) => `select(0.0, w[min(wOff + ${m} * ${kk}u, ${wLast}u)], tap)`,
      loadB: (_k, _n, j) => `loadG(gb${j} + gOff, oh${j} - i32(tH), ow${j} - i32(tW))`,
      store: (m, n, v) =>
        `{ let q = ${n} % ${hq * wq}u; let ih = (q / ${wq}u) * ${s}u + ph; let iw = (q % ${wq}u) * ${s}u + pw; if (ih < ${g.h}u && iw < ${g.w}u) { dx[(((${n} / ${hq * wq}u) * ${g.ci}u + ${m}) * ${g.h}u + ih) * ${g.w}u + iw] = ${v}${bias ? ` + bias[${m}]` : ''}; } }`,
      tiling: tilingFor(M, N, K, traits),
    });
  },
};

// ---- weight gradient ----------------------------------------------------------------------------

interface WeightGradParams {
  g: ConvGeometry;
  /** The reduction over (batch, pixels) is split in `splits` partial sums (summed afterwards). */
  splits: number;
  splitSize: number;
}

const weightGradKernel: Kernel<WeightGradParams> = {
  name: 'conv2d_weight_grad',
  key,
  cpu: ([x, dy], [dw], { g, splits, splitSize }) => {
    const kk = g.kh * g.kw;
    const size = g.co * g.ci * kk;
    const howo = g.ho * g.wo;
    for (let split = 0; split < splits; split++) {
      const begin = split * splitSize;
      const end = Math.min(g.n * howo, begin + splitSize);
      for (let co = 0; co < g.co; co++) {
        for (let ci = 0; ci < g.ci; ci++) {
          for (let dh = 0; dh < g.kh; dh++) {
            for (let dwi = 0; dwi < g.kw; dwi++) {
              let acc = 0;
              for (let k = begin; k < end; k++) {
                const n = Math.floor(k / howo);
                const pix = k % howo;
                const ih = Math.floor(pix / g.wo) * g.stride - g.pad + dh;
                const iw = (pix % g.wo) * g.stride - g.pad + dwi;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                acc += dy[(n * g.co + co) * howo + pix] * x[((n * g.ci + ci) * g.h + ih) * g.w + iw];
              }
              dw[split * size + (co * g.ci + ci) * kk + dh * g.kw + dwi] = acc;
            }
          }
        }
      }
    }
  },
  wgsl: ({ g, splits, splitSize }, traits) => {
    const kk = g.kh * g.kw;
    const hw = g.h * g.w;
    const howo = g.ho * g.wo;
    const M = g.co;
    const N = g.ci * kk;
    const K = g.n * howo;
    return gemmWgsl({
      M,
      N,
      K,
      batches: splits,
      prelude: `${bindings(['x', 'dy'], ['dw'])}\n${imageLoader('loadX', 'x', g.h, g.w)}`,
      setup: `let kBegin = batch * ${splitSize}u; let kFinish = min(${K}u, kBegin + ${splitSize}u);`,
      kStart: 'kBegin',
      kEnd: 'kFinish',
      colSetup: (n, j) =>
        `let xc${j} = (${n} / ${kk}u) * ${hw}u; let r${j} = ${n} % ${kk}u; let dh${j} = i32(r${j} / ${g.kw}u) - ${g.pad}; let dw${j} = i32(r${j} % ${g.kw}u) - ${g.pad};`,
      kSetup: `let b = k / ${howo}u; let pix = k % ${howo}u; let oh = i32(pix / ${g.wo}u) * ${g.stride}; let ow = i32(pix % ${g.wo}u) * ${g.stride}; let xb = b * ${g.ci * hw}u; let gIndex = b * ${g.co * howo}u + pix;`,
      loadA: (m) => `dy[gIndex + ${m} * ${howo}u]`,
      loadB: (_k, _n, j) => `loadX(xb + xc${j}, oh + dh${j}, ow + dw${j})`,
      store: (m, n, v) => `dw[batch * ${M * N}u + ${m} * ${N}u + ${n}] = ${v};`,
      tiling: tilingFor(M, N, K, traits),
    });
  },
};

// ---- the three primitives, without autodiff -----------------------------------------------------

function convForward(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  return apply('conv2d', bias ? [x, w, bias] : [x, w], [g.n, g.co, g.ho, g.wo], forwardKernel, { g, bias: bias !== null });
}

function convInputGrad(dy: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  return apply('conv2d_input_grad', bias ? [dy, w, bias] : [dy, w], [g.n, g.ci, g.h, g.w], inputGradKernel, { g, bias: bias !== null });
}

function convWeightGrad(x: Tensor, dy: Tensor, g: ConvGeometry, traits: Pick<GpuTraits, 'cpuLike'> | null): Tensor {
  const K = g.n * g.ho * g.wo;
  // Partial sums keep float32 accumulation short and give a GPU enough parallel work.
  const target = traits?.cpuLike === false ? 1024 : 4096;
  const splits = Math.max(1, Math.min(64, Math.ceil(K / target)));
  const splitSize = Math.ceil(K / splits);
  const p = { g, splits: Math.ceil(K / splitSize), splitSize };
  const partial = apply('conv2d_weight_grad', [x, dy], [p.splits, g.co, g.ci, g.kh, g.kw], weightGradKernel, p);
  if (p.splits === 1) return reshape(partial, [g.co, g.ci, g.kh, g.kw]);
  const total = sum(partial, 0);
  partial.dispose();
  return total;
}

function gpuTraits(t: Tensor): GpuTraits | null {
  return (t.backend as { traits?: GpuTraits }).traits ?? null;
}

function checkBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`${op}: bias must have shape [${channels}], got ${describeShape(bias.shape)}`);
  }
}

// ---- public ops -----------------------------------------------------------------------------

/** 2-D cross-correlation as in PyTorch's conv2d: x [N, Ci, H, W], weight [Co, Ci, KH, KW], bias [Co]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options: ConvOptions = {}): Tensor {
  const g = geometry('conv2d', x.shape, weight.shape, options.stride ?? 1, options.padding ?? 0);
  checkBias('conv2d', bias, g.co);
  const y = convForward(x, weight, bias ?? null, g);
  return record('conv2d', y, bias ? [x, weight, bias] : [x, weight], (dy) => [
    x.requiresGrad ? convInputGrad(dy, weight, null, g) : null,
    weight.requiresGrad ? convWeightGrad(x, dy, g, gpuTraits(x)) : null,
    ...(bias ? [bias.requiresGrad ? sum(dy, [0, 2, 3]) : null] : []),
  ]);
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
  const g = geometry('convTranspose2d', [n, co, ho, wo], [ci, co, kh, kw], stride, pad);
  if (g.ho !== h || g.wo !== w) throw new Error(`convTranspose2d: inconsistent geometry for ${describeShape(x.shape)} (internal)`);
  const y = convInputGrad(x, weight, bias ?? null, g);
  return record('convTranspose2d', y, bias ? [x, weight, bias] : [x, weight], (dy) => [
    x.requiresGrad ? convForward(dy, weight, null, g) : null,
    weight.requiresGrad ? convWeightGrad(dy, x, g, gpuTraits(x)) : null,
    ...(bias ? [bias.requiresGrad ? sum(dy, [0, 2, 3]) : null] : []),
  ]);
}

