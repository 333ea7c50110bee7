// Optimizers: SGD (with momentum), Adam and AdamW, each one fused in-place kernel per parameter.
// Gradient clipping by global norm is computed on the device and fed to the update kernels as a
// one-element tensor, so a training step needs no readback; the sum of squares behind the norm is
// one kernel over as many gradients as a dispatch can bind (a chain of ~17 for MAGANet's 114 on a
// GPU, one on the host), where a square and a sum per gradient were ~230 dispatches a step. State (step count and moment
// estimates, by parameter name) exports to host arrays for checkpoints and imports back.
import { WORKGROUP_1D, bindings, f32Bits, grid1dCounts, gridIndex, uniformDeclaration, uniformFloat, uniformWord, type Kernel } from './backend.ts';
import { describeShape } from './shape.ts';
import { Tensor, apply, assign, keep, noGrad, tidy, withBackend } from './tensor.ts';
import { full } from './ops/creation.ts';
import { add, div, maximum, sqrt } from './ops/elementwise.ts';
import { reshape } from './ops/movement.ts';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

export interface OptimizerOptions {
  lr: number;
  /** Adam/AdamW moment decay rates. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty (sgd, adam) or decoupled decay (adamw). */
  weightDecay?: number;
  /** SGD momentum. */
  momentum?: number;
  /** Rescale all gradients together so their global L2 norm is at most this. */
  clipNorm?: number;
}

export interface OptimizerState {
  kind: OptimizerKind;
  step: number;
  options: OptimizerOptions;
  /** Per parameter name: its moment estimates (m, v for Adam; m for SGD momentum). */
  slots: Record<string, Record<string, Float32Array>>;
}

interface UpdateParams {
  kind: OptimizerKind;
  n: number;
  momentum: boolean;
  /** This step's hyper-parameters; bias corrections 1 − β^t change every step. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  correction1: number;
  correction2: number;
  momentumFactor: number;
}

// Everything that changes between parameters or steps travels as uniform words (u[0] = n, then the
// hyper-parameters as floats), so there is one pipeline per optimizer kind.
const HYPER = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'correction1', 'correction2', 'momentumFactor'] as const;

const updateKernel: Kernel<UpdateParams> = {
  name: 'optimizer_update',
  key: (p) => `${p.kind}|${p.momentum}`,
  uniforms: (p) => [p.n, ...HYPER.map((h) => f32Bits(p[h]))],
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: ([g, scale], outputs, p) => {
    const [param, m, v] = outputs;
    const s = scale[0];
    for (let i = 0; i < p.n; i++) {
      let gi = g[i] * s;
      if (p.kind === 'sgd') {
        gi += p.weightDecay * param[i];
        if (p.momentum) {
          m[i] = p.momentumFactor * m[i] + gi;
          gi = m[i];
        }
        param[i] -= p.lr * gi;
        continue;
      }
      if (p.kind === 'adam') gi += p.weightDecay * param[i];
      else param[i] -= p.lr * p.weightDecay * param[i];
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * gi;
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * gi * gi;
      param[i] -= (p.lr * (m[i] / p.correction1)) / (Math.sqrt(v[i] / p.correction2) + p.eps);
    }
  },
  wgsl: (p, traits) => {
    const outputs = p.kind === 'sgd' ? (p.momentum ? ['param', 'm'] : ['param']) : ['param', 'm', 'v'];
    const h = (name: (typeof HYPER)[number]) => uniformFloat(1 + HYPER.indexOf(name));
    let body: string;
    if (p.kind === 'sgd') {
      body = `gi += wd * param[i];
  ${p.momentum ? `m[i] = ${h('momentumFactor')} * m[i] + gi; gi = m[i];` : ''}
  param[i] -= lr * gi;`;
    } else {
      body = `${p.kind === 'adam' ? 'gi += wd * param[i];' : 'param[i] -= lr * wd * param[i];'}
  let b1 = ${h('beta1')};
  let b2 = ${h('beta2')};
  let mi = b1 * m[i] + (1.0 - b1) * gi;
  let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  param[i] -= lr * (mi / ${h('correction1')}) / (sqrt(vi / ${h('correction2')}) + ${h('eps')});`;
    }
    return {
      code: `${bindings(['g', 'scale'], outputs)}
${uniformDeclaration(2 + outputs.length, 1 + HYPER.length)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  let lr = ${h('lr')};
  let wd = ${h('weightDecay')};
  var gi = g[i] * scale[0];
  ${body}
}`,
    };
  },
};

interface SumSquaresParams {
  /** Elements of each gradient of this link of the chain. */
  lengths: number[];
  /** Whether input 0 is the previous link's sum, added to this one's. */
  previous: boolean;
}

/** Threads of the one workgroup that sums a link: lavapipe's barriers are slow, so fewer there. */
const sumSquaresThreads = (cpuLike: boolean) => (cpuLike ? WORKGROUP_1D : 256);

const sumSquaresKernel: Kernel<SumSquaresParams> = {
  name: 'sum_squares',
  key: (p) => `${p.lengths.length}|${p.previous}`,
  uniforms: (p) => p.lengths,
  workgroups: () => [1, 1, 1],
  cpu: (inputs, [out], p) => {
    let s = p.previous ? inputs[0][0] : 0;
    for (let k = p.previous ? 1 : 0; k < inputs.length; k++) {
      const g = inputs[k];
      for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    }
    out[0] = s;
  },
  wgsl: (p, traits) => {
    const threads = sumSquaresThreads(traits.cpuLike);
    const names = p.lengths.map((_, k) => `g${k}`);
    const loops = names.map((g, k) => `for (var i = lid; i < ${uniformWord(k)}; i += ${threads}u) { let v = ${g}[i]; acc += v * v; }`).join('\n  ');
    const inputs = p.previous ? ['previous', ...names] : names;
    return {
      code: `${bindings(inputs, ['out'])}
${uniformDeclaration(inputs.length + 1, p.lengths.length)}
var<workgroup> partial: array<f32, ${threads}>;
@compute @workgroup_size(${threads}) fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  ${loops}
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = partial[0]${p.previous ? ' + previous[0]' : ''}; }
}`,
    };
  },
};

/**
 * Σ of the squares of every element of `tensors`, as a [1] tensor: one kernel per group of tensors
 * that a dispatch can bind, each adding the previous group's sum (host backends: one kernel).
 */
export function sumOfSquares(tensors: readonly Tensor[]): Tensor {
  if (tensors.length === 0) throw new Error('sumOfSquares: needs at least one tensor');
  const traits = tensors[0].backend.traits;
  // Bindings per dispatch: the gradients, the previous sum and the output.
  const perLink = traits ? Math.max(1, traits.maxStorageBuffersPerStage - 2) : tensors.length;
  let total: Tensor | null = null;
  for (let i = 0; i < tensors.length; i += perLink) {
    const chunk = tensors.slice(i, i + perLink);
    const next: Tensor = apply('sum_squares', total ? [total, ...chunk] : chunk, [1], sumSquaresKernel, { lengths: chunk.map((t) => t.size), previous: total !== null });
    total?.dispose();
    total = next;
  }
  return total!;
}

/** min(1, maxNorm / ‖g‖) over all gradients together, as a one-element tensor (no readback). */
export function clipScale(grads: readonly Tensor[], maxNorm: number): Tensor {
  return tidy(() => {
    const norm = sqrt(sumOfSquares(grads));
    return reshape(div(maxNorm, maximum(add(norm, 1e-6), full([], maxNorm))), [1]);
  });
}

/** The global L2 norm of a set of gradients, as a one-element tensor. */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  return tidy(() => sqrt(sumOfSquares(grads)));
}

export class Optimizer {
  readonly kind: OptimizerKind;
  readonly options: Required<OptimizerOptions>;
  /** Number of updates applied. */
  step = 0;
  private readonly params: Map<string, Tensor>;
  private readonly slots = new Map<string, Tensor[]>();

  constructor(kind: OptimizerKind, params: Record<string, Tensor> | Map<string, Tensor>, options: OptimizerOptions) {
    if (kind !== 'sgd' && kind !== 'adam' && kind !== 'adamw') throw new Error(`optimizer: unknown kind '${kind}' (sgd, adam, adamw)`);
    this.kind = kind;
    this.params = params instanceof Map ? new Map(params) : new Map(Object.entries(params));
    this.options = {
      lr: options.lr,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? (kind === 'adamw' ? 0.01 : 0),
      momentum: options.momentum ?? 0,
      clipNorm: options.clipNorm ?? 0,
    };
    const o = this.options;
    const checks: [string, number, boolean][] = [
      ['lr', o.lr, o.lr > 0],
      ['beta1', o.beta1, o.beta1 >= 0 && o.beta1 < 1],
      ['beta2', o.beta2, o.beta2 >= 0 && o.beta2 < 1],
      ['eps', o.eps, o.eps > 0],
      ['weightDecay', o.weightDecay, o.weightDecay >= 0],
      ['momentum', o.momentum, o.momentum >= 0 && o.momentum < 1],
      ['clipNorm', o.clipNorm, o.clipNorm >= 0],
    ];
    for (const [name, value, ok] of checks) if (!(ok && Number.isFinite(value))) throw new Error(`optimizer: invalid ${name} ${value}`);
    for (const [name, p] of this.params) {
      if (!p.requiresGrad) throw new Error(`optimizer: parameter ${name} ${describeShape(p.shape)} does not require gradients`);
    }
  }

  get lr(): number {
    return this.options.lr;
  }

  set lr(value: number) {
    if (!(value > 0)) throw new Error(`optimizer: invalid lr ${value}`);
    this.options.lr = value;
  }

  private slotCount(): number {
    return this.kind === 'sgd' ? (this.options.momentum > 0 ? 1 : 0) : 2;
  }

  private slotsFor(name: string, p: Tensor): Tensor[] {
    let s = this.slots.get(name);
    if (!s) {
      s = withBackend(p.backend, () => Array.from({ length: this.slotCount() }, () => keep(full(p.shape, 0))));
      this.slots.set(name, s);
    }
    return s;
  }

  /**
   * Applies one update from the parameters' `.grad` (or from `grads`, by parameter name), then
   * leaves `.grad` alone: call `zeroGrad()` before the next backward.
   */
  update(grads?: Map<string, Tensor>): void {
    const entries = [...this.params].map(([name, p]) => ({ name, p, g: grads ? grads.get(name) : p.grad }));
    const missing = entries.filter((e) => !e.g).map((e) => e.name);
    if (missing.length === entries.length) throw new Error('optimizer: no parameter has a gradient; call backward() first');
    this.step++;
    const o = this.options;
    noGrad(() =>
      tidy(() => {
        const present = entries.filter((e) => e.g) as { name: string; p: Tensor; g: Tensor }[];
        const first = present[0].p;
        const scale = withBackend(first.backend, () => (o.clipNorm > 0 ? clipScale(present.map((e) => e.g), o.clipNorm) : full([1], 1)));
        for (const { name, p, g } of present) {
          if (g.size !== p.size) throw new Error(`optimizer: gradient ${describeShape(g.shape)} for parameter ${name} ${describeShape(p.shape)}`);
          const slots = this.slotsFor(name, p);
          const params: UpdateParams = {
            kind: this.kind,
            n: p.size,
            momentum: o.momentum > 0,
            lr: o.lr,
            beta1: o.beta1,
            beta2: o.beta2,
            eps: o.eps,
            weightDecay: o.weightDecay,
            correction1: 1 - o.beta1 ** this.step,
            correction2: 1 - o.beta2 ** this.step,
            momentumFactor: o.momentum,
          };
          p.backend.run(updateKernel, [g.storage('optimizer'), scale.storage('optimizer')], [p.storage('optimizer'), ...slots.map((s) => s.storage('optimizer'))], params);
        }
      }),
    );
  }

  zeroGrad(): void {
    for (const p of this.params.values()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  async exportState(): Promise<OptimizerState> {
    const slots: OptimizerState['slots'] = {};
    const names = this.slotCount() === 2 ? ['m', 'v'] : ['m'];
    for (const [name, tensors] of this.slots) {
      slots[name] = {};
      for (let k = 0; k < tensors.length; k++) slots[name][names[k]] = await tensors[k].data();
    }
    return { kind: this.kind, step: this.step, options: { ...this.options }, slots };
  }

  /** Restores step count and moments; refuses state for other parameters or shapes. */
  importState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new Error(`optimizer: state is for ${state.kind}, this optimizer is ${this.kind}`);
    const names = this.slotCount() === 2 ? ['m', 'v'] : this.slotCount() === 1 ? ['m'] : [];
    for (const name of Object.keys(state.slots)) {
      const p = this.params.get(name);
      if (!p) throw new Error(`optimizer: state has moments for unknown parameter ${name}`);
      const slots = this.slotsFor(name, p);
      names.forEach((slotName, k) => {
        const values = state.slots[name][slotName];
        if (!values) throw new Error(`optimizer: state for ${name} lacks '${slotName}'`);
        if (values.length !== p.size) throw new Error(`optimizer: '${slotName}' of ${name} has ${values.length} values, parameter ${describeShape(p.shape)} has ${p.size}`);
        assign(slots[k], values);
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const slots of this.slots.values()) for (const s of slots) s.dispose();
    this.slots.clear();
  }
}

export const sgd = (params: Record<string, Tensor> | Map<string, Tensor>, options: OptimizerOptions) => new Optimizer('sgd', params, options);
export const adam = (params: Record<string, Tensor> | Map<string, Tensor>, options: OptimizerOptions) => new Optimizer('adam', params, options);
export const adamw = (params: Record<string, Tensor> | Map<string, Tensor>, options: OptimizerOptions) => new Optimizer('adamw', params, options);
