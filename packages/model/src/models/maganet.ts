// MAGANet (Hwang, Choi, Cho, Kang, ICML 2023): the encoder gives the group element that moves the
// pivot to the varying image, z = E(x_varying) − E(x_pivot), and the flow decoder applies it to
// the pivot, D(z, x_pivot) = f⁻¹(f(ℓ(x_pivot)) + M·z). Trained with
//   BCE(D(z, x_p), x_v) + β_KL·KL(q(z) ‖ N(0, I)) + β_latent·‖E(x_p, D(z, x_p)) − z‖₁   (per image).
import * as T from '@maga/tensor';
import type { PivotMode } from '../data/sampler.ts';
import { TranslationAction } from '../actions.ts';
import { FlowDecoder, logitsToPixels } from '../decoder.ts';
import { Glow, type CouplingKind } from '../flow/glow.ts';
import { Module } from '../nn/module.ts';
import { ConvEncoder, type Gaussian } from './encoder.ts';
import { imageBatch, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export type Pairing = 'fixed' | 'random';

export interface MaganetConfig {
  model: 'maganet';
  imageSize: number;
  channels: number;
  latentDim: number;
  encoder: { width: number; hidden: number };
  glow: { levels: number; steps: number; coupling: CouplingKind; hidden: number | 'half' };
  /** Squashing of pixels before the logit, ℓ(x) = logit(ε + (1 − 2ε)x). */
  epsilon: number;
  betaKl: number;
  betaLatent: number;
  /** The blog's fixed pivot image, or random pivot/varying pairs. */
  pairing: Pairing;
}

export const MAGANET_DEFAULTS: MaganetConfig = {
  model: 'maganet',
  imageSize: 64,
  channels: 1,
  latentDim: 10,
  encoder: { width: 32, hidden: 256 },
  glow: { levels: 3, steps: 3, coupling: 'additive', hidden: 'half' },
  epsilon: 1e-3,
  betaKl: 2,
  betaLatent: 300,
  pairing: 'fixed',
};

/** The loss and its terms, each a scalar tensor averaged over the batch (per image). */
export interface MaganetLosses {
  loss: T.Tensor;
  bce: T.Tensor;
  kl: T.Tensor;
  latent: T.Tensor;
}

export const MAGANET_TRAITS: ModelTraits = {
  label: 'MAGANet',
  element: 'learned',
  pivot: true,
  transfer: 'action',
  groupLaws: true,
  lawsHold: 'flow',
  latentParts: false,
  batch: 'dsprites',
};

export class Maganet extends Module implements Model {
  readonly traits = MAGANET_TRAITS;

  private constructor(
    readonly config: MaganetConfig,
    readonly encoder: ConvEncoder,
    readonly decoder: FlowDecoder,
  ) {
    super();
    this.child('encoder', encoder);
    this.child('decoder', decoder);
  }

  static async create(config: MaganetConfig, rng: T.Rng): Promise<Maganet> {
    const { imageSize, channels, latentDim } = config;
    const encoder = new ConvEncoder({ channels, imageSize, width: config.encoder.width, hidden: config.encoder.hidden, latentDim }, rng);
    const flow = await Glow.create({ channels, ...config.glow }, rng);
    const action = new TranslationAction(latentDim, channels * imageSize * imageSize, rng);
    return new Maganet(config, encoder, new FlowDecoder(flow, action, config.epsilon));
  }

  encode(x: T.Tensor): Gaussian {
    return this.encoder.forward(x);
  }

  /**
   * The group element taking the pivot to the varying image, as a Gaussian: the difference of two
   * independent Gaussians, N(μ_v − μ_p, σ_v² + σ_p²).
   */
  transformation(pivot: T.Tensor, varying: T.Tensor): Gaussian & { pivotCode: Gaussian } {
    const p = this.encode(pivot);
    const v = this.encode(varying);
    return { mu: v.mu.sub(p.mu), logVar: T.add(v.logVar.exp(), p.logVar.exp()).log(), pivotCode: p };
  }

  /** D(z, pivot) as logits. */
  decodeLogits(z: T.Tensor, pivot: T.Tensor): T.Tensor {
    return this.decoder.logits(z, pivot);
  }

  /** D(z, pivot) in pixels (exactly the pivot for z = 0). */
  decode(z: T.Tensor, pivot: T.Tensor): T.Tensor {
    return this.decoder.decode(z, pivot);
  }

  /**
   * The group laws of D on a pivot, as pixel images to compare: D(0, x) with x (identity),
   * D(z₂, D(z₁, x)) with D(z₁ + z₂, x) (composition), D(−z₁, D(z₁, x)) with x (inverse). Chained
   * actions are composed in ℓ-space (see FlowDecoder.actOnLogits), where the group acts exactly.
   */
  groupLaws(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): { input: T.Tensor; identity: T.Tensor; sequential: T.Tensor; combined: T.Tensor; roundTrip: T.Tensor } {
    const { decoder } = this;
    const action = decoder.action;
    const pixels = (logits: T.Tensor) => logitsToPixels(logits, this.config.epsilon);
    const once = decoder.logits(z1, pivot);
    return {
      input: pivot,
      identity: decoder.decode(action.identity(z1.shape[0]), pivot),
      sequential: pixels(decoder.actOnLogits(z2, once)),
      combined: decoder.decode(action.compose(z2, z1), pivot),
      roundTrip: pixels(decoder.actOnLogits(action.inverse(z1), once)),
    };
  }

  /** Deterministic reconstruction of the varying images from the pivot (z = μ), as logits. */
  reconstructLogits(pivot: T.Tensor, varying: T.Tensor): T.Tensor {
    return this.decodeLogits(this.transformation(pivot, varying).mu, pivot);
  }

  /** Runs the flow once on real images so every ActNorm starts from data. */
  initialize(images: T.Tensor): void {
    T.noGrad(() => T.tidy(() => void this.decoder.flowLatent(images)));
  }

  /** The training loss for a batch; `noise` ~ N(0, I) of shape [N, d] draws z. */
  losses(pivot: T.Tensor, varying: T.Tensor, noise: T.Tensor): MaganetLosses {
    const n = varying.shape[0];
    const { mu, logVar, pivotCode } = this.transformation(pivot, varying);
    const z = mu.add(logVar.mul(0.5).exp().mul(noise));
    const logits = this.decodeLogits(z, pivot);
    const bce = T.bceWithLogits(logits, varying, 'sum').div(n);
    const kl = T.gaussianKl(mu, logVar, 'sum').div(n);
    // E(x_pivot, D(z, x_pivot)): the element that moves the pivot to what was decoded should be z.
    const recovered = this.encode(T.sigmoid(logits)).mu.sub(pivotCode.mu);
    const latent = T.l1(recovered, z, 'sum').div(n);
    const loss = bce.add(kl.mul(this.config.betaKl)).add(latent.mul(this.config.betaLatent));
    return { loss, bce, kl, latent };
  }

  // ---- the Model interface ----------------------------------------------------------------

  get codeDim(): number {
    return this.config.latentDim;
  }

  get pivots(): PivotMode {
    return this.config.pairing;
  }

  initializeFromData(batch: TrainingBatch): void {
    this.initialize(imageBatch(batch, 'MAGANet').varying);
  }

  lossTerms(batch: TrainingBatch, rng: T.Rng): LossTerms {
    const { pivot, varying } = imageBatch(batch, 'MAGANet');
    if (!pivot) throw new Error('MAGANet needs pivot images in every batch');
    const noise = rng.normal([varying.shape[0], this.config.latentDim]);
    return { ...this.losses(pivot, varying, noise) };
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    const { pivot, varying } = imageBatch(batch, 'MAGANet');
    if (!pivot) throw new Error('MAGANet needs pivot images to reconstruct');
    return this.reconstructLogits(pivot, varying);
  }

  code(x: T.Tensor, pivot: T.Tensor | null): T.Tensor {
    if (!pivot) throw new Error('MAGANet codes are transformations from a pivot: a pivot image is needed');
    return this.transformation(pivot, x).mu;
  }

  /** Keeps the pivot's flow latent f(ℓ(pivot)), the same for every z: each decode runs only f⁻¹(u + M·z). */
  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('MAGANet decodes by acting on a pivot image: a pivot is needed');
    const { decoder } = this;
    const u = T.keep(T.tidy(() => decoder.flowLatent(pivot)));
    return {
      decode: (z) => logitsToPixels(decoder.flow.inverse(decoder.action.act(z, u)), this.config.epsilon),
      dispose: () => u.dispose(),
    };
  }
}
