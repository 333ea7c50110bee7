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

/**
 * What Conv2d and ConvTranspose2d share: the channels and kernel size, a 4-D weight ([Co, Ci, K, K],
 * or [Ci, Co, K, K] transposed), an optional bias of Co, stride and padding.
 */
abstract class ConvLayer extends Module {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor | null;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    rng: T.Rng,
    options: ConvLayerOptions,
    transposed: boolean,
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    const weightShape = transposed ? [inChannels, outChannels, kernel, kernel] : [outChannels, inChannels, kernel, kernel];
    // PyTorch computes a transposed convolution's fan-in from weight dimension 1 (output channels).
    const fanIn = (transposed ? outChannels : inChannels) * kernel * kernel;
    const init = (shape: number[]) => (options.zeroInit ? T.zeros(shape) : uniformInit(rng, shape, fanIn));
    this.weight = this.parameter('weight', init(weightShape));
    this.bias = options.bias === false ? null : this.parameter('bias', init([outChannels]));
  }

  abstract forward(x: T.Tensor): T.Tensor;
}

/** y = W ⋆ x + b with W [Co, Ci, K, K]. */
export class Conv2d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernel: number, rng: T.Rng, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernel, rng, options, false);
  }

  /** The convolution, or with `relu` relu(convolution) as one op (see T.conv2d's `relu`). */
  forward(x: T.Tensor, options: { relu?: boolean } = {}): T.Tensor {
    return T.conv2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, padding: this.padding, relu: options.relu });
  }
}

/** The transposed convolution, W [Ci, Co, K, K]. */
export class ConvTranspose2d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernel: number, rng: T.Rng, options: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernel, rng, options, true);
  }

  forward(x: T.Tensor): T.Tensor {
    return T.convTranspose2d(x, this.weight, this.bias ?? undefined, { stride: this.stride, padding: this.padding });
  }
}
