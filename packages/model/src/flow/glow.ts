// Glow (Kingma & Dhariwal 2018) as MAGANet uses it: a bijection f on images that keeps the
// dimension C·H·W (levels of squeeze + K flow steps, nothing factored out), with an exact inverse.
// Each layer has `forward` (x → y, and log|det ∂y/∂x| per sample when asked) and `inverse` side by side.
import * as T from '@maga/tensor';
import { Conv2d } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';

/** A layer's output and, when requested, log|det J| per sample ([N]). */
export interface FlowOutput {
  y: T.Tensor;
  logDet: T.Tensor | null;
}

export type CouplingKind = 'additive' | 'affine';

export interface GlowConfig {
  /** Image channels at the input (1 for dSprites). */
  channels: number;
  /** Number of squeeze + K steps levels. */
  levels: number;
  /** Flow steps per level. */
  steps: number;
  coupling: CouplingKind;
  /** Hidden channels of each coupling network: a number, or 'half' for C/2 of its level (the blog's choice). */
  hidden: number | 'half';
}

function addLogDet(a: T.Tensor | null, b: T.Tensor | null): T.Tensor | null {
  if (!a) return b;
  if (!b) return a;
  return a.add(b);
}

/** Per-channel affine map y = (x + b)·e^s, initialised from the first batch to zero mean, unit variance. */
export class ActNorm extends Module {
  readonly logScale: T.Tensor;
  readonly bias: T.Tensor;
  initialized = false;

  constructor(readonly channels: number) {
    super();
    this.logScale = this.parameter('logScale', T.zeros([1, channels, 1, 1]));
    this.bias = this.parameter('bias', T.zeros([1, channels, 1, 1]));
  }

  /** Data-dependent initialisation (Glow §3.1): per-channel mean 0 and variance 1 on `x`. */
  initialize(x: T.Tensor): void {
    T.noGrad(() =>
      T.tidy(() => {
        const mean = x.mean([0, 2, 3], true);
        const std = x.sub(mean).square().mean([0, 2, 3], true).sqrt();
        T.copyInto(this.bias, mean.neg());
        T.copyInto(this.logScale, std.add(1e-6).log().neg());
      }),
    );
    this.initialized = true;
  }

  forward(x: T.Tensor, wantLogDet = false): FlowOutput {
    if (!this.initialized) this.initialize(x);
    // (x + b)·e^s as x·e^s + b·e^s: one pass over the batch, the rest on [1, C, 1, 1].
    const scale = this.logScale.exp();
    const y = T.multiplyAdd(x, scale, this.bias.mul(scale));
    const pixels = x.shape[2] * x.shape[3];
    const logDet = wantLogDet ? this.logScale.sum().mul(pixels).broadcastTo([x.shape[0]]) : null;
    return { y, logDet };
  }

  inverse(y: T.Tensor): T.Tensor {
    return T.multiplyAdd(y, this.logScale.neg().exp(), this.bias.neg());
  }

  override onLoaded(): void {
    this.initialized = true;
    super.onLoaded();
  }
}

/** Random orthogonal c×c matrix (QR of a Gaussian matrix, float64 on the host) as row-major numbers. */
function randomRotation(c: number, rng: T.Rng): Promise<Float64Array> {
  return T.withBackend(new T.CpuBackend({ float64: true }), async () => {
    const a = await rng.normal([c, c]).data64();
    // Modified Gram–Schmidt on columns.
    const q = new Float64Array(c * c);
    for (let j = 0; j < c; j++) {
      for (let i = 0; i < c; i++) q[i * c + j] = a[i * c + j];
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < c; i++) dot += q[i * c + k] * q[i * c + j];
        for (let i = 0; i < c; i++) q[i * c + j] -= dot * q[i * c + k];
      }
      let norm = 0;
      for (let i = 0; i < c; i++) norm += q[i * c + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < c; i++) q[i * c + j] /= norm;
    }
    return q;
  });
}

/** PA = LU with partial pivoting (float64, host): returns P (so that A = P·L·U), L and U row-major. */
function luDecompose(a: Float64Array, c: number): { p: Float64Array; l: Float64Array; u: Float64Array } {
  const u = Float64Array.from(a);
  const l = new Float64Array(c * c);
  const perm = Array.from({ length: c }, (_, i) => i);
  for (let k = 0; k < c; k++) {
    let pivot = k;
    for (let i = k + 1; i < c; i++) if (Math.abs(u[i * c + k]) > Math.abs(u[pivot * c + k])) pivot = i;
    if (pivot !== k) {
      for (let j = 0; j < c; j++) {
        [u[k * c + j], u[pivot * c + j]] = [u[pivot * c + j], u[k * c + j]];
        [l[k * c + j], l[pivot * c + j]] = [l[pivot * c + j], l[k * c + j]];
      }
      [perm[k], perm[pivot]] = [perm[pivot], perm[k]];
    }
    l[k * c + k] = 1;
    for (let i = k + 1; i < c; i++) {
      const f = u[i * c + k] / u[k * c + k];
      l[i * c + k] = f;
      for (let j = k; j < c; j++) u[i * c + j] -= f * u[k * c + j];
    }
  }
  // Row i of P·A is row perm[i] of A, so A = Pᵀ·L·U; return that Pᵀ as P.
  const p = new Float64Array(c * c);
  for (let i = 0; i < c; i++) p[perm[i] * c + i] = 1;
  return { p, l, u };
}

/**
 * Invertible 1×1 convolution, LU-parameterised (Glow §3.2): W = P·(L + I)·(U + diag(sign·e^{logS}))
 * with P fixed, L strictly lower, U strictly upper; log|det W| = Σ logS per pixel.
 */
export class InvConv1x1 extends Module {
  readonly permutation: T.Tensor;
  readonly sign: T.Tensor;
  readonly lower: T.Tensor;
  readonly upper: T.Tensor;
  readonly logS: T.Tensor;
  private readonly lowerMask: T.Tensor;
  private readonly upperMask: T.Tensor;
  private readonly identity: T.Tensor;

  private constructor(
    readonly channels: number,
    init: { p: Float64Array; l: Float64Array; u: Float64Array },
  ) {
    super();
    const c = channels;
    const diag = Array.from({ length: c }, (_, i) => init.u[i * c + i]);
    const strictUpper = init.u.map((v, k) => (k % c > Math.floor(k / c) ? v : 0));
    const strictLower = init.l.map((v, k) => (k % c < Math.floor(k / c) ? v : 0));
    this.permutation = this.buffer('permutation', T.tensor(init.p, [c, c]));
    this.sign = this.buffer('sign', T.tensor(diag.map(Math.sign), [c]));
    this.lower = this.parameter('lower', T.tensor(strictLower, [c, c]));
    this.upper = this.parameter('upper', T.tensor(strictUpper, [c, c]));
    this.logS = this.parameter('logS', T.tensor(diag.map((v) => Math.log(Math.abs(v))), [c]));
    const mask = (keep: (i: number, j: number) => boolean) => T.keep(T.tensor(Array.from({ length: c * c }, (_, k) => (keep(Math.floor(k / c), k % c) ? 1 : 0)), [c, c]));
    this.lowerMask = mask((i, j) => j < i);
    this.upperMask = mask((i, j) => j > i);
    this.identity = T.keep(T.eye(c));
  }

  /** Starts from a random rotation, as Glow does. */
  static async create(channels: number, rng: T.Rng): Promise<InvConv1x1> {
    return new InvConv1x1(channels, luDecompose(await randomRotation(channels, rng), channels));
  }

  weight(): T.Tensor {
    const l = this.lower.mul(this.lowerMask).add(this.identity);
    const u = this.upper.mul(this.upperMask).add(this.identity.mul(this.sign.mul(this.logS.exp())));
    return this.permutation.matmul(l).matmul(u);
  }

  forward(x: T.Tensor, wantLogDet = false): FlowOutput {
    const c = this.channels;
    const y = T.conv2d(x, this.weight().reshape([c, c, 1, 1]));
    const logDet = wantLogDet ? this.logS.sum().mul(x.shape[2] * x.shape[3]).broadcastTo([x.shape[0]]) : null;
    return { y, logDet };
  }

  inverse(y: T.Tensor): T.Tensor {
    const c = this.channels;
    return T.conv2d(y, T.inverse(this.weight()).reshape([c, c, 1, 1]));
  }

  override dispose(): void {
    for (const t of [this.lowerMask, this.upperMask, this.identity]) t.dispose();
    super.dispose();
  }
}

/**
 * Coupling (Glow §3.3): the first half of the channels passes unchanged and parameterises the
 * transformation of the second half — a shift (additive) or a shift and a sigmoid scale (affine).
 * The network's last convolution starts at zero, so every step starts as the identity.
 */
export class Coupling extends Module {
  readonly passive: number;
  readonly active: number;
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d;

  constructor(
    readonly channels: number,
    hidden: number,
    readonly kind: CouplingKind,
    rng: T.Rng,
  ) {
    super();
    this.passive = Math.floor(channels / 2);
    this.active = channels - this.passive;
    this.conv1 = this.child('conv1', new Conv2d(this.passive, hidden, 3, rng, { padding: 1 }));
    this.conv2 = this.child('conv2', new Conv2d(hidden, hidden, 1, rng));
    this.conv3 = this.child('conv3', new Conv2d(hidden, kind === 'affine' ? 2 * this.active : this.active, 3, rng, { padding: 1, zeroInit: true }));
  }

  private net(passive: T.Tensor): T.Tensor {
    return this.conv3.forward(this.conv2.forward(this.conv1.forward(passive, { relu: true }), { relu: true }));
  }

  /** (shift, log scale) of the active half, from the passive half. */
  private shiftAndLogScale(passive: T.Tensor): { shift: T.Tensor; logScale: T.Tensor | null } {
    const h = this.net(passive);
    if (this.kind === 'additive') return { shift: h, logScale: null };
    const [shift, raw] = T.split(h, 2, 1);
    // σ(raw + 2) starts near 0.88 and keeps the scale in (0, 1): a stable Glow default.
    return { shift, logScale: T.logSigmoid(raw.add(2)) };
  }

  forward(x: T.Tensor, wantLogDet = false): FlowOutput {
    const [passive, active] = T.split(x, [this.passive, this.active], 1);
    const { shift, logScale } = this.shiftAndLogScale(passive);
    const moved = logScale ? active.add(shift).mul(logScale.exp()) : active.add(shift);
    const logDet = wantLogDet && logScale ? logScale.sum([1, 2, 3]) : null;
    return { y: T.concat([passive, moved], 1), logDet };
  }

  inverse(y: T.Tensor): T.Tensor {
    const [passive, moved] = T.split(y, [this.passive, this.active], 1);
    const { shift, logScale } = this.shiftAndLogScale(passive);
    const active = logScale ? moved.mul(logScale.neg().exp()).sub(shift) : moved.sub(shift);
    return T.concat([passive, active], 1);
  }
}

/** One step of flow: ActNorm → invertible 1×1 convolution → coupling. */
export class FlowStep extends Module {
  private constructor(
    readonly actNorm: ActNorm,
    readonly invConv: InvConv1x1,
    readonly coupling: Coupling,
  ) {
    super();
    this.child('actnorm', actNorm);
    this.child('invconv', invConv);
    this.child('coupling', coupling);
  }

  static async create(channels: number, hidden: number, kind: CouplingKind, rng: T.Rng): Promise<FlowStep> {
    return new FlowStep(new ActNorm(channels), await InvConv1x1.create(channels, rng), new Coupling(channels, hidden, kind, rng));
  }

  // ActNorm and the 1×1 convolution run as one convolution with a bias, in both directions: no
  // pass over the batch for ActNorm, only [C, C] arithmetic on the weights. Forward:
  // W·((x + b)·e^s) = (W·diag(e^s))·x + W·(b·e^s). Inverse: (W⁻¹·y)·e^(−s) − b = (diag(e^(−s))·W⁻¹)·y − b.
  // Equal to ActNorm.forward then InvConv1x1.forward (and the inverses) up to float rounding.
  forward(x: T.Tensor, wantLogDet = false): FlowOutput {
    const { actNorm, invConv } = this;
    if (!actNorm.initialized) actNorm.initialize(x);
    const c = this.invConv.channels;
    const scale = actNorm.logScale.exp().reshape([c]);
    const w = invConv.weight();
    const weight = w.mul(scale.reshape([1, c])).reshape([c, c, 1, 1]);
    const bias = w.matmul(actNorm.bias.reshape([c, 1]).mul(scale.reshape([c, 1]))).reshape([c]);
    const mixed = T.conv2d(x, weight, bias);
    let logDet: T.Tensor | null = null;
    if (wantLogDet) logDet = actNorm.logScale.sum().add(invConv.logS.sum()).mul(x.shape[2] * x.shape[3]).broadcastTo([x.shape[0]]);
    const out = this.coupling.forward(mixed, wantLogDet);
    return { y: out.y, logDet: addLogDet(logDet, out.logDet) };
  }

  inverse(y: T.Tensor): T.Tensor {
    const { actNorm, invConv } = this;
    const c = invConv.channels;
    const weight = T.inverse(invConv.weight()).mul(actNorm.logScale.neg().exp().reshape([c, 1])).reshape([c, c, 1, 1]);
    return T.conv2d(this.coupling.inverse(y), weight, actNorm.bias.neg().reshape([c]));
  }
}

/**
 * Glow without factoring out: for each level, squeeze (space-to-depth ×2) then K steps. It maps
 * [N, C, H, W] to the flow latent [N, C·4^L, H/2^L, W/2^L] — the same number of values.
 */
export class Glow extends Module {
  private readonly levels: FlowStep[][] = [];

  private constructor(readonly config: GlowConfig) {
    super();
  }

  static async create(config: GlowConfig, rng: T.Rng): Promise<Glow> {
    if (!Number.isInteger(config.levels) || config.levels < 1) throw new Error(`glow: levels must be a positive integer, got ${config.levels}`);
    if (!Number.isInteger(config.steps) || config.steps < 1) throw new Error(`glow: steps must be a positive integer, got ${config.steps}`);
    if (config.coupling !== 'additive' && config.coupling !== 'affine') throw new Error(`glow: coupling must be 'additive' or 'affine', got '${config.coupling}'`);
    const glow = new Glow(config);
    let channels = config.channels;
    for (let level = 0; level < config.levels; level++) {
      channels *= 4;
      const hidden = config.hidden === 'half' ? Math.max(1, Math.floor(channels / 2)) : config.hidden;
      if (!Number.isInteger(hidden) || hidden < 1) throw new Error(`glow: hidden must be a positive integer or 'half', got ${config.hidden}`);
      const steps: FlowStep[] = [];
      for (let k = 0; k < config.steps; k++) steps.push(glow.child(`level${level}_step${k}`, await FlowStep.create(channels, hidden, config.coupling, rng)));
      glow.levels.push(steps);
    }
    return glow;
  }

  /** Shape of the flow latent for an input shape. */
  latentShape(input: readonly number[]): number[] {
    const f = 2 ** this.config.levels;
    const [n, c, h, w] = input;
    if (h % f !== 0 || w % f !== 0) throw new Error(`glow: image ${h}×${w} is not divisible by 2^levels = ${f}`);
    return [n, c * f * f, h / f, w / f];
  }

  /** Runs f once on `x` to set every ActNorm from data (call on a training batch before training). */
  initialize(x: T.Tensor): void {
    T.noGrad(() => T.tidy(() => void this.forward(x)));
  }

  /** u = f(x), and log|det ∂f/∂x| per sample when asked. */
  forward(x: T.Tensor, wantLogDet = false): FlowOutput {
    this.latentShape(x.shape);
    let y = x;
    let logDet: T.Tensor | null = null;
    for (const steps of this.levels) {
      y = T.squeeze2d(y);
      for (const step of steps) {
        const out = step.forward(y, wantLogDet);
        y = out.y;
        logDet = addLogDet(logDet, out.logDet);
      }
    }
    return { y, logDet };
  }

  /** x = f⁻¹(u). */
  inverse(u: T.Tensor): T.Tensor {
    let x = u;
    for (let level = this.levels.length - 1; level >= 0; level--) {
      const steps = this.levels[level];
      for (let k = steps.length - 1; k >= 0; k--) x = steps[k].inverse(x);
      x = T.unsqueeze2d(x);
    }
    return x;
  }
}
