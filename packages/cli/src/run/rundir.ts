// The run directory: what `cli train` writes and everything else reads. One place that knows the
// file names, their JSON shapes, and how to read them back with an error that names the file.
//
//   runs/NAME/config.json           model, data, training hyper-parameters, seed, code version, status
//   runs/NAME/log.jsonl             one line per logging interval
//   runs/NAME/model.safetensors     weights        ┐ the checkpoint: written together, atomically,
//   runs/NAME/optimizer.safetensors Adam moments   │ each carrying its step (see checkpoint.ts)
//   runs/NAME/state.json            step, data order and noise stream positions, status ┘
//   runs/NAME/metrics.json          after evaluation
//   runs/NAME/eval.jsonl            the test curve: a fixed test and train sample every N steps (--eval-every)
//   runs/NAME/run.lock              while a process trains it (run/lock.ts)
//   runs/NAME/figures/              `cli render`
//   runs/NAME/embedding-*.json      UMAP embeddings cached by `cli serve`
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, datasetEntry, modelSpec, parseModelConfig, parseRunData, ValidationError, type EvalMetrics, type ModelConfig, type PairData, type PairEvalMetrics, type RunData, type SamplerState, type SplitName } from '@maga/model';
import type { RngState } from '@maga/tensor';
import { writeFileAtomic } from './atomic.ts';

export const FILES = {
  config: 'config.json',
  log: 'log.jsonl',
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
  metrics: 'metrics.json',
  eval: 'eval.jsonl',
  figures: 'figures',
} as const;

/** A run's id is its directory name: one path component, no dot first (so never `.` or `..`). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** 'diverged': training stopped at a non-finite loss or weight; the checkpoint is the last good one. */
export type RunStatus = 'training' | 'done' | 'stopped' | 'error' | 'diverged';
const STATUSES: readonly RunStatus[] = ['training', 'done', 'stopped', 'error', 'diverged'];

/** Where and how a diverged run went non-finite (config.json's `divergence`). */
export interface Divergence {
  /** The step at which the non-finite value was seen. */
  step: number;
  /** What held it: a loss term (`loss`, `bce`, ...), `parameter <name>`, `optimizer moment <name>`, or `op <description>` (--check-numerics). */
  term: string;
  /** The value, as text: 'NaN', 'Infinity' or '-Infinity' (JSON has no numbers for them), or 'NaN or Inf' (webgpu's checked mode). */
  value: string;
  /** The step of the checkpoint left on disk, or null when the run never saved one. */
  checkpointStep: number | null;
}

/** A problem with a run's files, worded for the person who owns them. */
export class RunError extends Error {
  override name = 'RunError';
}

export type LrSchedule = 'constant' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];

export interface TrainingSettings {
  steps: number;
  batchSize: number;
  optimizer: 'adam';
  /** The peak learning rate; `schedule` says how it changes over the steps. */
  lr: number;
  schedule: LrSchedule;
  clipNorm: number;
  logEvery: number;
  checkpointEvery: number;
  evalCount: number;
  /** Evaluate the fixed test and train samples every this many steps into eval.jsonl (0: never). */
  evalEvery: number;
  /** Images of each part in those evaluations. */
  evalSample: number;
}

// A run's data (config.json's `data`): dSprites under a split, or pairs of a pair set under a
// group. Read by @maga/model's parseRunData, once; each data set's registry entry says the rest.
export type { DspritesData, PairData, RunData } from '@maga/model';

/** Whether a run trains on pairs (x, g·x) of a known group (its data names a group). */
export const isPairData = (data: RunData): data is PairData => datasetEntry(data.dataset).batch === 'group-pairs';

/** The dSprites split of a run's data, or null for data that has none (a pair set's): dSprites' own analyses (to-diff, the blog table, its figures) need one. */
export const splitOf = (data: RunData): SplitName | null => ('split' in data ? data.split : null);

/** What a run trains on, in a few words: `dsprites to-range`, `rotated-mnist so2` (its data set's entry says). */
export const dataLabel = (data: RunData) => datasetEntry(data.dataset).label(data);

/** The same as one path component (run names): `to-range`, `rotated-mnist-so2`. */
export const dataTag = (data: RunData) => datasetEntry(data.dataset).tag(data);

export interface RunConfig {
  format: 1;
  model: ModelConfig;
  data: RunData;
  training: TrainingSettings;
  seed: number;
  preset: string | null;
  code: { version: string; commit: string | null };
  /** The device of the run's first session. */
  backend: string;
  createdAt: string;
  status: RunStatus;
  /** Why the run failed, when status is 'error' or 'diverged'. */
  error?: string;
  /** When status is 'diverged'. */
  divergence?: Divergence;
  /** A run made with `train --from`: the run it copied, that run's checkpoint step, and the flags given. */
  from?: RunOrigin;
}

export interface RunOrigin {
  run: string;
  step: number | null;
  flags: string[];
}

function parseOrigin(value: unknown): RunOrigin {
  const o = check.record(value, 'from');
  return {
    run: check.string(o.run, 'from.run'),
    step: nullOrNonNegativeInt(o.step, 'from.step'),
    flags: check.satisfying<string[]>((v) => Array.isArray(v) && v.every((f) => typeof f === 'string'), 'a list of strings')(o.flags, 'from.flags'),
  };
}

export interface RunState {
  step: number;
  sampler: SamplerState;
  noise: RngState;
  status: RunStatus;
  savedAt: string;
  /** Seconds spent training, summed over every session of the run. */
  trainingSeconds: number;
}

export interface LogLine {
  step: number;
  /** Seconds of training since the run began (summed over resumed sessions). */
  time: number;
  loss: number;
  imagesPerSecond: number;
  lr: number;
  /**
   * The model's other named loss terms: bce, kl (and latent) for MAGANet and the VAE;
   * reconstruction, identity, equivariance for latent-action; reconstruction for flow-action.
   */
  [term: string]: number;
}

export interface RunMetrics {
  step: number;
  evaluatedAt: string;
  /** Images evaluated per part (fewer when a part is smaller). */
  count: number;
  /** Pair runs' metrics also hold one entry per bucket of g (PairEvalMetrics). */
  test: EvalMetrics | PairEvalMetrics;
  train: EvalMetrics | PairEvalMetrics;
}

export const filePath = (dir: string, name: keyof typeof FILES) => path.join(dir, FILES[name]);

let version: { version: string; commit: string | null } | null = null;

/** The version of this package and, when run from a git checkout, its commit (asked once per process). */
export function codeVersion(): { version: string; commit: string | null } {
  version ??= askCodeVersion();
  return { ...version };
}

function askCodeVersion(): { version: string; commit: string | null } {
  const version: string = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  let commit: string | null = null;
  try {
    const git = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: path.dirname(new URL(import.meta.url).pathname), stderr: 'ignore' });
    if (git.exitCode === 0) commit = git.stdout.toString().trim() || null;
  } catch {
    // No git: the version alone identifies the code.
  }
  return { version, commit };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a run file's values with the shared readers: a bad one becomes a RunError that names the file. */
function inFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ValidationError) throw new RunError(`${file}: ${e.message}`, { cause: e });
    throw e;
  }
}

const nullOrNonNegativeInt = check.satisfying<number | null>((v) => v === null || check.isNonNegativeInt(v), 'null or a non-negative integer');
const exactly = <T>(expected: T, words = JSON.stringify(expected)) => check.satisfying<T>((v) => v === expected, words);
/** Refuses `value` at `at` unless `ok`, saying what it must be. */
function ensure(ok: boolean, at: string, expected: string, value: unknown): void {
  if (!ok) throw check.invalid(at, expected, value);
}

// The largest sizes `cli train` accepts (its flags' limits): a config.json asking for more was
// not written by it, and building such a model would exhaust memory instead of failing clearly.
const MAX_MODEL_SIZE = 4096;
const MAX_BATCH = 4096;
const MAX_EVAL_COUNT = 737_280;

/** Refuses any size in the model config (a number, except the loss weights beta*) above MAX_MODEL_SIZE, naming its field. */
function checkModelSizes(value: unknown, where = 'model'): void {
  if (/\.beta[^.]*$/.test(where)) return;
  if (typeof value === 'number') {
    ensure(value <= MAX_MODEL_SIZE, where, `at most ${MAX_MODEL_SIZE}`, value);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkModelSizes(v, `${where}[${i}]`));
  } else if (check.isRecord(value)) {
    for (const [key, v] of Object.entries(value)) checkModelSizes(v, `${where}.${key}`);
  }
}

function parseDivergence(value: unknown): Divergence {
  const d = check.record(value, 'divergence');
  return {
    step: check.nonNegativeInt(d.step, 'divergence.step'),
    term: check.string(d.term, 'divergence.term'),
    value: check.string(d.value, 'divergence.value'),
    checkpointStep: nullOrNonNegativeInt(d.checkpointStep, 'divergence.checkpointStep'),
  };
}

/** Reads what `read` reads, its error (of any kind) a ValidationError at `at`. */
function rewording<T>(at: string, words: (message: string) => string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw new ValidationError(words((e as Error).message), at);
  }
}

const STATUS = check.oneOf(STATUSES);

/** Checks a config.json read from disk; errors name the file and the field. */
export function parseRunConfig(value: unknown, file: string = FILES.config): RunConfig {
  if (!check.isRecord(value)) throw new RunError(`${file}: expected a JSON object`);
  return inFile(file, () => {
    exactly(1)(value.format, 'format');
    // Any error of the model's parser is the file's: it names the field.
    const model = rewording('model', (m) => m, () => parseModelConfig(value.model));
    checkModelSizes(model);
    // The data set's registry entry checks it against the model (model, group, image size).
    const data = parseRunData(value.data, model);
    const t = check.record(value.training, 'training');
    for (const key of ['batchSize', 'logEvery', 'checkpointEvery', 'evalCount'] as const) check.positiveInt(t[key], `training.${key}`);
    // A model with nothing to learn (rotate-x) trains 0 steps; every other at least 1.
    if (modelSpec(model.model).trainable) check.positiveInt(t.steps, 'training.steps');
    else exactly(0)(t.steps, 'training.steps');
    ensure((t.batchSize as number) <= MAX_BATCH, 'training.batchSize', `at most ${MAX_BATCH}`, t.batchSize);
    ensure((t.evalCount as number) <= MAX_EVAL_COUNT, 'training.evalCount', `at most ${MAX_EVAL_COUNT}`, t.evalCount);
    exactly('adam')(t.optimizer, 'training.optimizer');
    check.positive(t.lr, 'training.lr');
    check.nonNegative(t.clipNorm, 'training.clipNorm');
    // Runs written before schedules existed trained at a constant rate.
    t.schedule ??= 'constant';
    check.oneOf(LR_SCHEDULES)(t.schedule, 'training.schedule');
    // Runs written before test curves existed have none.
    t.evalEvery ??= 0;
    t.evalSample ??= Math.min(t.evalCount as number, 256);
    check.nonNegativeInt(t.evalEvery, 'training.evalEvery');
    check.positiveInt(t.evalSample, 'training.evalSample');
    ensure((t.evalSample as number) <= MAX_EVAL_COUNT, 'training.evalSample', `at most ${MAX_EVAL_COUNT}`, t.evalSample);
    const seed = check.nonNegativeInt(value.seed, 'seed');
    const status = STATUS(value.status, 'status');
    const divergence = value.divergence === undefined ? undefined : parseDivergence(value.divergence);
    const code = check.isRecord(value.code) ? value.code : {};
    return {
      format: 1,
      model,
      data,
      training: t as unknown as TrainingSettings,
      seed,
      preset: typeof value.preset === 'string' ? value.preset : null,
      code: { version: String(code.version ?? 'unknown'), commit: typeof code.commit === 'string' ? code.commit : null },
      backend: String(value.backend ?? 'unknown'),
      createdAt: String(value.createdAt ?? ''),
      status,
      ...(typeof value.error === 'string' ? { error: value.error } : {}),
      ...(divergence ? { divergence } : {}),
      ...(value.from !== undefined ? { from: parseOrigin(value.from) } : {}),
    };
  });
}

export function readRunConfig(dir: string): RunConfig {
  const file = filePath(dir, 'config');
  return parseRunConfig(readJson(file), file);
}

export function writeRunConfig(dir: string, config: RunConfig): void {
  writeFileAtomic(filePath(dir, 'config'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Records a run's status (and why, for 'error' and 'diverged') in config.json. */
export function setRunStatus(dir: string, status: RunStatus, error?: string, divergence?: Divergence): void {
  const config = readRunConfig(dir);
  config.status = status;
  if (error !== undefined) config.error = error;
  else delete config.error;
  if (divergence !== undefined) config.divergence = divergence;
  else delete config.divergence;
  writeRunConfig(dir, config);
}

export function parseRunState(value: unknown, file: string = FILES.state): RunState {
  if (!check.isRecord(value)) throw new RunError(`${file}: expected a JSON object`);
  return inFile(file, () => {
    const step = check.nonNegativeInt(value.step, 'step');
    const sampler = check.satisfying<SamplerState>((v) => check.isRecord(v) && Number.isSafeInteger(v.epoch) && Number.isSafeInteger(v.position), '{ epoch, position }')(value.sampler, 'sampler');
    const noise = check.satisfying<RngState>((v) => check.isRecord(v) && Array.isArray(v.key) && Number.isSafeInteger(v.counter), '{ key, counter }')(value.noise, 'noise');
    const status = STATUS(value.status, 'status');
    const trainingSeconds = check.nonNegative(value.trainingSeconds, 'trainingSeconds');
    return { step, sampler, noise, status, savedAt: String(value.savedAt ?? ''), trainingSeconds };
  });
}

/** The committed checkpoint state, or null when the run has not saved one yet. */
export function readRunState(dir: string): RunState | null {
  const file = filePath(dir, 'state');
  if (!fs.existsSync(file)) return null;
  return parseRunState(readJson(file), file);
}

export function readMetrics(dir: string): RunMetrics | null {
  const file = filePath(dir, 'metrics');
  if (!fs.existsSync(file)) return null;
  const value = readJson(file);
  if (!check.isRecord(value) || !check.isRecord(value.test) || !check.isRecord(value.train)) throw new RunError(`${file}: expected { step, test, train, ... }`);
  return value as unknown as RunMetrics;
}

export function writeMetrics(dir: string, metrics: RunMetrics): void {
  writeFileAtomic(filePath(dir, 'metrics'), `${JSON.stringify(metrics, null, 2)}\n`);
}

export function appendLog(dir: string, line: LogLine): void {
  fs.appendFileSync(filePath(dir, 'log'), `${JSON.stringify(line)}\n`);
}

/** The log's lines; a last line cut short by a crash is skipped. */
export function readLog(dir: string): LogLine[] {
  return readJsonLines<LogLine>(filePath(dir, 'log'), (line) => typeof line.step === 'number');
}

/**
 * The records of a JSON-lines file that `accept` takes (none when the file is absent). A line that
 * does not parse is skipped: only a crash cut short in the middle of an append writes one, and these
 * files are only ever appended to.
 */
function readJsonLines<T>(file: string, accept: (line: Record<string, unknown>) => boolean): T[] {
  if (!fs.existsSync(file)) return [];
  const lines: T[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      continue;
    }
    if (check.isRecord(line) && accept(line)) lines.push(line as unknown as T);
  }
  return lines;
}

/** Rewrites a JSON-lines file atomically with `lines`. */
function writeJsonLines(file: string, lines: readonly unknown[]): void {
  writeFileAtomic(file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
}

/**
 * Keeps only the log lines up to `step` (a resumed run repeats the steps after its checkpoint, so
 * their old lines would otherwise appear twice).
 */
export function truncateLog(dir: string, step: number): void {
  writeJsonLines(filePath(dir, 'log'), readLog(dir).filter((line) => line.step <= step));
}

/** One line of eval.jsonl: after `step` steps (`images` training images), each part's metrics on its fixed sample. */
export interface EvalLine {
  step: number;
  images: number;
  /** Images evaluated per part. */
  count: number;
  test: Record<string, number>;
  train: Record<string, number>;
}

export function appendEval(dir: string, line: EvalLine): void {
  fs.appendFileSync(filePath(dir, 'eval'), `${JSON.stringify(line)}\n`);
}

/** The test curve's lines; a last line cut short by a crash is skipped. */
export function readEvalLog(dir: string): EvalLine[] {
  return readJsonLines<EvalLine>(filePath(dir, 'eval'), (line) => typeof line.step === 'number' && check.isRecord(line.test) && check.isRecord(line.train));
}

/** Keeps the evaluations up to `step` (a resumed run evaluates again after its checkpoint). */
export function truncateEvalLog(dir: string, step: number): void {
  if (!fs.existsSync(filePath(dir, 'eval'))) return;
  writeJsonLines(filePath(dir, 'eval'), readEvalLog(dir).filter((line) => line.step <= step));
}

/** `runs/<model>-<split>-<UTC timestamp>`: sortable, and unique to the second. */
export function defaultRunName(model: string, split: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${model}-${split}-${stamp}`;
}
