// Experiments: small declarative tables of runs (model × data × seed × preset) that one command
// plans, runs, resumes and summarises. Every run is an ordinary run directory under
// runs/<experiment>/<run>, made by planRun/createRunDir/train, so `cli eval`, `render` and the
// viewer work on it; results.ts turns the finished runs into docs/results.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODEL_KINDS, SPLITS, ValidationError, check, checkGroupLabel, datasetEntry, datasetNames, modelSpec, type ModelKind, type SplitName, SKIP_MODES, type SkipMode } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { planRun, type RunChoices } from '../train/plan.ts';
import { PRESET_NAMES, type PresetName } from '../train/presets.ts';
import { formatDuration, type Reporter } from '../train/progress.ts';
import { FILES, RUN_ID_PATTERN, readLog, readMetrics, readRunConfig, readRunState, type RunConfig } from '../run/rundir.ts';
import { createRunDir, train, type StopSignal } from '../train/train.ts';

/** dSprites data: a split. */
export interface SplitData {
  split: SplitName;
}

/** Pairs (x, g·x) with a known group element: a data set and its group label (`so2`, `c4`). */
export interface PairData {
  dataset: string;
  group: string;
}

export type ExperimentData = SplitData | PairData;

export const isPairEntry = (data: ExperimentData): data is PairData => 'dataset' in data;

/** What a preset's runs change from the preset's own values (the same for every run). */
export interface TrainingOverrides {
  steps?: number;
  batch?: number;
  evalCount?: number;
}

/**
 * One arm of an ablation: model settings that differ between otherwise identical runs. Its label
 * goes into the run's name (`latent-action-skips-off-objects3d-so3-seed0`) and the table's row.
 */
export interface ExperimentVariant {
  label: string;
  /**
   * latent-action: how g reaches the skip connections (`--skips`, SKIP_MODES); true and false,
   * from tables written before the skip modes, are 'channels' and 'none'.
   */
  skips?: SkipMode | boolean;
}

/** The settings a variant may change, with the flag each is, and the models that take it. */
const VARIANT_SETTINGS = {
  skips: {
    flag: '--skips',
    read: (v: unknown, at: string): SkipMode => (v === true ? 'channels' : v === false ? 'none' : check.oneOf(SKIP_MODES)(v, at)),
    models: ['latent-action'] as ModelKind[],
  },
} as const;

export interface Experiment {
  name: string;
  title: string;
  /** What the experiment reproduces, in a sentence. */
  description: string;
  models: ModelKind[];
  data: ExperimentData[];
  /** Seeds 0 … seeds−1, unless --seeds says otherwise. */
  seeds: number;
  /** The preset, unless --preset says otherwise. */
  preset: PresetName;
  /** Per preset, what the experiment's runs change of it. */
  training: Partial<Record<PresetName, TrainingOverrides>>;
  /** Why these steps: the sizing argument, printed with --list and in the results. */
  sizing: string;
  /** An ablation: every model × data × seed once per variant (absent: once, with the preset's settings). */
  variants?: ExperimentVariant[];
  /** Which summary results.ts writes (latent-action: PSNR, SSIM and, for colour images, MS-SSIM of pair runs). */
  table: 'blog' | 'latent-action';
}

// Measured images per second of training (2-core AMD EPYC, native backend: OpenBLAS + oneDNN),
// for --dry-run's estimates; a run that has already logged replaces these with its own rate.
// MAGANet quick: docs/cli.md (2000 steps of 32 in 7 min 8 s with its evaluation). VAE quick: only
// measured on a shared machine at load ≈ 7 (`cli train --model vae --steps 100`: 26–32 images/s,
// while MAGANet ran at 85–206 under similar load), so this estimate is pessimistic until measured
// on a quiet one; a run's own logged rate replaces it from its first log lines. latent-action and
// flow-action quick: the quick runs of docs/latent-action.md's table (64,000 pairs in 376–499 s and
// 263–330 s of training on the shared machine at load 7–10, native backend). Tiny: test-sized.
export const MEASURED_RATES: Record<string, number> = {
  'maganet/quick': 229,
  'vae/quick': 270,
  'latent-action/quick': 140,
  // On the 3×64×64 renders (objects3d, planes-sky): ≈ 190 pairs/s with one BLAS thread on a quiet
  // machine, rendering included (800 steps of batch 32 in 2 min 17 s; docs/objects3d.md).
  'latent-action/quick/rendered': 190,
  'flow-action/quick': 215,
  'maganet/tiny': 200,
  'vae/tiny': 200,
};
/** Seconds a run spends outside its steps (start, data-dependent init, evaluation), measured on quick runs. */
const OVERHEAD_SECONDS: Record<PresetName, number> = { tiny: 3, quick: 30, paper: 120 };

/**
 * The experiments. blog-table: the MAGANet blog's recombination table (BCE per image on
 * to-element, to-range and to-diff). Its to-range is the blog's own (ellipses with posX ≥ 0.5
 * held out: our split to-range-ellipse), because to-diff compares the two trainings'
 * reconstructions of the to-element test images, which must be held out of both.
 */
export const EXPERIMENTS: Experiment[] = [
  {
    name: 'blog-table',
    title: "MAGANet vs β-VAE on dSprites recombination (the blog's table)",
    description: "BCE per image on recombination-to-element, to-range (the blog's ellipse variant) and to-diff, MAGANet against the β-VAE, mean ± 95 % interval over seeds, beside the blog's numbers",
    models: ['maganet', 'vae'],
    data: [{ split: 'to-element' }, { split: 'to-range-ellipse' }],
    seeds: 3,
    preset: 'quick',
    training: { quick: { steps: 2000, evalCount: 1024 }, tiny: { evalCount: 16 } },
    sizing:
      '2000 steps of batch 32 for every run (the quick preset, the same for both models): a MAGANet run is 64,000 images at ≈ 229 images/s, ≈ 5 min ' +
      'with its evaluation, 30 min for the 6; a β-VAE run trains at ≈ 270 images/s (measured on a quiet machine, 2026-12-02), ≈ 4.5 min, ' +
      '27 min for the 6: ≈ 1 h in all, inside the 2 h budget, so both models get the quick preset unchanged. ' +
      'The summary (to-diff, group laws in float64) adds minutes. 1024 test images per evaluation. ' +
      '--preset paper (100,000 steps of batch 64) for a GPU.',
    table: 'blog',
  },
  {
    name: 'latent-action-table',
    title: 'Latent group actions vs the flow baseline on known-group pairs (Jin et al.)',
    description: 'PSNR and SSIM of g·x predicted from x and a known g, latent-action against flow-action, on rotated-mnist, rotated-blocked-mnist and contrast, mean ± 95 % interval over seeds',
    models: ['latent-action', 'flow-action'],
    data: [
      { dataset: 'rotated-mnist', group: 'so2' },
      { dataset: 'rotated-blocked-mnist', group: 'so2' },
      { dataset: 'contrast', group: 'c4' },
    ],
    seeds: 3,
    preset: 'quick',
    training: {},
    sizing:
      "the quick preset's pair settings for both models (2000 steps of batch 32, the same pairs and steps for either): on a quiet 2-core machine ≈ 2.5 min a latent-action run " +
      'and ≈ 1.5 min a flow-action run, 18 runs ≈ 40 min (measured 2026-12-02: 59 min with one thread per run, two experiments side by side); --preset paper (50,000 steps of batch 64) for a GPU',
    table: 'latent-action',
  },
  {
    name: 'objects3d-skips',
    title: 'The skip-connection ablation of latent-action on rendered 3-D objects (Jin et al.)',
    description:
      'PSNR, SSIM and MS-SSIM of R·x predicted from x and a known rotation R ∈ SO(3), latent-action with and without its skip connections through the action, on the procedural objects3d renders (3×64×64), mean ± 95 % interval over seeds',
    models: ['latent-action'],
    variants: [
      { label: 'skips-on', skips: 'channels' },
      { label: 'skips-off', skips: 'none' },
    ],
    data: [{ dataset: 'objects3d', group: 'so3' }],
    seeds: 3,
    preset: 'quick',
    training: {},
    sizing:
      "the quick preset's 3-D lengths for both arms (3200 steps of batch 32 on 3×64×64 renders, 102,400 pairs, 240 test pairs): ≈ 9–10 min a run on a quiet machine, " +
      '6 runs ≈ 1 h; --preset paper (50,000 steps of batch 64) for a GPU',
    table: 'latent-action',
  },
];

/**
 * Experiments from a JSON file: a list of tables shaped like EXPERIMENTS' entries. Each is checked
 * (checkExperiment), so a malformed one is a usage error naming the file, the entry and the field.
 */
export function readExperimentTable(file: string): Experiment[] {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ValidationError(`--table ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`, '--table');
  }
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError(`--table ${file}: expected a non-empty JSON list of experiments`, '--table');
  const names = new Set<string>();
  const experiments: Experiment[] = [];
  for (const [i, entry] of value.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ValidationError(`--table ${file}: entry ${i} is not an object`, `--table[${i}]`);
    const e = { training: {}, sizing: '', title: String(entry.name), description: '', ...entry } as Experiment;
    try {
      checkExperiment(e);
    } catch (err) {
      throw new ValidationError(`--table ${file}, entry ${i}: ${(err as Error).message}`, err instanceof ValidationError ? `--table[${i}].${err.path}` : `--table[${i}]`);
    }
    if (names.has(e.name)) throw new ValidationError(`--table ${file}: experiment ${JSON.stringify(e.name)} is declared twice`, `--table[${i}].name`);
    names.add(e.name);
    experiments.push(e);
  }
  return experiments;
}

/** One run of an experiment: where it goes and what `cli train` would be told. */
export interface PlannedRun {
  name: string;
  dir: string;
  model: ModelKind;
  /** The ablation arm's label, or null in an experiment without variants. */
  variant: string | null;
  data: ExperimentData;
  seed: number;
  preset: PresetName;
  choices: RunChoices;
  /** The equivalent `bun run cli train` command line. */
  flags: string[];
  config: RunConfig;
  estimateSeconds: number;
}

/** Throws a ValidationError naming the experiment, the entry and what is wrong with it. */
export function checkExperiment(e: Experiment): void {
  const where = `experiment ${JSON.stringify(e.name)}`;
  const fail = (at: string, what: string): never => {
    throw new ValidationError(`${where}: ${what}`, at);
  };
  if (typeof e.name !== 'string' || !RUN_ID_PATTERN.test(e.name)) fail('name', `its name must be a directory name (letters, digits, . _ -), got ${JSON.stringify(e.name)}`);
  if (!Array.isArray(e.models) || e.models.length === 0) fail('models', 'models must be a non-empty list');
  if (!Array.isArray(e.data) || e.data.length === 0) fail('data', 'data must be a non-empty list');
  check.within(where, () => check.positiveInt(e.seeds, 'seeds'));
  if (!PRESET_NAMES.includes(e.preset)) fail('preset', `preset ${JSON.stringify(e.preset)} is not one of ${PRESET_NAMES.join(', ')}`);
  if (e.table !== 'blog' && e.table !== 'latent-action') fail('table', `table must be 'blog' or 'latent-action', got ${JSON.stringify(e.table)}`);
  for (const [preset, overrides] of Object.entries(e.training ?? {})) {
    if (!PRESET_NAMES.includes(preset as PresetName)) fail(`training.${preset}`, `training.${preset}: not a preset (expected one of ${PRESET_NAMES.join(', ')})`);
    for (const [key, value] of Object.entries(overrides ?? {})) {
      if (!['steps', 'batch', 'evalCount'].includes(key)) fail(`training.${preset}.${key}`, `training.${preset}.${key}: unknown setting (expected steps, batch or evalCount)`);
      check.within(where, () => check.positiveInt(value, `training.${preset}.${key}`));
    }
  }
  if (e.variants !== undefined) {
    if (!Array.isArray(e.variants) || e.variants.length < 2) fail('variants', 'variants, when given, must be a list of two or more (the arms of an ablation)');
    const variantLabels = new Set<string>();
    for (const [i, variant] of e.variants.entries()) {
      if (typeof variant !== 'object' || variant === null) fail(`variants[${i}]`, `variants[${i}] must be an object { label, ...settings }`);
      if (typeof variant.label !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(variant.label)) fail(`variants[${i}].label`, `variants[${i}].label must be lower-case letters, digits and -, got ${JSON.stringify(variant.label)}`);
      if (variantLabels.has(variant.label)) fail(`variants[${i}].label`, `variant ${variant.label} is listed twice`);
      variantLabels.add(variant.label);
      for (const [key, value] of Object.entries(variant)) {
        if (key === 'label') continue;
        const setting = VARIANT_SETTINGS[key as keyof typeof VARIANT_SETTINGS];
        if (!setting) fail(`variants[${i}].${key}`, `variants[${i}].${key}: unknown setting (expected one of ${Object.keys(VARIANT_SETTINGS).join(', ')})`);
        check.within(where, () => setting.read(value, `variants[${i}].${key}`));
        for (const model of e.models) if (!setting.models.includes(model)) fail(`variants[${i}].${key}`, `variants[${i}].${key} (${setting.flag}) applies to ${setting.models.join(', ')}, not to model ${model}`);
      }
    }
  }
  const seen = new Set<string>();
  for (const [i, model] of e.models.entries()) {
    if (!MODEL_KINDS.includes(model)) fail(`models[${i}]`, `model ${JSON.stringify(model)} is not one of ${MODEL_KINDS.join(', ')}`);
    if (seen.has(model)) fail(`models[${i}]`, `model ${model} is listed twice`);
    seen.add(model);
  }
  const labels = new Set<string>();
  for (const [i, data] of e.data.entries()) {
    if (typeof data !== 'object' || data === null) fail(`data[${i}]`, `data[${i}] must be { split } or { dataset, group }`);
    if (isPairEntry(data)) {
      const pairSets = datasetNames('group-pairs');
      if (!pairSets.includes(data.dataset)) fail(`data[${i}].dataset`, `data[${i}].dataset ${JSON.stringify(data.dataset)} is not one of ${pairSets.join(', ')}`);
      try {
        checkGroupLabel(datasetEntry(data.dataset), String(data.group));
      } catch (err) {
        fail(`data[${i}]`, `data[${i}]: ${(err as Error).message}`);
      }
    } else if (!Object.hasOwn(SPLITS, (data as SplitData).split)) {
      fail(`data[${i}].split`, `data[${i}].split ${JSON.stringify((data as SplitData).split)} is not one of ${Object.keys(SPLITS).join(', ')}`);
    }
    const label = dataLabel(data);
    if (labels.has(label)) fail(`data[${i}]`, `data ${label} is listed twice`);
    labels.add(label);
    for (const model of e.models) {
      const wants = modelSpec(model).traits.batch;
      if (isPairEntry(data) !== (wants === 'group-pairs')) fail(`data[${i}]`, `model ${model} trains on ${wants === 'group-pairs' ? 'pairs (x, g·x): { dataset, group }' : 'dSprites: { split }'}, not on ${label}`);
    }
  }
}

export function findExperiment(name: string, experiments: readonly Experiment[] = EXPERIMENTS): Experiment {
  const found = experiments.find((e) => e.name === name);
  if (!found) throw new ValidationError(`unknown experiment ${JSON.stringify(name)}: expected one of ${experiments.map((e) => e.name).join(', ')} (--list describes them)`);
  checkExperiment(found);
  return found;
}

export const dataLabel = (data: ExperimentData) => (isPairEntry(data) ? `${data.dataset}-${data.group}` : data.split);

export interface PlanOptions {
  runs: string;
  seeds?: number;
  preset?: PresetName;
}

/** Every run of the experiment, model by model, data by data, seed by seed. Nothing is created. */
export function planExperiment(e: Experiment, options: PlanOptions): PlannedRun[] {
  checkExperiment(e);
  const preset = options.preset ?? e.preset;
  const seeds = options.seeds ?? e.seeds;
  const overrides = e.training[preset] ?? {};
  const root = path.join(options.runs, e.name);
  const planned: PlannedRun[] = [];
  for (const model of e.models) {
    for (const variant of e.variants ?? [null]) {
      for (const data of e.data) {
        for (let seed = 0; seed < seeds; seed++) {
          const name = `${model}${variant ? `-${variant.label}` : ''}-${dataLabel(data)}-seed${seed}`;
          const choices: RunChoices = { preset, model, seed, steps: overrides.steps, batch: overrides.batch, evalCount: overrides.evalCount };
          const flags = [`--model ${model}`];
          if (variant?.skips !== undefined) {
            choices.skips = VARIANT_SETTINGS.skips.read(variant.skips, 'skips');
            flags.push(`${VARIANT_SETTINGS.skips.flag} ${choices.skips}`);
          }
          if (isPairEntry(data)) {
            choices.dataset = data.dataset;
            choices.group = data.group;
            flags.push(`--dataset ${data.dataset}`, `--group ${data.group}`);
          } else {
            choices.split = data.split;
            flags.push(`--split ${data.split}`);
          }
          flags.push(`--preset ${preset}`, `--seed ${seed}`);
          const config = planRun(choices);
          const dir = path.join(root, name);
          if (overrides.steps !== undefined) flags.push(`--steps ${overrides.steps}`);
          if (overrides.batch !== undefined) flags.push(`--batch ${overrides.batch}`);
          if (overrides.evalCount !== undefined) flags.push(`--eval-count ${overrides.evalCount}`);
          flags.push(`--out ${dir}`);
          planned.push({ name, dir, model, variant: variant?.label ?? null, data, seed, preset, choices, flags, config, estimateSeconds: estimateSeconds(config, preset, dir) });
        }
      }
    }
  }
  return planned;
}

/** Seconds a run should take: its own logged rate when it has one, else the measured rate of its model and preset. */
export function estimateSeconds(config: RunConfig, preset: PresetName, dir?: string): number {
  const { steps, batchSize } = config.training;
  let rate: number | undefined;
  let done = 0;
  if (dir && fs.existsSync(path.join(dir, FILES.log))) {
    const log = readLog(dir);
    const rates = log.map((l) => l.imagesPerSecond).filter((r) => Number.isFinite(r) && r > 0);
    // The first interval holds the start-up (kernel compilation, ActNorm's data pass): the median of the rest.
    if (rates.length > 2) rate = rates.slice(1).sort((a, b) => a - b)[Math.floor((rates.length - 1) / 2)];
    done = log.at(-1)?.step ?? 0;
  }
  // A data set's own rates (its entry's rateKey: the 3-D renders'), else the model's on any data.
  const key = datasetEntry(config.data.dataset).rateKey;
  rate ??= (key ? MEASURED_RATES[`${config.model.model}/${preset}/${key}`] : undefined) ?? MEASURED_RATES[`${config.model.model}/${preset}`] ?? 100;
  return Math.max(0, steps - done) * (batchSize / rate) + OVERHEAD_SECONDS[preset];
}

/** Where a planned run stands on disk. */
export type RunProgress = 'missing' | 'partial' | 'done';

export function runProgress(run: PlannedRun): RunProgress {
  if (!fs.existsSync(run.dir)) return 'missing';
  const config = readRunConfig(run.dir);
  checkSameRun(run, config);
  return config.status === 'done' && readMetrics(run.dir) !== null ? 'done' : 'partial';
}

/** A run directory on disk must be the planned run: a changed table or flag is refused, not mixed in. */
function checkSameRun(run: PlannedRun, found: RunConfig): void {
  const want = run.config;
  const differences: string[] = [];
  if (found.model.model !== want.model.model) differences.push(`model ${found.model.model}, planned ${want.model.model}`);
  if (JSON.stringify(found.data) !== JSON.stringify(want.data)) differences.push(`data ${JSON.stringify(found.data)}, planned ${JSON.stringify(want.data)}`);
  if (found.seed !== want.seed) differences.push(`seed ${found.seed}, planned ${want.seed}`);
  for (const key of ['steps', 'batchSize', 'lr', 'schedule'] as const) {
    if (found.training[key] !== want.training[key]) differences.push(`training.${key} ${found.training[key]}, planned ${want.training[key]}`);
  }
  if (JSON.stringify(found.model) !== JSON.stringify(want.model)) differences.push('the model configuration differs');
  if (differences.length > 0) throw new ValidationError(`${run.dir} is not the run this plan makes (${differences.join('; ')}): another --preset or --seeds, or a changed table? Move it away or use another --runs`, '--runs');
}

/** The experiment's own record beside its runs: what was asked, when, and each run's wall time. */
export interface ExperimentRecord {
  experiment: string;
  command: string;
  preset: PresetName;
  seeds: number;
  startedAt: string;
  finishedAt: string | null;
  /** Wall seconds of this experiment's sessions, summed. */
  wallSeconds: number;
  runs: Record<string, { wallSeconds: number; finishedAt: string }>;
}

export const RECORD_FILE = 'experiment.json';

export function readRecord(root: string): ExperimentRecord | null {
  const file = path.join(root, RECORD_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentRecord;
  } catch (e) {
    throw new ValidationError(`${file} is not readable JSON (${(e as Error).message}): move it away to start the experiment again`, '--runs');
  }
}

const writeRecord = (root: string, record: ExperimentRecord) => writeFileAtomic(path.join(root, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);

export interface RunExperimentOptions extends PlanOptions {
  resume?: boolean;
  backend?: Parameters<typeof train>[1]['backend'];
  /** The experiment's own lines: the plan, "run k of n", the ETA. */
  print: (text: string) => void;
  /** The reporter handed to each run's training (its progress bar or lines). */
  reporter: Reporter;
  stop?: StopSignal;
  /** The command line, recorded in experiment.json and the results. */
  command: string;
}

export interface ExperimentResult {
  status: 'done' | 'stopped';
  ran: string[];
  skipped: string[];
  root: string;
}

/** `--dry-run`: every run with its flags and estimated time, and the total. */
export function describePlan(e: Experiment, planned: PlannedRun[]): string {
  const width = String(planned.length).length;
  const lines = planned.map((run, i) => {
    const state = fs.existsSync(run.dir) ? ` [${runProgress(run)}]` : '';
    return `${String(i + 1).padStart(width)}/${planned.length}  ${run.name.padEnd(40)} ~${formatDuration(run.estimateSeconds).padStart(6)}${state}  bun run cli train ${run.flags.join(' ')}`;
  });
  const total = planned.reduce((s, r) => s + (fs.existsSync(r.dir) && runProgress(r) === 'done' ? 0 : r.estimateSeconds), 0);
  return [`experiment ${e.name}: ${planned.length} runs, ${e.title}`, ...lines, `estimated time to run what is not done: ${formatDuration(total)} (MEASURED_RATES in src/experiments.ts, or a run's own logged rate)`].join('\n');
}

/** Runs every planned run not yet done, in order; stops cleanly (status 'stopped') when asked. */
export async function runExperiment(e: Experiment, options: RunExperimentOptions): Promise<ExperimentResult> {
  const planned = planExperiment(e, options);
  const root = path.join(options.runs, e.name);
  const stop = options.stop ?? { requested: false };
  const existing = fs.existsSync(root) ? fs.readdirSync(root).filter((f) => fs.existsSync(path.join(root, f, FILES.config))) : [];
  if (existing.length > 0 && !options.resume) {
    throw new ValidationError(`${root} already holds ${existing.length} run${existing.length === 1 ? '' : 's'} of this experiment: continue with --resume, or choose another --runs`, '--runs');
  }
  // Checked before anything trains: a run on disk that is not the planned one stops the experiment here.
  const progress = planned.map(runProgress);
  fs.mkdirSync(root, { recursive: true });
  const now = () => new Date().toISOString();
  const record: ExperimentRecord = readRecord(root) ?? { experiment: e.name, command: options.command, preset: planned[0].preset, seeds: options.seeds ?? e.seeds, startedAt: now(), finishedAt: null, wallSeconds: 0, runs: {} };
  record.command = options.command;
  record.finishedAt = null;
  writeRecord(root, record);

  const ran: string[] = [];
  const skipped: string[] = [];
  const sessionStart = performance.now();
  let spent = 0; // wall seconds of the runs trained in this session
  let estimatedSpent = 0; // what they were estimated to take
  for (const [i, run] of planned.entries()) {
    const k = `run ${i + 1} of ${planned.length}`;
    if (progress[i] === 'done') {
      skipped.push(run.name);
      options.print(`${k}: ${run.name} is done, skipped`);
      continue;
    }
    // The ETA: the estimates of what is left, scaled by how this session's runs compared with theirs.
    const remaining = planned.slice(i).reduce((s, r, j) => s + (progress[i + j] === 'done' ? 0 : estimateSeconds(r.config, r.preset, r.dir)), 0);
    const eta = estimatedSpent > 0 ? (remaining * spent) / estimatedSpent : remaining;
    options.print(`${k}: ${run.name}${progress[i] === 'partial' ? ' (resuming)' : ''}, ETA of the experiment ${formatDuration(eta)}`);
    const estimate = estimateSeconds(run.config, run.preset, run.dir);
    const began = performance.now();
    if (progress[i] === 'missing') createRunDir(run.dir, { ...run.config, createdAt: now() });
    const result = await train(run.dir, { backend: options.backend, reporter: options.reporter, stop });
    const seconds = (performance.now() - began) / 1000;
    record.runs[run.name] = { wallSeconds: (record.runs[run.name]?.wallSeconds ?? 0) + seconds, finishedAt: now() };
    record.wallSeconds += seconds;
    writeRecord(root, record);
    if (result.status === 'stopped') {
      options.print(`${k}: ${run.name} stopped at step ${result.step}; continue the experiment with --resume`);
      return { status: 'stopped', ran, skipped, root };
    }
    ran.push(run.name);
    spent += seconds;
    estimatedSpent += estimate;
  }
  record.finishedAt = now();
  writeRecord(root, record);
  options.print(`experiment ${e.name}: ${planned.length} runs done (${ran.length} trained now, ${skipped.length} already done) in ${formatDuration((performance.now() - sessionStart) / 1000)}`);
  return { status: 'done', ran, skipped, root };
}

/** The finished runs of a plan, with their config and metrics (results.ts reads them). */
export function finishedRuns(planned: PlannedRun[]): { run: PlannedRun; config: RunConfig; metrics: NonNullable<ReturnType<typeof readMetrics>>; trainingSeconds: number }[] {
  const out = [];
  for (const run of planned) {
    if (!fs.existsSync(run.dir) || runProgress(run) !== 'done') continue;
    out.push({ run, config: readRunConfig(run.dir), metrics: readMetrics(run.dir)!, trainingSeconds: readRunState(run.dir)?.trainingSeconds ?? 0 });
  }
  return out;
}
