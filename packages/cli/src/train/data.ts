// What a run trains on, behind one shape for the training loop: its data set's entry draws host
// batches (dSprites images with pivots or not, pairs (x, g·x) of a known-group set) in a seeded
// order that state()/restore() resume exactly, and uploads one to the device when the step asks
// for it (inside the step's tidy scope, so its tensors are freed with the step's). Sets whose
// entry says rendering is costly (the 3-D sets) render the next batch in a worker while a step
// runs (render-ahead.ts), in the same order, where the backend leaves a core free for it.
import * as T from '@maga/tensor';
import { datasetEntry, modelGroupConfig, openDataset, ValidationError, type GroupConfig, type Model, type PairBatchSampler, type PairData, type PairDataset, type SamplerState, type TrainingBatch } from '@maga/model';
import { RenderAhead } from './render-ahead.ts';
import { dataLabel, type RunConfig } from '../run/rundir.ts';

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
export const modelGroup = (model: Model): GroupConfig => modelGroupConfig(model);

/** The run's training part, in the order the run's seed gives it (its data set's entry draws it). */
export async function openTrainingData(config: RunConfig, model: Model): Promise<TrainingData> {
  const { data, training, seed } = config;
  const label = dataLabel(data);
  const entry = datasetEntry(data.dataset);
  const { sampler, upload } = await entry.training(data as never, { batchSize: training.batchSize, seed }, model);
  let note: string | null = null;
  // Sets whose batches cost much to render (the 3-D sets) draw the next one in a worker while a step runs.
  if (entry.renderAhead) {
    const cores = navigator.hardwareConcurrency;
    const busy = T.hostThreads(T.backend());
    const forced = renderAheadChoice();
    if (forced === 'on' || (forced === 'auto' && busy < cores)) {
      const ahead = new RenderAhead(sampler as PairBatchSampler, { name: data.dataset, group: (data as PairData).group });
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

/** MAGA_RENDER_AHEAD: on, off, or auto (unset: a worker where the backend leaves a core free); `train` checks it first. */
export function renderAheadChoice(): 'on' | 'off' | 'auto' {
  const value = process.env.MAGA_RENDER_AHEAD;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'on' || value === 'off') return value;
  throw new ValidationError(`MAGA_RENDER_AHEAD=${JSON.stringify(value)}: expected on, off or auto (unset: auto, a worker where the backend leaves a core free)`, 'MAGA_RENDER_AHEAD');
}

/** The pair data set of a known-group run (the MNIST sets read the digits once per process; the 3-D sets render on demand). */
export function openRunDataset(config: RunConfig): Promise<PairDataset> {
  // A set without pairs (dSprites) is refused by openDataset, naming it.
  return openDataset(config.data.dataset, (config.data as PairData).group);
}
