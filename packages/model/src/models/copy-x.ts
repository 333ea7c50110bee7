// copy-x: the prediction that needs nothing, D(g, x) = x — "x copied", the floor every model of a pair
// data set must clear (issue 24's 3-D target: latent-action ≥ 3 dB above it). Any pair data set and
// any known group (SO(2), C_n, SO(3)); no parameters, so `cli train` writes and evaluates its run at
// once (registry trait `trainable: false`), and `experiments` tables list it like any model.
import * as T from '@maga/tensor';
import { Module } from '../nn/module.ts';
import { field, type Fields } from './config.ts';
import type { VectorAction } from '../groups/group.ts';
import { elementSize, parseGroup, vectorAction, type GroupConfig } from '../groups/registry.ts';
import { pairBatch, type Encoding, type GroupLawImages, type LossTerms, type Model, type ModelTraits, type PreparedDecoder, type TrainingBatch } from './model.ts';

export interface CopyXConfig {
  model: 'copy-x';
  imageSize: number;
  channels: number;
  /** The data set's group: only the size of its elements matters (x is returned whatever g is). */
  group: GroupConfig;
}

export const COPY_X_DEFAULTS: CopyXConfig = {
  model: 'copy-x',
  imageSize: 32,
  channels: 1,
  group: { kind: 'so2', frequencies: [1] },
};

export const COPY_X_TRAITS: ModelTraits = {
  label: 'x copied',
  element: 'known',
  pivot: true,
  transfer: 'none',
  groupLaws: true,
  lawsHold: 'pixels',
  latentParts: false,
  batch: 'group-pairs',
};

export class CopyX extends Module implements Model {
  readonly traits = COPY_X_TRAITS;
  readonly pivots = 'none' as const;
  readonly codeDim: number;
  private readonly law: VectorAction;

  constructor(readonly config: CopyXConfig) {
    super();
    this.codeDim = elementSize(config.group);
    this.law = vectorAction(config.group, 0, 1);
  }

  initializeFromData(): void {}

  /** Nothing to learn (never called in training: the registry marks the model untrainable). */
  lossTerms(batch: TrainingBatch): LossTerms {
    pairBatch(batch, 'copy-x');
    return { loss: T.zeros([]) };
  }

  predictPixels(batch: TrainingBatch): T.Tensor {
    const { x, g } = pairBatch(batch, 'copy-x');
    const rows = Math.max(x.shape[0], g.shape[0]);
    return x.broadcastTo([rows, ...x.shape.slice(1)]).mul(1);
  }

  predictLogits(batch: TrainingBatch): T.Tensor {
    const p = T.clamp(this.predictPixels(batch), 1e-6, 1 - 1e-6);
    return T.log(p.div(T.sub(1, p)));
  }

  encode(x: T.Tensor): Encoding {
    return { mu: x.flatten(1), logVar: null };
  }

  code(x: T.Tensor): T.Tensor {
    return this.law.identity(x.shape[0]).reshape([-1, this.codeDim]);
  }

  prepare(pivot: T.Tensor | null): PreparedDecoder {
    if (!pivot) throw new Error('copy-x returns its image x: an image is needed');
    const kept = T.keep(pivot);
    return {
      decode: (z) => kept.broadcastTo([Math.max(kept.shape[0], z.shape[0]), ...kept.shape.slice(1)]).mul(1),
      dispose: () => kept.dispose(),
    };
  }

  /** The trivial action keeps every law exactly: each image is x. */
  groupLaws(pivot: T.Tensor): GroupLawImages {
    const copy = () => pivot.mul(1); // distinct tensors: a caller may dispose each
    return { input: pivot, identity: copy(), sequential: copy(), combined: copy(), roundTrip: copy() };
  }

  override dispose(): void {
    this.law.dispose();
    super.dispose();
  }
}

export function parseCopyX(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): CopyXConfig {
  return { model: 'copy-x', imageSize, channels, group: parseGroup(field(c, '', 'group')) };
}
