// What the data-space models with a known group share (winter, rotate-x, copy-x): D(g, x) is
// decodeWith(g, encodeCode(x)), where the code is whatever the model reads off x (x itself for the
// two baselines) and g acts in pixel space. The base keeps the group's law, the code of a known
// element, the logits, the group laws measured through encode and decode, and the images' check.
import * as T from '@maga/tensor';
import { Module } from '../nn/module.ts';
import type { VectorAction } from '../groups/group.ts';
import { elements, elementSize, groupName, turnsImagePlane, vectorAction, type GroupConfig } from '../groups/registry.ts';
import { measuredGroupLaws, pairBatch, type Encoding, type GroupLawImages, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

/** The common fields (model, imageSize, channels) and the group. */
export interface PixelActionConfig<M extends string = string> {
  model: M;
  imageSize: number;
  channels: number;
  group: GroupConfig;
}

/** The default configuration of a pixel-space model: 32×32, one channel, SO(2). */
export function pixelActionDefaults<M extends string>(model: M): PixelActionConfig<M> {
  return { model, imageSize: 32, channels: 1, group: { kind: 'so2', frequencies: [1] } };
}

/** Images must be [N, channels, imageSize, imageSize]; the error names the model and the shape. */
export function checkImages(config: PixelActionConfig, x: T.Tensor): void {
  const { model, channels, imageSize } = config;
  if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
    throw new Error(`${model}: images must be [N, ${channels}, ${imageSize}, ${imageSize}], got ${T.describeShape(x.shape)}`);
  }
}

/** Logits of pixels, clamped to [1e-6, 1 − 1e-6] (the Model interface's logits; evaluation uses the pixels). */
export function logitsOf(pixels: T.Tensor): T.Tensor {
  const p = T.clamp(pixels, 1e-6, 1 - 1e-6);
  return T.log(p.div(T.sub(1, p)));
}

export abstract class PixelActionModel<C extends PixelActionConfig, Code> extends Module implements Model {
  abstract readonly traits: ModelTraits;
  readonly pivots = 'none' as const;
  readonly codeDim: number;
  /** The group's law on elements (identity, compose, inverse); its action on vectors is not used. */
  protected readonly law: VectorAction;

  /** `planeOnly`: the model turns the image plane, so SO(3) is refused. */
  constructor(
    readonly config: C,
    { planeOnly }: { planeOnly: boolean },
  ) {
    super();
    const { model, group } = config;
    if (planeOnly && !turnsImagePlane(group)) throw new Error(`${model}: ${groupName(group)} does not turn the image plane; ${model} takes SO(2) and C_n`);
    this.codeDim = elementSize(group);
    this.law = vectorAction(group, 0, 1);
  }

  /** What the model reads off images x [N, C, H, W]. */
  abstract encodeCode(x: T.Tensor): Code;
  /** D(g, x) from x's code (a single x or g broadcasts). */
  abstract decodeWith(g: T.Tensor, code: Code): T.Tensor;
  abstract lossTerms(batch: TrainingBatch): LossTerms;
  abstract encode(x: T.Tensor): Encoding;
  abstract prepare(pivot: T.Tensor | null): PreparedDecoder;

  initializeFromData(): void {}

  predictPixels(batch: TrainingBatch): T.Tensor {
    const { x, g } = pairBatch(batch, this.config.model);
    return this.decodeWith(g, this.encodeCode(x));
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    return logitsOf(this.predictPixels(batch));
  }

  /** The code of the identity: g is known, so nothing of it is read off x. */
  code(x: T.Tensor): T.Tensor {
    return this.law.identity(x.shape[0]).reshape([-1, this.codeDim]);
  }

  groupLaws(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): GroupLawImages {
    const { group } = this.config;
    return measuredGroupLaws(this.law, pivot, elements(group, z1), elements(group, z2), (x) => this.encodeCode(x), (g, code) => this.decodeWith(g, code));
  }

  override dispose(): void {
    this.law.dispose();
    super.dispose();
  }
}

/** A baseline with nothing to learn: what it does to x with the known g, and what the rest needs to know. */
export interface ImageAction {
  traits: ModelTraits;
  /** The action turns the image plane: SO(3) is refused. */
  planeOnly: boolean;
  /** What the baseline does with its image, for the error when prepare() is given none. */
  needs: string;
  /** D(g, x) [max(N_g, N_x), C, H, W] (a single x or g broadcasts); a fresh tensor (a caller may dispose it). */
  act(g: T.Tensor, x: T.Tensor, config: PixelActionConfig): T.Tensor;
}

/**
 * The data-space baselines (rotate-x, copy-x): no parameters, x is its own code and its own latent,
 * D(g, x) = action.act(g, x). `cli train` writes their run directories without a training step
 * (registry trait `trainable: false`).
 */
export class ImageBaseline<C extends PixelActionConfig> extends PixelActionModel<C, T.Tensor> {
  readonly traits: ModelTraits;

  constructor(
    config: C,
    private readonly action: ImageAction,
  ) {
    super(config, { planeOnly: action.planeOnly });
    this.traits = action.traits;
  }

  encodeCode(x: T.Tensor): T.Tensor {
    return x;
  }

  decodeWith(g: T.Tensor, x: T.Tensor): T.Tensor {
    return this.action.act(g, x, this.config);
  }

  /** Nothing to learn: the loss is a constant 0 (never called in training). */
  lossTerms(batch: TrainingBatch): LossTerms {
    pairBatch(batch, this.config.model);
    return { loss: T.zeros([]) };
  }

  /** The image is its own latent. */
  encode(x: T.Tensor): Encoding {
    return { mu: x.flatten(1), logVar: null };
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error(`${this.config.model} ${this.action.needs}: an image is needed`);
    const kept = T.keep(pivot);
    return { decode: (z) => this.decodeWith(elements(this.config.group, z), kept), dispose: () => kept.dispose() };
  }
}

/** The class of one baseline (`new RotateX(config)`): ImageBaseline with its action fixed. */
export function imageBaselineClass<C extends PixelActionConfig>(action: ImageAction): new (config: C) => ImageBaseline<C> {
  return class extends ImageBaseline<C> {
    constructor(config: C) {
      super(config, action);
    }
  };
}
