// The convolutional Gaussian encoder shared by MAGANet's pivot and varying images: four
// stride-2 convolutions (64×64 → 4×4) and a three-layer MLP to (μ, log σ²). With width 32, hidden
// 256 and d = 10 it has 252,052 parameters, as the blog's.
import * as T from '@maga/tensor';
import { Conv2d, Linear } from '../nn/layers.ts';
import { Module } from '../nn/module.ts';

export interface EncoderConfig {
  channels: number;
  imageSize: number;
  /** Channels of every convolution. */
  width: number;
  /** Units of the two hidden MLP layers. */
  hidden: number;
  latentDim: number;
}

export interface Gaussian {
  mu: T.Tensor;
  logVar: T.Tensor;
}

export class ConvEncoder extends Module {
  readonly convs: Conv2d[] = [];
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;

  constructor(
    readonly config: EncoderConfig,
    rng: T.Rng,
  ) {
    super();
    const { channels, imageSize, width, hidden, latentDim } = config;
    if (imageSize % 16 !== 0) throw new Error(`encoder: image size ${imageSize} must be divisible by 16 (four stride-2 convolutions)`);
    for (let i = 0; i < 4; i++) {
      this.convs.push(this.child(`conv${i + 1}`, new Conv2d(i === 0 ? channels : width, width, 4, rng, { stride: 2, padding: 1 })));
    }
    const flat = width * (imageSize / 16) ** 2;
    this.fc1 = this.child('fc1', new Linear(flat, hidden, rng));
    this.fc2 = this.child('fc2', new Linear(hidden, hidden, rng));
    this.fc3 = this.child('fc3', new Linear(hidden, 2 * latentDim, rng));
  }

  forward(x: T.Tensor): Gaussian {
    let h = x;
    for (const conv of this.convs) h = conv.forward(h, { relu: true });
    const out = this.fc3.forward(this.fc2.forward(this.fc1.forward(h.flatten(1)).relu()).relu());
    const [mu, logVar] = T.split(out, 2, 1);
    return { mu, logVar };
  }
}
