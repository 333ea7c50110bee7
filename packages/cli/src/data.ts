// What a run trains on, behind one shape for the training loop: dSprites images (with pivots or
// not) or pairs (x, g·x) of a known-group data set. Both draw host batches in a seeded order that
// state()/restore() resume exactly, and upload one to the device when the step asks for it (inside
// the step's tidy scope, so its tensors are freed with the step's).
import { openPairDataset, Sampler, uploadBatch, uploadPairs, type GroupConfig, type Model, type PairDataset, type SamplerState, type TrainingBatch } from '@maga/model';
import { dataLabel, isPairData, type RunConfig } from './rundir.ts';

export interface TrainingData {
  /** `dsprites to-range`, `rotated-mnist so2`: for messages. */
  readonly label: string;
  /** The next batch, drawn on the host; `upload` puts it on the device. */
  next(): unknown;
  upload(batch: unknown): TrainingBatch;
  state(): SamplerState;
  restore(state: SamplerState): void;
}

/** The known group a model takes, or an error naming the model. */
export function modelGroup(model: Model): GroupConfig {
  const group = (model.config as { group?: GroupConfig }).group;
  if (model.traits.element !== 'known' || !group) throw new Error(`a ${model.traits.label} model takes no known group element`);
  return group;
}

/** The run's training part, in the order the run's seed gives it. */
export async function openTrainingData(config: RunConfig, model: Model): Promise<TrainingData> {
  const { data, training, seed } = config;
  const label = dataLabel(data);
  if (isPairData(data)) {
    const dataset = await openRunDataset(config);
    const sampler = dataset.sampler({ part: 'train', batchSize: training.batchSize, seed, limit: data.limit ?? undefined });
    const group = modelGroup(model);
    return {
      label,
      next: () => sampler.next(),
      upload: (batch) => uploadPairs(batch as ReturnType<typeof sampler.next>, dataset.imageShape, group),
      state: () => sampler.state(),
      restore: (state) => sampler.restore(state),
    };
  }
  const sampler = new Sampler({ split: data.split, part: 'train', batchSize: training.batchSize, pivots: data.pairing, seed, limit: data.limit ?? undefined });
  return {
    label,
    next: () => sampler.next(),
    upload: (batch) => {
      const b = batch as ReturnType<typeof sampler.next>;
      return uploadBatch(b.pivot, b.varying);
    },
    state: () => sampler.state(),
    restore: (state) => sampler.restore(state),
  };
}

/** The pair data set of a known-group run (the MNIST sets read the digits once per process; the 3-D sets render on demand). */
export function openRunDataset(config: RunConfig): Promise<PairDataset> {
  if (!isPairData(config.data)) throw new Error(`the run trains on dsprites ${config.data.split}, not on a pair data set`);
  return openPairDataset(config.data.dataset, config.data.group);
}
