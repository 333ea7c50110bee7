// The β-VAE baseline (Higgins et al. 2017) of the blog: a convolutional encoder 1→32→64→128→256
// (k4, s2, p1) to (μ, log σ²), and a mirrored transposed-convolution decoder to logits. Loss per
// image: BCE summed over pixels + β·KL.
import * as T from '@maga/tensor';
import { Conv2d, ConvTranspose2d, Linear } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';
import type { Gaussian } from './encoder.ts';
import { imageBatch, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export interface VaeConfig {
  model: 'vae';
  imageSize: number;
  channels: number;
  latentDim: number;
  /** Channels of the four encoder convolutions (the decoder mirrors them). */
  widths: number[];
  beta: number;
}

export const VAE_DEFAULTS: VaeConfig = {
  model: 'vae',
  imageSize: 64,
  channels: 1,
  latentDim: 10,
  widths: [32, 64, 128, 256],
  beta: 4,
};

export interface VaeLosses {
  loss: T.Tensor;
  bce: T.Tensor;
  kl: T.Tensor;
}

export const VAE_TRAITS: ModelTraits = {
  label: 'β-VAE',
  element: 'learned',
  pivot: false,
  transfer: 'arithmetic',
  groupLaws: false,
  lawsHold: null,
  latentParts: false,
  batch: 'dsprites',
};

export class Vae extends Module implements Model {
  readonly traits = VAE_TRAITS;
  readonly pivots = 'none' as const;
  readonly encoderConvs: Conv2d[] = [];
  readonly fcMu: Linear;
  readonly fcLogVar: Linear;
  readonly fcDecode: Linear;
  readonly decoderConvs: ConvTranspose2d[] = [];
  private readonly base: number;

  constructor(
    readonly config: VaeConfig,
    rng: T.Rng,
  ) {
    super();
    const { channels, imageSize, latentDim, widths } = config;
    if (widths.length !== 4) throw new Error(`vae: widths must list 4 channel counts, got [${widths.join(', ')}]`);
    if (imageSize % 16 !== 0) throw new Error(`vae: image size ${imageSize} must be divisible by 16`);
    this.base = imageSize / 16;
    widths.forEach((w, i) => {
      this.encoderConvs.push(this.child(`enc${i + 1}`, new Conv2d(i === 0 ? channels : widths[i - 1], w, 4, rng, { stride: 2, padding: 1 })));
    });
    const flat = widths[3] * this.base * this.base;
    this.fcMu = this.child('fcMu', new Linear(flat, latentDim, rng));
    this.fcLogVar = this.child('fcLogVar', new Linear(flat, latentDim, rng));
    this.fcDecode = this.child('fcDecode', new Linear(latentDim, flat, rng));
    const decoderWidths = [...widths].reverse(); // 256, 128, 64, 32
    decoderWidths.forEach((w, i) => {
      const out = i === 3 ? channels : decoderWidths[i + 1];
      this.decoderConvs.push(this.child(`dec${i + 1}`, new ConvTranspose2d(w, out, 4, rng, { stride: 2, padding: 1 })));
    });
  }

  encode(x: T.Tensor): Gaussian {
    let h = x;
    for (const conv of this.encoderConvs) h = conv.forward(h).relu();
    const flat = h.flatten(1);
    return { mu: this.fcMu.forward(flat), logVar: this.fcLogVar.forward(flat) };
  }

  /** Logits of the decoded images for latents z [N, d]. */
  decodeLogits(z: T.Tensor): T.Tensor {
    let h = this.fcDecode.forward(z).relu().reshape([z.shape[0], this.config.widths[3], this.base, this.base]);
    this.decoderConvs.forEach((conv, i) => {
      h = conv.forward(h);
      if (i < this.decoderConvs.length - 1) h = h.relu();
    });
    return h;
  }

  decode(z: T.Tensor): T.Tensor {
    return T.sigmoid(this.decodeLogits(z));
  }

  reconstructLogits(x: T.Tensor): T.Tensor {
    return this.decodeLogits(this.encode(x).mu);
  }

  losses(x: T.Tensor, noise: T.Tensor): VaeLosses {
    const n = x.shape[0];
    const { mu, logVar } = this.encode(x);
    const z = mu.add(logVar.mul(0.5).exp().mul(noise));
    const bce = T.bceWithLogits(this.decodeLogits(z), x, 'sum').div(n);
    const kl = T.gaussianKl(mu, logVar, 'sum').div(n);
    return { loss: bce.add(kl.mul(this.config.beta)), bce, kl };
  }

  // ---- the Model interface ----------------------------------------------------------------

  get codeDim(): number {
    return this.config.latentDim;
  }

  initializeFromData(): void {}

  lossTerms(batch: TrainingBatch, rng: T.Rng): LossTerms {
    const { varying } = imageBatch(batch, 'the β-VAE');
    return { ...this.losses(varying, rng.normal([varying.shape[0], this.config.latentDim])) };
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    return this.reconstructLogits(imageBatch(batch, 'the β-VAE').varying);
  }

  /** A VAE's code is μ of the image; it has no pivot. */
  code(x: T.Tensor): T.Tensor {
    return this.encode(x).mu;
  }

  prepare(): PreparedDecoder {
    return { decode: (z) => this.decode(z), dispose: () => {} };
  }
}
