// The plain layers: fully connected, convolution and transposed convolution, with PyTorch's
// weight layouts and default initialisation (uniform in ±1/√fan_in), so checkpoints map onto
// torch.nn modules one to one.
import * as T from '@maga/tensor';
import { Module } from './module.ts';

function uniformInit(rng: T.Rng, shape: number[], fanIn: number): T.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return rng.uniform(shape, -bound, bound);
}

export interface LayerOptions {
  bias?: boolean;
  /** Initialise weights (and bias) to zero, e.g. the last layer of a flow's coupling network. */
  zeroInit?: boolean;
}

export class Linear extends Module {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: T.Rng,
    options: LayerOptions = {},
  ) {
    super();
    const init = (shape: number[]) => (options.zeroInit ? T.zeros(shape) : uniformInit(rng, shape, inFeatures));
    this.weight = this.parameter('weight', init([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : this.parameter('bias', init([outFeatures]));
  }

  forward(x: T.Tensor): T.Tensor {
    return T.linear(x, this.weight, this.bias ?? undefined);
  }
}

export interface ConvLayerOptions extends LayerOptions {
  stride?: number;
  padding?: number;
}

export class Conv2d extends Module {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    rng: T.Rng,
    options: ConvLayerOptions = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const fanIn = inChannels * kernel * kernel;
    const init = (shape: number[]) => (options.zeroInit ? T.zeros(shape) : uniformInit(rng, shape, fanIn));
    this.weight = this.parameter('weight', init([outChannels, inChannels, kernel, kernel]));
    this.bias = options.bias === false ? null : this.parameter('bias', init([outChannels]));
  }

  forward(x: T.Tensor): T.Tensor {
    return T.conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, padding: this.padding });
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    rng: T.Rng,
    options: ConvLayerOptions = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    // PyTorch computes a transposed convolution's fan-in from weight dimension 1 (output channels).
    const fanIn = outChannels * kernel * kernel;
    const init = (shape: number[]) => (options.zeroInit ? T.zeros(shape) : uniformInit(rng, shape, fanIn));
    this.weight = this.parameter('weight', init([inChannels, outChannels, kernel, kernel]));
    this.bias = options.bias === false ? null : this.parameter('bias', init([outChannels]));
  }

  forward(x: T.Tensor): T.Tensor {
    return T.convTranspose2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, padding: this.padding });
  }
}
