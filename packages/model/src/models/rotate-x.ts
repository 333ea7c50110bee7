// rotate-x: the bound every data-space method meets, with no model at all. D(g, x) = R_g·x, the
// known g applied to x's pixels by the data sets' own rotation (rotate2d: bilinear, zero outside,
// about the image centre, exact index permutations for quarter turns — so under C₄ it is the data
// set's rotation of x bit for bit). For the SO(2) and C_n digit sets, where g turns the image plane;
// not for contrast (g changes intensities) or the 3-D sets (g turns an object in space).
//
// What it cannot do is what the issue is about: it turns the fixed block of rotated-blocked-mnist
// with the digit, and it cannot show the part of the digit that x's block hid. No parameters:
// "training" it is writing its run directory (registry trait `trainable: false`).
import * as T from '@maga/tensor';
import { Module } from '../nn/module.ts';
import { ConfigError, field, type Fields } from './config.ts';
import type { VectorAction } from '../groups/group.ts';
import { elements, elementSize, groupName, parseGroup, vectorAction, type GroupConfig } from '../groups/registry.ts';
import { planeAngles } from './latent-action.ts';
import { pairBatch, type Encoding, type GroupLawImages, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export interface RotateXConfig {
  model: 'rotate-x';
  imageSize: number;
  channels: number;
  /** SO(2) or C_n, the group whose element turns the image plane (frequencies are not used). */
  group: GroupConfig;
}

export const ROTATE_X_DEFAULTS: RotateXConfig = {
  model: 'rotate-x',
  imageSize: 32,
  channels: 1,
  group: { kind: 'so2', frequencies: [1] },
};

export const ROTATE_X_TRAITS: ModelTraits = {
  label: 'rotate-x',
  element: 'known',
  pivot: true,
  transfer: 'none',
  groupLaws: true,
  lawsHold: 'pixels',
  latentParts: false,
  batch: 'group-pairs',
};

/** Logits of pixels, clamped to [1e-6, 1 − 1e-6] (the Model interface's logits; evaluation uses the pixels). */
function logitsOf(pixels: T.Tensor): T.Tensor {
  const p = T.clamp(pixels, 1e-6, 1 - 1e-6);
  return T.log(p.div(T.sub(1, p)));
}

export class RotateX extends Module implements Model {
  readonly traits = ROTATE_X_TRAITS;
  readonly pivots = 'none' as const;
  readonly codeDim: number;
  /** The group's law on elements (compose, inverse, identity); its action on vectors is not used. */
  private readonly law: VectorAction;

  constructor(readonly config: RotateXConfig) {
    super();
    if (config.group.kind === 'so3') throw new Error(`rotate-x: ${groupName(config.group)} does not turn the image plane; rotate-x takes SO(2) and C_n`);
    this.codeDim = elementSize(config.group);
    this.law = vectorAction(config.group, 0, 1);
  }

  /** R_g·x: each image turned by its element's angle (a single x or g broadcasts). */
  rotate(g: T.Tensor, x: T.Tensor): T.Tensor {
    const { channels, imageSize } = this.config;
    if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== imageSize || x.shape[3] !== imageSize) {
      throw new Error(`rotate-x: images must be [N, ${channels}, ${imageSize}, ${imageSize}], got ${T.describeShape(x.shape)}`);
    }
    const rows = Math.max(x.shape[0], g.shape[0]);
    return T.rotate2d(x.broadcastTo([rows, ...x.shape.slice(1)]), planeAngles(this.config.group, g).broadcastTo([rows]));
  }

  initializeFromData(): void {}

  /** Nothing to learn: the loss is a constant 0 (the registry marks the model untrainable, so it is never called in training). */
  lossTerms(batch: TrainingBatch): LossTerms {
    pairBatch(batch, 'rotate-x');
    const loss = T.zeros([]);
    return { loss };
  }

  predictPixels(batch: TrainingBatch): T.Tensor {
    const { x, g } = pairBatch(batch, 'rotate-x');
    return this.rotate(g, x);
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    return logitsOf(this.predictPixels(batch));
  }

  /** The image is its own latent. */
  encode(x: T.Tensor): Encoding {
    return { mu: x.flatten(1), logVar: null };
  }

  code(x: T.Tensor): T.Tensor {
    return this.law.identity(x.shape[0]).reshape([-1, this.codeDim]);
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('rotate-x turns an image x: an image is needed');
    const kept = T.keep(pivot);
    return { decode: (z) => this.rotate(elements(this.config.group, z), kept), dispose: () => kept.dispose() };
  }

  /** Exact under C₄ (index permutations); under SO(2) two bilinear resamplings against one. */
  groupLaws(pivot: T.Tensor, z1: T.Tensor, z2: T.Tensor): GroupLawImages {
    const [g1, g2] = [elements(this.config.group, z1), elements(this.config.group, z2)];
    const once = this.rotate(g1, pivot);
    return {
      input: pivot,
      identity: this.rotate(this.law.identity(1), pivot),
      sequential: this.rotate(g2, once),
      combined: this.rotate(this.law.compose(g2, g1), pivot),
      roundTrip: this.rotate(this.law.inverse(g1), once),
    };
  }

  override dispose(): void {
    this.law.dispose();
    super.dispose();
  }
}

export function parseRotateX(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): RotateXConfig {
  const group = parseGroup(field(c, '', 'group'));
  if (group.kind === 'so3') throw new ConfigError(`config: rotate-x takes the groups so2 and cyclic (turns of the image plane), not so3`);
  return { model: 'rotate-x', imageSize, channels, group };
}
