// What a run trains on, behind one shape for the training loop: dSprites images (with pivots or
// not) or pairs (x, g·x) of a known-group data set. Both draw host batches in a seeded order that
// state()/restore() resume exactly, and upload one to the device when the step asks for it (inside
// the step's tidy scope, so its tensors are freed with the step's). The rendered 3-D sets render
// the next batch in a worker while a step runs (render-ahead.ts), in the same order, where the
// backend leaves a core free for it.
import * as T from '@maga/tensor';
import { isObjects3d, openPairDataset, Sampler, uploadBatch, uploadPairs, ValidationError, type GroupConfig, type Model, type PairDataset, type SamplerState, type TrainingBatch } from '@maga/model';
import { RenderAhead } from './render-ahead.ts';
import { dataLabel, isPairData, type RunConfig } from '../run/rundir.ts';

export interface TrainingData {
  /** `dsprites to-range`, `rotated-mnist so2`: for messages. */
  readonly label: string;
  /** How batches are drawn, where the run should say so (the 3-D sets: ahead in a worker, or in line and why). */
  readonly note: string | null;
  /** The next batch, drawn on the host (or rendered ahead in a worker); `upload` puts it on the device. */
  next(): Promise<unknown>;
  upload(batch: unknown): TrainingBatch;
  /** The state after the batches next() has returned. */
  state(): SamplerState;
  restore(state: SamplerState): void;
  /** Frees what drawing holds (the render-ahead worker); the data takes no more calls after it. */
  close(): void;
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
    const upload = (batch: unknown) => uploadPairs(batch as ReturnType<typeof sampler.next>, dataset.imageShape, group);
    let note: string | null = null;
    if (isObjects3d(data.dataset)) {
      const cores = navigator.hardwareConcurrency;
      const busy = T.hostThreads(T.backend());
      const forced = renderAheadChoice();
      if (forced === 'on' || (forced === 'auto' && busy < cores)) {
        const ahead = new RenderAhead(sampler, { name: data.dataset, group: data.group });
        note = `rendering: each batch in a worker during the previous step (${forced === 'on' ? 'MAGA_RENDER_AHEAD=on' : `the backend computes on ${busy} of ${cores} cores`})`;
        return { label, note, next: () => ahead.next(), upload, state: () => ahead.state(), restore: (state) => ahead.restore(state), close: () => ahead.close() };
      }
      // Measured (bench:objects3d-train, native with 2 BLAS threads on 2 cores): a worker beside
      // them made the loop 0.94–0.95× as fast as rendering in line; with 1 BLAS thread, 1.09–1.17×.
      note =
        forced === 'off'
          ? 'rendering: in line before each step (MAGA_RENDER_AHEAD=off)'
          : `rendering: in line before each step, since the backend computes on all ${cores} cores (a render-ahead worker would compete with it; OPENBLAS_NUM_THREADS=${Math.max(1, cores - 1)} OMP_NUM_THREADS=${Math.max(1, cores - 1)} leave it one, MAGA_RENDER_AHEAD=on forces it)`;
    }
    return { label, note, next: async () => sampler.next(), upload, state: () => sampler.state(), restore: (state) => sampler.restore(state), close: () => {} };
  }
  const sampler = new Sampler({ split: data.split, part: 'train', batchSize: training.batchSize, pivots: data.pairing, seed, limit: data.limit ?? undefined });
  return {
    label,
    note: null,
    next: async () => sampler.next(),
    upload: (batch) => {
      const b = batch as ReturnType<typeof sampler.next>;
      return uploadBatch(b.pivot, b.varying);
    },
    state: () => sampler.state(),
    restore: (state) => sampler.restore(state),
    close: () => {},
  };
}

/** MAGA_RENDER_AHEAD: on, off, or auto (unset: a worker where the backend leaves a core free); `train` checks it first. */
export function renderAheadChoice(): 'on' | 'off' | 'auto' {
  const value = process.env.MAGA_RENDER_AHEAD;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'on' || value === 'off') return value;
  throw new ValidationError(`MAGA_RENDER_AHEAD=${JSON.stringify(value)}: expected on, off or auto (unset: auto, a worker where the backend leaves a core free)`, 'MAGA_RENDER_AHEAD');
}

/** The pair data set of a known-group run (the MNIST sets read the digits once per process; the 3-D sets render on demand). */
export function openRunDataset(config: RunConfig): Promise<PairDataset> {
  if (!isPairData(config.data)) throw new Error(`the run trains on dsprites ${config.data.split}, not on a pair data set`);
  return openPairDataset(config.data.dataset, config.data.group);
}
