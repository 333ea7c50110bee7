// The run directory: what `cli train` writes and everything else reads. One place that knows the
// file names, their JSON shapes, and how to read them back with an error that names the file.
//
//   runs/NAME/config.json           model, data, training hyper-parameters, seed, code version, status
//   runs/NAME/log.jsonl             one line per logging interval
//   runs/NAME/model.safetensors     weights        ┐ the checkpoint: written together, atomically,
//   runs/NAME/optimizer.safetensors Adam moments   │ each carrying its step (see checkpoint.ts)
//   runs/NAME/state.json            step, data order and noise stream positions, status ┘
//   runs/NAME/metrics.json          after evaluation
//   runs/NAME/figures/              `cli render`
//   runs/NAME/embedding-*.json      UMAP embeddings cached by `cli serve`
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkPairGroup, groupLabelOf, pairImageShape, parseModelConfig, parsePairDataset, parseSplit, type EvalMetrics, type ModelConfig, type PairDatasetName, type PairEvalMetrics, type PivotMode, type SamplerState, type SplitName } from '@maga/model';
import type { RngState } from '@maga/tensor';
import { writeFileAtomic } from './atomic.ts';

export const FILES = {
  config: 'config.json',
  log: 'log.jsonl',
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
  metrics: 'metrics.json',
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
}

/** A dSprites run's data: a split of the grid, how pivots are drawn, and an optional subset size. */
export interface DspritesData {
  dataset: 'dsprites';
  split: SplitName;
  pairing: PivotMode;
  limit: number | null;
}

/**
 * A known-group run's data: pairs (x, g·x) of a pair data set under a group, written as the data
 * set names it ('so2', 'c4', 'so3', …); `limit` keeps that many training sources (digits,
 * phantoms or 3-D objects).
 */
export interface PairData {
  dataset: PairDatasetName;
  group: string;
  limit: number | null;
}

export type RunData = DspritesData | PairData;

export const isPairData = (data: RunData): data is PairData => data.dataset !== 'dsprites';

/** What a run trains on, in a few words: `dsprites to-range`, `rotated-mnist so2`. */
export const dataLabel = (data: RunData) => (isPairData(data) ? `${data.dataset} ${data.group}` : `dsprites ${data.split}`);

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

function parseOrigin(value: unknown, file: string): RunOrigin {
  const o = need<Record<string, unknown>>(isObject(value), file, 'from must be an object { run, step, flags }', value);
  need(typeof o.run === 'string', file, 'from.run must be a string', o.run);
  need(o.step === null || (typeof o.step === 'number' && Number.isSafeInteger(o.step) && o.step >= 0), file, 'from.step must be null or a non-negative integer', o.step);
  need(Array.isArray(o.flags) && o.flags.every((f) => typeof f === 'string'), file, 'from.flags must be a list of strings', o.flags);
  return { run: o.run as string, step: o.step as number | null, flags: o.flags as string[] };
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

/** The version of this package and, when run from a git checkout, its commit. */
export function codeVersion(): { version: string; commit: string | null } {
  const version: string = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need<T>(ok: boolean, file: string, what: string, value: unknown): T {
  if (!ok) throw new RunError(`${file}: ${what}, got ${JSON.stringify(value)}`);
  return value as T;
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

// The largest sizes `cli train` accepts (its flags' limits): a config.json asking for more was
// not written by it, and building such a model would exhaust memory instead of failing clearly.
const MAX_MODEL_SIZE = 4096;
const MAX_BATCH = 4096;
const MAX_EVAL_COUNT = 737_280;

/** Refuses any size in the model config (a number, except the loss weights beta*) above MAX_MODEL_SIZE, naming its field. */
function checkModelSizes(value: unknown, file: string, where = 'model'): void {
  if (/\.beta[^.]*$/.test(where)) return;
  if (typeof value === 'number') {
    if (value > MAX_MODEL_SIZE) throw new RunError(`${file}: ${where} must be at most ${MAX_MODEL_SIZE}, got ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkModelSizes(v, file, `${where}[${i}]`));
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) checkModelSizes(v, file, `${where}.${key}`);
  }
}

function parseDivergence(value: unknown, file: string): Divergence {
  const d = need<Record<string, unknown>>(isObject(value), file, 'divergence must be an object', value);
  need(typeof d.step === 'number' && Number.isSafeInteger(d.step) && d.step >= 0, file, 'divergence.step must be a non-negative integer', d.step);
  need(typeof d.term === 'string', file, 'divergence.term must be a string', d.term);
  need(typeof d.value === 'string', file, 'divergence.value must be a string', d.value);
  need(d.checkpointStep === null || (typeof d.checkpointStep === 'number' && Number.isSafeInteger(d.checkpointStep) && d.checkpointStep >= 0), file, 'divergence.checkpointStep must be null or a non-negative integer', d.checkpointStep);
  return { step: d.step as number, term: d.term as string, value: d.value as string, checkpointStep: d.checkpointStep as number | null };
}
/** The data of a config.json, checked against its model: dSprites models train on dSprites, known-group models on pairs of their group. */
function parseRunData(value: unknown, model: ModelConfig, file: string): RunData {
  const data = need<Record<string, unknown>>(isObject(value), file, 'data must be an object', value);
  const limit = need<number | null>(data.limit === null || positiveInt(data.limit), file, 'data.limit must be null or a positive integer', data.limit);
  const modelGroup = 'group' in model ? model.group : null;
  if (data.dataset === 'dsprites') {
    need(modelGroup === null, file, `data.dataset must be a pair data set for model ${model.model}, not dsprites`, data.dataset);
    let split: SplitName;
    try {
      split = parseSplit(String(data.split));
    } catch (e) {
      throw new RunError(`${file}: data.split: ${(e as Error).message}`);
    }
    const pairing = need<PivotMode>(['fixed', 'random', 'none'].includes(data.pairing as string), file, 'data.pairing must be fixed, random or none', data.pairing);
    return { dataset: 'dsprites', split, pairing, limit };
  }
  let dataset: PairDatasetName;
  let group: string;
  try {
    dataset = parsePairDataset(String(data.dataset));
    group = checkPairGroup(dataset, String(data.group));
  } catch (e) {
    throw new RunError(`${file}: data: ${(e as Error).message} (data.dataset is dsprites or a pair data set)`);
  }
  need(modelGroup !== null, file, `data.dataset must be dsprites for model ${model.model}`, data.dataset);
  const modelLabel = groupLabelOf(modelGroup!);
  need(modelLabel === group, file, `data.group must be the model's group ${modelLabel}`, data.group);
  const [channels, size] = pairImageShape(dataset);
  need(model.imageSize === size && model.channels === channels, file, `model.imageSize and model.channels must be ${size} and ${channels} for ${dataset}'s ${channels}×${size}×${size} images`, { imageSize: model.imageSize, channels: model.channels });
  return { dataset, group, limit };
}

const nonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks a config.json read from disk; errors name the file and the field. */
export function parseRunConfig(value: unknown, file: string = FILES.config): RunConfig {
  if (!isObject(value)) throw new RunError(`${file}: expected a JSON object`);
  need(value.format === 1, file, 'format must be 1', value.format);
  let model: ModelConfig;
  try {
    model = parseModelConfig(value.model);
  } catch (e) {
    throw new RunError(`${file}: ${(e as Error).message}`);
  }
  checkModelSizes(model, file);
  const data = parseRunData(value.data, model, file);
  const t = need<Record<string, unknown>>(isObject(value.training), file, 'training must be an object', value.training);
  for (const key of ['steps', 'batchSize', 'logEvery', 'checkpointEvery', 'evalCount'] as const) need(positiveInt(t[key]), file, `training.${key} must be a positive integer`, t[key]);
  need((t.batchSize as number) <= MAX_BATCH, file, `training.batchSize must be at most ${MAX_BATCH}`, t.batchSize);
  need((t.evalCount as number) <= MAX_EVAL_COUNT, file, `training.evalCount must be at most ${MAX_EVAL_COUNT}`, t.evalCount);
  need(t.optimizer === 'adam', file, 'training.optimizer must be "adam"', t.optimizer);
  need(nonNegative(t.lr) && (t.lr as number) > 0, file, 'training.lr must be a positive number', t.lr);
  need(nonNegative(t.clipNorm), file, 'training.clipNorm must be a non-negative number', t.clipNorm);
  // Runs written before schedules existed trained at a constant rate.
  t.schedule ??= 'constant';
  need(LR_SCHEDULES.includes(t.schedule as LrSchedule), file, `training.schedule must be one of ${LR_SCHEDULES.join(', ')}`, t.schedule);
  need(typeof value.seed === 'number' && Number.isSafeInteger(value.seed) && value.seed >= 0, file, 'seed must be a non-negative integer', value.seed);
  need(STATUSES.includes(value.status as RunStatus), file, `status must be one of ${STATUSES.join(', ')}`, value.status);
  const divergence = value.divergence === undefined ? undefined : parseDivergence(value.divergence, file);
  const code = isObject(value.code) ? value.code : {};
  return {
    format: 1,
    model,
    data,
    training: t as unknown as TrainingSettings,
    seed: value.seed as number,
    preset: typeof value.preset === 'string' ? value.preset : null,
    code: { version: String(code.version ?? 'unknown'), commit: typeof code.commit === 'string' ? code.commit : null },
    backend: String(value.backend ?? 'unknown'),
    createdAt: String(value.createdAt ?? ''),
    status: value.status as RunStatus,
    ...(typeof value.error === 'string' ? { error: value.error } : {}),
    ...(divergence ? { divergence } : {}),
    ...(value.from !== undefined ? { from: parseOrigin(value.from, file) } : {}),
  };
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
  if (!isObject(value)) throw new RunError(`${file}: expected a JSON object`);
  need(typeof value.step === 'number' && Number.isSafeInteger(value.step) && value.step >= 0, file, 'step must be a non-negative integer', value.step);
  const sampler = need<SamplerState>(isObject(value.sampler) && Number.isSafeInteger(value.sampler.epoch) && Number.isSafeInteger(value.sampler.position), file, 'sampler must be { epoch, position }', value.sampler);
  const noise = need<RngState>(isObject(value.noise) && Array.isArray(value.noise.key) && Number.isSafeInteger(value.noise.counter), file, 'noise must be { key, counter }', value.noise);
  need(STATUSES.includes(value.status as RunStatus), file, `status must be one of ${STATUSES.join(', ')}`, value.status);
  need(nonNegative(value.trainingSeconds), file, 'trainingSeconds must be a non-negative number', value.trainingSeconds);
  return { step: value.step as number, sampler, noise, status: value.status as RunStatus, savedAt: String(value.savedAt ?? ''), trainingSeconds: value.trainingSeconds as number };
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
  if (!isObject(value) || !isObject(value.test) || !isObject(value.train)) throw new RunError(`${file}: expected { step, test, train, ... }`);
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
  const file = filePath(dir, 'log');
  if (!fs.existsSync(file)) return [];
  const lines: LogLine[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    try {
      const line = JSON.parse(text);
      if (isObject(line) && typeof line.step === 'number') lines.push(line as unknown as LogLine);
    } catch {
      // A partial line from an interrupted append: nothing else ever writes here.
    }
  }
  return lines;
}

/**
 * Keeps only the log lines up to `step` (a resumed run repeats the steps after its checkpoint, so
 * their old lines would otherwise appear twice).
 */
export function truncateLog(dir: string, step: number): void {
  const kept = readLog(dir).filter((line) => line.step <= step);
  writeFileAtomic(filePath(dir, 'log'), kept.map((line) => `${JSON.stringify(line)}\n`).join(''));
}

/** `runs/<model>-<split>-<UTC timestamp>`: sortable, and unique to the second. */
export function defaultRunName(model: string, split: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${model}-${split}-${stamp}`;
}
