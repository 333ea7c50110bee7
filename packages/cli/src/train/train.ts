// The training loop behind `cli train`: creates or resumes a run directory, trains with periodic
// atomic checkpoints, stops cleanly on request (Ctrl-C), then evaluates. A resumed run continues
// with exactly the batches and noise it would have drawn had it never stopped: the sampler's
// (epoch, position) and the noise generator's counter are part of every checkpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createModel, DataParallel, datasetEntry, encodeModule, encodeOptimizer, psnrOfMse, trainStep, type EvalMetrics, type Model, type PairEvalMetrics } from '@maga/model';
import * as T from '@maga/tensor';
import { initBackend, type BackendInfo } from '../run/backend.ts';
import { openCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointFiles } from '../run/checkpoint.ts';
import { LiveTensorBoard } from '../export/tensorboard-run.ts';
import { renderRun } from '../figures/render.ts';
import { openTrainingData } from './data.ts';
import { checkedModeFailure, divergenceError, DivergenceError, nonFiniteInCheckpoint, nonFiniteTerm } from './divergence.ts';
import { formatDuration, formatTerms, type Reporter } from './progress.ts';
import { appendLog, dataLabel, filePath, readRunConfig, RunError, setRunStatus, truncateLog, writeMetrics, writeRunConfig, type LogLine, type RunConfig, type RunMetrics, type RunState } from '../run/rundir.ts';

/** Set `requested` to stop at the next step boundary (after which a checkpoint is saved). */
export interface StopSignal {
  requested: boolean;
}

export interface TrainOptions {
  backend?: T.BackendChoice;
  reporter: Reporter;
  stop?: StopSignal;
  /** Changes allowed when resuming: a new total of steps, logging and checkpoint intervals, and (after a divergence) the learning rate and clip. */
  overrides?: Partial<Pick<RunConfig['training'], 'steps' | 'logEvery' | 'checkpointEvery' | 'evalCount' | 'lr' | 'clipNorm'>>;
  /** Run the tensor core's checked mode: the first op whose output is not finite stops training, named. */
  checkNumerics?: boolean;
  /** Write TensorBoard event files into the run's tensorboard/ as it trains (export/tensorboard-run.ts). */
  tensorboard?: boolean;
}

export interface TrainResult {
  dir: string;
  status: 'done' | 'stopped';
  step: number;
  seconds: number;
  imagesPerSecond: number | null;
  metrics: RunMetrics | null;
}

/** The learning rate of the step after `step` steps: constant, or a cosine from lr down to lr/10. */
export function learningRate(training: RunConfig['training'], step: number): number {
  if (training.schedule !== 'cosine') return training.lr;
  const progress = Math.min(1, step / Math.max(1, training.steps));
  return training.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** The noise stream's seed: same seed as the model's initialisation, but another key word. */
const noiseSeed = (seed: number) => seed + 2 ** 32;

/** Creates a new run directory holding its config.json; refuses one that already exists. */
export function createRunDir(dir: string, config: RunConfig): void {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  try {
    fs.mkdirSync(dir); // not recursive: fails if it exists, even if another process just made it
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RunError(`${dir} already exists: resume it with --resume ${dir}, or choose another --out`);
    throw e;
  }
  writeRunConfig(dir, config);
}

/** Trains the run in `dir` (new or resumed) to its number of steps, then evaluates it. */
export async function train(dir: string, options: TrainOptions): Promise<TrainResult> {
  const { reporter } = options;
  const stop = options.stop ?? { requested: false };
  if (!fs.existsSync(filePath(dir, 'config'))) throw new RunError(`${dir} is not a run directory (it has no config.json): nothing to resume`);
  let config = readRunConfig(dir);
  const checkpoint = openCheckpoint(dir);
  if (options.overrides && Object.keys(options.overrides).length > 0) {
    config = { ...config, training: { ...config.training, ...options.overrides } };
  }
  const { training } = config;
  const startStep = checkpoint?.state.step ?? 0;
  if (checkpoint && startStep >= training.steps) {
    throw new RunError(`${dir} has already trained ${startStep} of ${training.steps} steps: pass --steps N (more than ${startStep}) to train further`);
  }
  const backend = await initBackend(options.backend);
  reportBackend(reporter, backend);
  config.status = 'training';
  delete config.error;
  delete config.divergence;
  if (!checkpoint) config.backend = backend.description;
  writeRunConfig(dir, config);
  reporter.note(`${checkpoint ? `resuming ${dir} at step ${startStep}` : `training ${dir}`}: ${config.model.model} on ${dataLabel(config.data)}, ${training.steps} steps of ${training.batchSize}`);

  const checked = T.isChecked();
  if (options.checkNumerics) T.setChecked(true);
  try {
    return await trainLoop(dir, config, checkpoint, backend, reporter, stop, options.tensorboard ? new LiveTensorBoard() : null);
  } catch (e) {
    if (e instanceof DivergenceError) setRunStatus(dir, 'diverged', e.message, e.divergence);
    else setRunStatus(dir, 'error', (e as Error).message);
    throw e;
  } finally {
    T.setChecked(checked);
  }
}

function reportBackend(reporter: Reporter, backend: BackendInfo): void {
  if (backend.fallback) reporter.note(`maga: ${backend.fallback}`);
  reporter.note(`backend: ${backend.description}`);
}

async function trainLoop(
  dir: string,
  config: RunConfig,
  checkpoint: ReturnType<typeof openCheckpoint>,
  backend: BackendInfo,
  reporter: Reporter,
  stop: StopSignal,
  tensorboard: LiveTensorBoard | null,
): Promise<TrainResult> {
  const { training } = config;
  const model = await createModel(config.model, config.seed);
  const sampler = await openTrainingData(config, model);
  if (sampler.note) reporter.note(sampler.note);
  let parallel: DataParallel | null = null;
  // The render-ahead worker of the 3-D sets and the shards' workers stop with the loop, however it ends.
  try {
    const noise = new T.Rng(noiseSeed(config.seed));
    const optimizer = T.adam(model.parameters(), { lr: training.lr, clipNorm: training.clipNorm });
    let step = 0;
    let trainingSeconds = 0;
    if (checkpoint) {
      restoreCheckpoint(dir, checkpoint, { model, optimizer, sampler, noise });
      step = checkpoint.state.step;
      trainingSeconds = checkpoint.state.trainingSeconds;
      truncateLog(dir, step);
    } else {
      // A session that died before its first checkpoint may have logged steps: they start again.
      truncateLog(dir, 0);
    }
    if (!checkpoint) {
      // Data-dependent initialisation (MAGANet's ActNorm) from the first training batch, the one step 1 will use.
      const start = sampler.state();
      const first = await sampler.next();
      T.tidy(() => model.initializeFromData(sampler.upload(first)));
      sampler.restore(start);
    }
    // The batch's shards on threads of their own (the native engine's plan); checked mode names the
    // failing op from the main thread's tape, so it keeps to one thread.
    if (T.isChecked()) reporter.note('checked mode: training on one thread (the shards of other threads are not checked)');
    else parallel = await DataParallel.create(model, { announce: (line) => reporter.note(line) });

    if (tensorboard) {
      const file = tensorboard.start(dir, config, step, checkpoint !== null);
      for (const note of tensorboard.notes) reporter.note(note);
      reporter.note(`tensorboard: ${file}`);
    }
    let savedStep = checkpoint ? step : null; // the checkpoint on disk
    const diverged = (term: string, value: number | null, detail?: string, at = step) => {
      for (const pending of inFlight) pending.catch(() => {}); // what they would report is reported here
      optimizer.dispose();
      model.dispose();
      return divergenceError(dir, config, at, term, value, savedStep, detail, T.isChecked());
    };
    // Checked mode (--check-numerics) throws at the failing op on cpu, and on webgpu when the step
    // is synced or read (each step is waited for in checked mode, so `at` is the failing step).
    const numericsFailure = (e: unknown, at: number) => {
      const failure = checkedModeFailure(e);
      return failure ? diverged(failure.term, failure.value, failure.detail, at) : e;
    };
    const inFlight: Promise<void>[] = [];
    const save = async (status: RunState['status']) => {
      const began = performance.now();
      const state: RunState = { step, sampler: sampler.state(), noise: noise.state(), status, savedAt: new Date().toISOString(), trainingSeconds };
      let files: CheckpointFiles;
      try {
        files = { model: await encodeModule(model, { step: String(step) }), optimizer: await encodeOptimizer(optimizer), state };
      } catch (e) {
        throw numericsFailure(e, step); // reading the weights back runs the checks still pending on webgpu
      }
      // The last step's loss may be finite while its update was not: the weights are checked too.
      const bad = nonFiniteInCheckpoint(files.model, files.optimizer);
      if (bad) throw diverged(bad.term, bad.value, `${bad.found.count} of its ${bad.found.size} values; the checkpoint of step ${step} was not written`);
      saveCheckpoint(dir, files);
      savedStep = step;
      return (performance.now() - began) / 1000;
    };

    const sessionStart = performance.now();
    let intervalStart = performance.now();
    let intervalStep = step;
    let pausedSeconds = 0;
    let last: LogLine | null = null;
    let rate: number | null = null; // images per second over the last logging interval
    const eta = () => (rate ? ((training.steps - step) * training.batchSize) / rate : null);

    // The device may run behind the host: at most one recorded step waits behind the running one,
    // so the host keeps the device busy, the progress shown is the device's, and Ctrl-C stops
    // within a step or two instead of after every step already queued.
    while (step < training.steps && !stop.requested) {
      const batch = await sampler.next();
      optimizer.lr = learningRate(training, step);
      let terms: Record<string, T.Tensor>;
      try {
        terms = T.tidy(() => trainStep(model, sampler.upload(batch), optimizer, noise, parallel));
      } catch (e) {
        throw numericsFailure(e, step + 1);
      }
      step++;
      inFlight.push(T.backend().sync());
      try {
        // Checked mode waits for each step: its checks are then reported against that step's ops.
        if (inFlight.length > (T.isChecked() ? 0 : 1)) await inFlight.shift();
      } catch (e) {
        for (const t of Object.values(terms)) t.dispose();
        throw numericsFailure(e, step);
      }
      // A stop logs its last step too, so the log ends where the checkpoint does.
      const logging = step % training.logEvery === 0 || step === training.steps || stop.requested;
      const saving = step % training.checkpointEvery === 0 && step < training.steps;
      // The terms are read only where the log reads them, and before a checkpoint is written.
      let values: Record<string, number> | null = null;
      try {
        if (logging || saving) values = Object.fromEntries(await Promise.all(Object.entries(terms).map(async ([name, t]) => [name, await t.item()] as const)));
      } catch (e) {
        for (const t of Object.values(terms)) t.dispose();
        throw numericsFailure(e, step);
      }
      const bad = values ? nonFiniteTerm(values) : null;
      if (bad) {
        for (const t of Object.values(terms)) t.dispose();
        throw diverged(bad.term, bad.value);
      }
      if (logging && values) {
        const now = performance.now();
        const seconds = (now - intervalStart) / 1000 - pausedSeconds;
        rate = ((step - intervalStep) * training.batchSize) / Math.max(seconds, 1e-9);
        trainingSeconds += (now - intervalStart) / 1000;
        intervalStart = now;
        intervalStep = step;
        pausedSeconds = 0;
        last = { step, time: round(trainingSeconds, 3), ...roundAll(values), imagesPerSecond: round(rate, 2), lr: optimizer.lr } as LogLine;
        appendLog(dir, last);
        tensorboard?.log(last);
        reporter.log({ step, steps: training.steps, imagesPerSecond: rate, etaSeconds: eta(), last });
      } else {
        reporter.step({ step, steps: training.steps, imagesPerSecond: rate, etaSeconds: eta(), last });
      }
      for (const t of Object.values(terms)) t.dispose();
      if (saving) {
        pausedSeconds += await save('training');
        reporter.note(`checkpoint: step ${step}`);
      }
      // Let signal handlers (Ctrl-C) run: without a turn of the event loop they never would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    trainingSeconds += (performance.now() - intervalStart) / 1000;
    const sessionSeconds = (performance.now() - sessionStart) / 1000;
    const status = stop.requested && step < training.steps ? 'stopped' : 'done';
    await save(status);
    setRunStatus(dir, status);
    const imagesPerSecond = rate;
    const summary = [
      `${status === 'stopped' ? 'stopped' : 'finished'} at step ${step}/${training.steps} in ${formatDuration(sessionSeconds)} (${backend.description})`,
      ...(last ? [`last log: ${formatTerms(last)}${imagesPerSecond ? `, ${imagesPerSecond.toFixed(1)} images/s` : ''}`] : []),
      `run directory: ${dir}`,
    ];
    let metrics: RunMetrics | null = null;
    if (status === 'done') {
      reporter.note(`evaluating ${training.evalCount} test and ${training.evalCount} train images`);
      metrics = await evaluateRun(model, config, step, training.evalCount, false, parallel);
      writeMetrics(dir, metrics);
      if (tensorboard) {
        tensorboard.metrics(metrics);
        reporter.note('tensorboard: rendering the figures (as cli render)');
        await renderRun(dir);
        tensorboard.figures(dir, step);
      }
      summary.push(`test:  ${formatMetrics(metrics.test)}`, `train: ${formatMetrics(metrics.train)}`);
    } else {
      summary.push(`resume with: bun run cli train --resume ${dir}`);
    }
    optimizer.dispose();
    model.dispose();
    reporter.finish(summary);
    return { dir, status, step, seconds: sessionSeconds, imagesPerSecond, metrics };
  } finally {
    parallel?.dispose();
    tensorboard?.close();
    sampler.close();
  }
}

/**
 * Metrics on a seeded sample of the test part and of the train part: dSprites images of the run's
 * split, or a fixed set of pairs (x, g·x) with g stratified over its buckets. Metrics that are not
 * finite are refused (finite weights can still overflow) unless `allowNonFinite`.
 */
export async function evaluateRun(model: Model, config: RunConfig, step: number, count: number, allowNonFinite = false, parallel: DataParallel | null = null): Promise<RunMetrics> {
  const entry = datasetEntry(config.data.dataset);
  const test: EvalMetrics | PairEvalMetrics = await entry.evaluate(model, config.data as never, { part: 'test', count, seed: 0, parallel });
  const train: EvalMetrics | PairEvalMetrics = await entry.evaluate(model, config.data as never, { part: 'train', count, seed: 0, parallel });
  if (!allowNonFinite) {
    for (const [part, m] of [['test', test], ['train', train]] as const) {
      const bad = nonFiniteTerm({ bce: m.bce, mse: m.mse, psnr: m.psnr, ssim: m.ssim, ...(m.msssim !== undefined ? { msssim: m.msssim } : {}) });
      if (bad) {
        throw new RunError(
          `evaluation of step ${step} gave ${part} ${bad.term} = ${bad.value}: the weights are finite but the reconstructions are not ` +
            `(--check-numerics names the op that overflows; cli eval --allow-non-finite shows the metrics anyway)`,
        );
      }
    }
  }
  return { step, evaluatedAt: new Date().toISOString(), count, test, train };
}

export function formatMetrics(m: EvalMetrics): string {
  const ms = m.msssim !== undefined ? `  MS-SSIM ${m.msssim.toFixed(4)}` : '';
  return `BCE ${m.bce.toFixed(2)}  MSE ${m.mse.toFixed(5)}  PSNR ${psnrOfMse(m.mse).toFixed(2)} dB (of the set; per image ${m.psnr.toFixed(2)})  SSIM ${m.ssim.toFixed(4)}${ms}  (${m.images} images)`;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
function roundAll(values: Record<string, number>): Record<string, number> {
  // Six significant digits: enough for curves, and the log stays readable.
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v.toPrecision(6))]));
}
