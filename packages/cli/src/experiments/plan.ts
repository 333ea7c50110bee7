// An experiment's runs: every model × arm × data × seed, in that stable order, each an ordinary run
// directory under runs/<experiment>/<run> with the config `cli train` would write for the flags
// listed beside it. Pure planning (nothing is created), where runs stand on disk, and --dry-run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelSpec, ValidationError, type ModelKind } from '@maga/model';
import { planRun, type RunChoices } from '../train/plan.ts';
import type { PresetName } from '../train/presets.ts';
import { RUN_FLAGS, runChoices, type RunFlagValues } from '../train/settings.ts';
import { formatDuration } from '../train/progress.ts';
import { readMetrics, readRunConfig, type RunConfig } from '../run/rundir.ts';
import { estimateRun, type Estimate } from './estimate.ts';
import { checkExperiment, dataLabel, experimentArms, isPairEntry, readSetting, type Arm, type Experiment, type ExperimentData, type Settings } from './table.ts';

/** One run of an experiment: where it goes and what `cli train` would be told. */
export interface PlannedRun {
  name: string;
  dir: string;
  model: ModelKind;
  /** The arm's label (a variant, a grid combination, or both), or null in a table with one arm. */
  variant: string | null;
  data: ExperimentData;
  seed: number;
  preset: PresetName;
  choices: RunChoices;
  /** The equivalent `bun run cli train` command line. */
  flags: string[];
  config: RunConfig;
  estimate: Estimate;
  estimateSeconds: number;
}

export interface PlanOptions {
  runs: string;
  seeds?: number;
  preset?: PresetName;
}

/** Settings as flags (`--lr 0.001`) and their parsed values, in the order given. */
function settingFlags(settings: Settings, at: string): { flags: string[]; values: RunFlagValues } {
  const flags: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const { flag, raw } = readSetting(key, value, `${at}.${key}`);
    flags.push(`--${flag} ${raw}`);
    values[flag] = RUN_FLAGS[flag as keyof typeof RUN_FLAGS].parse(raw, flag);
  }
  return { flags, values: values as RunFlagValues };
}

/** Every run of the experiment: model by model, arm by arm, data by data, seed by seed. Nothing is created. */
export function planExperiment(e: Experiment, options: PlanOptions): PlannedRun[] {
  checkExperiment(e);
  const preset = options.preset ?? e.preset;
  const seeds = options.seeds ?? e.seeds;
  const root = path.join(options.runs, e.name);
  const common = settingFlags(e.settings ?? {}, 'settings');
  const atPreset = settingFlags(e.training[preset] ?? {}, `training.${preset}`);
  const perModel = new Map(e.models.map((m) => [m, settingFlags(e.modelSettings?.[m] ?? {}, `modelSettings.${m}`)]));
  const arms: { arm: Arm; own: ReturnType<typeof settingFlags> }[] = experimentArms(e).map((arm) => ({ arm, own: settingFlags(arm.settings, arm.label ?? 'arm') }));
  const planned: PlannedRun[] = [];
  for (const model of e.models) {
    for (const { arm, own } of arms) {
      for (const data of e.data) {
        for (let seed = 0; seed < seeds; seed++) {
          const name = `${model}${arm.label ? `-${arm.label}` : ''}-${dataLabel(data)}-seed${seed}`;
          const dir = path.join(root, name);
          const dataFlags = isPairEntry(data) ? [`--dataset ${data.dataset}`, `--group ${data.group}`] : [`--split ${data.split}`];
          // Precedence: an arm's settings over the preset's over the model's over the experiment's.
          const mine = perModel.get(model)!;
          const values: RunFlagValues = { ...common.values, ...mine.values, ...atPreset.values, ...own.values, model, preset, seed, ...(isPairEntry(data) ? { dataset: data.dataset as RunFlagValues['dataset'], group: data.group } : { split: data.split }) };
          // A model with nothing to learn (rotate-x, copy-x) trains 0 steps whatever the table's steps.
          const trainable = modelSpec(model).trainable;
          if (!trainable) delete (values as { steps?: number }).steps;
          const choices = runChoices(values);
          let config: RunConfig;
          try {
            config = planRun(choices);
          } catch (err) {
            if (err instanceof ValidationError) throw new ValidationError(`experiment ${JSON.stringify(e.name)}, run ${name}: ${err.message}`, err.path);
            throw err;
          }
          const ownFlag = (f: string) => own.flags.some((o) => o.split(' ')[0] === f.split(' ')[0]);
          const flags = [`--model ${model}`, ...mine.flags.filter((f) => !ownFlag(f)), ...own.flags, ...dataFlags, `--preset ${preset}`, `--seed ${seed}`, ...atPreset.flags, ...common.flags, `--out ${dir}`].filter((f) => trainable || !f.startsWith('--steps '));
          const estimate = estimateRun(config, preset, dir);
          planned.push({ name, dir, model, variant: arm.label, data, seed, preset, choices, flags, config, estimate, estimateSeconds: estimate.seconds });
        }
      }
    }
  }
  return planned;
}

/** Where a planned run stands on disk. */
export type RunProgress = 'missing' | 'partial' | 'done';

export function runProgress(run: PlannedRun): RunProgress {
  if (!fs.existsSync(run.dir) || !fs.existsSync(path.join(run.dir, 'config.json'))) return 'missing';
  const config = readRunConfig(run.dir);
  checkSameRun(run, config);
  return config.status === 'done' && readMetrics(run.dir) !== null ? 'done' : 'partial';
}

/** A run directory on disk must be the planned run: a changed table or flag is refused, not mixed in. */
export function checkSameRun(run: PlannedRun, found: RunConfig): void {
  const want = run.config;
  const differences: string[] = [];
  if (found.model.model !== want.model.model) differences.push(`model ${found.model.model}, planned ${want.model.model}`);
  if (JSON.stringify(found.data) !== JSON.stringify(want.data)) differences.push(`data ${JSON.stringify(found.data)}, planned ${JSON.stringify(want.data)}`);
  if (found.seed !== want.seed) differences.push(`seed ${found.seed}, planned ${want.seed}`);
  for (const key of ['steps', 'batchSize', 'lr', 'schedule', 'clipNorm'] as const) {
    if (found.training[key] !== want.training[key]) differences.push(`training.${key} ${found.training[key]}, planned ${want.training[key]}`);
  }
  if (JSON.stringify(found.model) !== JSON.stringify(want.model)) differences.push('the model configuration differs');
  if (differences.length > 0) {
    throw new ValidationError(`${run.dir} is not the run this plan makes (${differences.join('; ')}): another --preset or --seeds, or a changed table? Move it away or use another --runs`, run.dir);
  }
}

/** Runs taken by this process: all, those named by --only, or the i-th of n shares (--shard i/n). */
export interface Selection {
  only?: string[];
  shard?: { index: number; count: number };
}

/** The planned runs this process takes (in plan order); a name --only gives that the plan lacks is an error naming the plan's runs. */
export function selectRuns(planned: PlannedRun[], selection: Selection): PlannedRun[] {
  let chosen = planned;
  if (selection.only) {
    const names = new Set(planned.map((r) => r.name));
    const unknown = selection.only.filter((n) => !names.has(n));
    if (unknown.length > 0) throw new ValidationError(`--only ${unknown.join(',')}: no such run in this plan (its runs: ${planned.map((r) => r.name).join(', ')})`, '--only');
    chosen = chosen.filter((r) => selection.only!.includes(r.name));
  }
  if (selection.shard) {
    const { index, count } = selection.shard;
    chosen = chosen.filter((r) => planned.indexOf(r) % count === index);
  }
  return chosen;
}

/** `i/n` with 0 ≤ i < n. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw new ValidationError(`--shard ${JSON.stringify(text)}: expected i/n with 0 ≤ i < n (e.g. 0/2 and 1/2 for two machines)`, '--shard');
  return { index, count };
}

const hours = (h: number) => (h >= 100 ? h.toFixed(0) : h >= 10 ? h.toFixed(1) : h.toFixed(2));

/** `--dry-run`: every run with its flags and estimated time, the total time and core-hours. */
export function describePlan(e: Experiment, planned: PlannedRun[]): string {
  const width = String(planned.length).length;
  const progress = planned.map((run) => (fs.existsSync(run.dir) ? runProgress(run) : 'missing'));
  const lines = planned.map((run, i) => {
    const state = progress[i] !== 'missing' ? ` [${progress[i]}]` : '';
    return `${String(i + 1).padStart(width)}/${planned.length}  ${run.name.padEnd(40)} ~${formatDuration(run.estimate.seconds).padStart(6)}${state}  bun run cli train ${run.flags.join(' ')}`;
  });
  const todo = planned.filter((_, i) => progress[i] !== 'done');
  const seconds = todo.reduce((s, r) => s + r.estimate.seconds, 0);
  const coreHours = todo.reduce((s, r) => s + r.estimate.coreHours, 0);
  const longest = todo.reduce((m, r) => Math.max(m, r.estimate.seconds), 0);
  const sources = [...new Map(todo.map((r) => [r.estimate.rate.source, r.estimate.own])).entries()].map(([source]) => source);
  return [
    `experiment ${e.name}: ${planned.length} runs, ${e.title}`,
    ...lines,
    `estimated time to run what is not done: ${formatDuration(seconds)} one after another here, ${hours(coreHours)} core-hours; the longest run ${formatDuration(longest)}`,
    `(rates: ${sources.join('; ') || 'none needed'} — MEASURED_RATES in src/experiments/estimate.ts, or a run's own logged rate)`,
  ].join('\n');
}
