// What an experiment is: a declarative table of runs — models × arms × data × seeds at a preset —
// and the checks that make a malformed one an error naming the experiment, the field and the value.
// The built-in tables are data in tables.ts; a JSON file given with --table holds more of the same.
//
// Arms are the runs' differing settings. Any `cli train` setting (train/settings.ts: lr, batch,
// steps, beta-*, latent-dim, skips, eval-every, …) may be set for every run (`settings`), per
// preset (`training`), per named arm (`variants`), or swept (`grid`: every combination of the listed
// values, in the order written, the last key varying fastest). Values are the flags' own: numbers,
// strings, and true/false for on/off switches; each is read by the flag's own parser.
import * as fs from 'node:fs';
import { MODEL_KINDS, SPLITS, ValidationError, check, checkGroupLabel, datasetEntry, datasetNames, modelSpec, type ModelKind, type SplitName } from '@maga/model';
import { RUN_ID_PATTERN } from '../run/rundir.ts';
import { PRESET_NAMES, type PresetName } from '../train/presets.ts';
import { RUN_FLAGS, SETTING_NAMES } from '../train/settings.ts';

/** dSprites data: a split. */
export interface SplitData {
  split: SplitName;
}

/** Pairs (x, g·x) with a known group element: a data set and its group label (`so2`, `c4`). */
export interface PairData {
  /** A data set of the DATASETS registry whose batches are pairs. */
  dataset: string;
  group: string;
}

export type ExperimentData = SplitData | PairData;

export const isPairEntry = (data: ExperimentData): data is PairData => 'dataset' in data;

export const dataLabel = (data: ExperimentData) => (isPairEntry(data) ? `${data.dataset}-${data.group}` : data.split);

/** A setting's value as a table writes it: the flag's value (true/false for on/off). */
export type SettingValue = number | string | boolean;
/** `cli train` settings by flag name (`lr`, `beta-equivariance`, `eval-every`); camelCase is read too. */
export type Settings = Record<string, SettingValue>;

/**
 * One arm of an ablation: settings that differ between otherwise identical runs. Its label goes
 * into the run's name (`latent-action-skips-off-objects3d-so3-seed0`) and the table's row.
 */
export interface ExperimentVariant {
  label: string;
  [setting: string]: SettingValue;
}

/** The summaries results.ts can write (its SUMMARIES registry has one entry each). */
export type SummaryKind = 'blog' | 'latent-action';
export const SUMMARY_KINDS: readonly SummaryKind[] = ['blog', 'latent-action'];

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
  /** Settings of every run at any preset. */
  settings?: Settings;
  /**
   * Per model, settings every run of that model takes (over `settings`): a model's own flags, such
   * as latent-action's `skips` in a table that compares it with baselines that have no skips.
   */
  modelSettings?: Partial<Record<ModelKind, Settings>>;
  /** Per preset, settings of every run at that preset (over `settings` and `modelSettings`). */
  training: Partial<Record<PresetName, Settings>>;
  /** Why these steps: the sizing argument, printed with --list and in the results. */
  sizing: string;
  /** Named arms (over `training`): every model × data × seed once per variant. */
  variants?: ExperimentVariant[];
  /** A sweep (over `training`): every combination of these settings' values is an arm, named from them. */
  grid?: Record<string, SettingValue[]>;
  /** Which summary results.ts writes. */
  table: SummaryKind;
}

/** `evalCount` → `eval-count`: tables may spell a setting as its flag or in camelCase. */
export const settingName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flags that were on/off switches in older tables: what true and false mean now (`skips`: before the skip modes). */
const BOOLEAN_VALUES: Record<string, { true: string; false: string }> = { skips: { true: 'channels', false: 'none' } };

/**
 * A setting's value as its flag would have it, checked by the flag's own parser; `at` names where
 * it was (`grid.lr[1]`). Returns the flag name and the raw text (`--lr 0.001`).
 */
export function readSetting(key: string, value: unknown, at: string): { flag: string; raw: string } {
  const flag = checkSettingName(key, at);
  const spec = RUN_FLAGS[flag as keyof typeof RUN_FLAGS];
  const onOff = spec.placeholder === 'on|off';
  const legacy = BOOLEAN_VALUES[flag];
  let raw: string;
  if (typeof value === 'boolean' && legacy) raw = value ? legacy.true : legacy.false;
  else if (typeof value === 'boolean' && onOff) raw = value ? 'on' : 'off';
  else if (typeof value === 'number' && Number.isFinite(value)) raw = String(value);
  else if (typeof value === 'string') raw = value;
  else throw new ValidationError(`${at} must be ${onOff ? 'true, false, "on" or "off"' : `a value of --${flag} (${spec.placeholder ?? 'a number or a string'})`}, got ${check.show(value)}`, at);
  try {
    spec.parse(raw, flag);
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(`${at}: ${e.message}`, at);
    throw e;
  }
  return { flag, raw };
}

/** The flag a table's key names, or an error naming the key (`at`) and the settings there are. */
export function checkSettingName(key: string, at: string): string {
  const flag = settingName(key);
  if (!(SETTING_NAMES as string[]).includes(flag)) {
    const axis = Object.hasOwn(RUN_FLAGS, flag) ? ` (${flag} is an axis of the table: models, data, seeds, preset)` : '';
    throw new ValidationError(`${at}: ${JSON.stringify(key)} is not a cli train setting${axis}; expected one of ${SETTING_NAMES.join(', ')}`, at);
  }
  return flag;
}

/** The label of a value in a run's name: `lr0.001`, `skips-none`, `schedule-cosine`. */
function valueLabel(flag: string, raw: string): string {
  const text = raw.replace(/[^A-Za-z0-9.+-]/g, '_');
  return /^[0-9.]/.test(text) ? `${flag}${text}` : `${flag}-${text}`;
}

/** An arm of a table: its label (null for the single arm of a table without variants or grid) and settings. */
export interface Arm {
  label: string | null;
  settings: Settings;
}

/** The arms of an experiment: variants × grid combinations, in a stable order (variants first, then the grid's keys as written, the last fastest). */
export function experimentArms(e: Experiment): Arm[] {
  const variants: Arm[] = e.variants?.map(({ label, ...settings }) => ({ label, settings })) ?? [{ label: null, settings: {} }];
  const keys = Object.keys(e.grid ?? {});
  let combos: Arm[] = [{ label: null, settings: {} }];
  for (const key of keys) {
    const next: Arm[] = [];
    for (const combo of combos) {
      for (const value of e.grid![key]) {
        const { flag, raw } = readSetting(key, value, `grid.${key}`);
        const label = valueLabel(flag, raw);
        next.push({ label: combo.label ? `${combo.label}-${label}` : label, settings: { ...combo.settings, [key]: value } });
      }
    }
    combos = next;
  }
  return variants.flatMap((v) =>
    combos.map((c) => ({ label: [v.label, c.label].filter(Boolean).join('-') || null, settings: { ...v.settings, ...c.settings } })),
  );
}

/**
 * Experiments from a JSON file: a list of tables shaped like tables.ts' entries. Each is checked
 * (checkExperiment), so a malformed one is an error naming the file, the entry and the field.
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

const TOP_KEYS = ['name', 'title', 'description', 'models', 'data', 'seeds', 'preset', 'settings', 'modelSettings', 'training', 'sizing', 'variants', 'grid', 'table'];

/** Throws a ValidationError naming the experiment, the field and what is wrong with it. */
export function checkExperiment(e: Experiment): void {
  const where = `experiment ${JSON.stringify(e.name)}`;
  const fail = (at: string, what: string): never => {
    throw new ValidationError(`${where}: ${what}`, at);
  };
  const settingsAt = (settings: unknown, at: string) => {
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) fail(at, `${at} must be an object of cli train settings, got ${check.show(settings)}`);
    for (const [key, value] of Object.entries(settings as object)) check.within(where, () => readSetting(key, value, `${at}.${key}`));
  };
  if (typeof e.name !== 'string' || !RUN_ID_PATTERN.test(e.name)) fail('name', `its name must be a directory name (letters, digits, . _ -), got ${JSON.stringify(e.name)}`);
  for (const key of Object.keys(e)) if (!TOP_KEYS.includes(key)) fail(key, `${key} is not a field of an experiment (expected ${TOP_KEYS.join(', ')})`);
  if (!Array.isArray(e.models) || e.models.length === 0) fail('models', 'models must be a non-empty list');
  if (!Array.isArray(e.data) || e.data.length === 0) fail('data', 'data must be a non-empty list');
  check.within(where, () => check.positiveInt(e.seeds, 'seeds'));
  if (!PRESET_NAMES.includes(e.preset)) fail('preset', `preset ${JSON.stringify(e.preset)} is not one of ${PRESET_NAMES.join(', ')}`);
  if (!SUMMARY_KINDS.includes(e.table)) fail('table', `table must be one of ${SUMMARY_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(e.table)}`);
  if (e.settings !== undefined) settingsAt(e.settings, 'settings');
  for (const [preset, overrides] of Object.entries(e.training ?? {})) {
    if (!PRESET_NAMES.includes(preset as PresetName)) fail(`training.${preset}`, `training.${preset}: not a preset (expected one of ${PRESET_NAMES.join(', ')})`);
    settingsAt(overrides, `training.${preset}`);
  }
  const fixedByVariants = new Set<string>();
  if (e.variants !== undefined) {
    if (!Array.isArray(e.variants) || e.variants.length < 2) fail('variants', 'variants, when given, must be a list of two or more (the arms of an ablation)');
    const variantLabels = new Set<string>();
    for (const [i, variant] of e.variants.entries()) {
      if (typeof variant !== 'object' || variant === null) fail(`variants[${i}]`, `variants[${i}] must be an object { label, ...settings }`);
      if (typeof variant.label !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(variant.label)) fail(`variants[${i}].label`, `variants[${i}].label must be lower-case letters, digits and -, got ${JSON.stringify(variant.label)}`);
      if (variantLabels.has(variant.label)) fail(`variants[${i}].label`, `variant ${variant.label} is listed twice`);
      variantLabels.add(variant.label);
      const { label: _, ...settings } = variant;
      settingsAt(settings, `variants[${i}]`);
      for (const key of Object.keys(settings)) fixedByVariants.add(settingName(key));
    }
  }
  if (e.grid !== undefined) {
    if (typeof e.grid !== 'object' || e.grid === null || Array.isArray(e.grid) || Object.keys(e.grid).length === 0) fail('grid', `grid must be an object of settings, each with a list of values, got ${check.show(e.grid)}`);
    for (const [key, values] of Object.entries(e.grid)) {
      check.within(where, () => checkSettingName(key, `grid.${key}`));
      if (!Array.isArray(values) || values.length === 0) fail(`grid.${key}`, `grid.${key} must be a non-empty list of values, got ${check.show(values)}`);
      const raws = values.map((v, j) => check.within(where, () => readSetting(key, v, `grid.${key}[${j}]`)).raw);
      if (new Set(raws).size !== raws.length) fail(`grid.${key}`, `grid.${key} lists a value twice`);
      if (fixedByVariants.has(settingName(key))) fail(`grid.${key}`, `grid.${key}: the variants set ${settingName(key)} too; an arm's setting must come from one of them`);
    }
  }
  const seen = new Set<string>();
  for (const [i, model] of e.models.entries()) {
    if (!MODEL_KINDS.includes(model)) fail(`models[${i}]`, `model ${JSON.stringify(model)} is not one of ${MODEL_KINDS.join(', ')}`);
    if (seen.has(model)) fail(`models[${i}]`, `model ${model} is listed twice`);
    seen.add(model);
  }
  if (e.modelSettings !== undefined) {
    if (typeof e.modelSettings !== 'object' || e.modelSettings === null || Array.isArray(e.modelSettings)) fail('modelSettings', `modelSettings must be an object { model: { setting: value } }, got ${check.show(e.modelSettings)}`);
    for (const [model, settings] of Object.entries(e.modelSettings)) {
      if (!e.models.includes(model as ModelKind)) fail(`modelSettings.${model}`, `modelSettings.${model}: ${model} is not one of the experiment's models (${e.models.join(', ')})`);
      settingsAt(settings, `modelSettings.${model}`);
    }
  }
  const labels = new Set<string>();
  for (const [i, data] of e.data.entries()) {
    if (typeof data !== 'object' || data === null) fail(`data[${i}]`, `data[${i}] must be { split } or { dataset, group }`);
    if (isPairEntry(data)) {
      const pairSets = datasetNames('group-pairs');
      if (!pairSets.includes(data.dataset)) fail(`data[${i}].dataset`, `data[${i}].dataset ${JSON.stringify(data.dataset)} is not one of ${pairSets.join(', ')}`);
      let label: string;
      try {
        label = checkGroupLabel(datasetEntry(data.dataset), String(data.group)).label;
      } catch (err) {
        return fail(`data[${i}].group`, `data[${i}]: ${(err as Error).message}`);
      }
      if (label !== data.group) fail(`data[${i}].group`, `data[${i}].group ${JSON.stringify(data.group)} must be written ${JSON.stringify(label)}`);
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

export function findExperiment(name: string, experiments: readonly Experiment[]): Experiment {
  const found = experiments.find((e) => e.name === name);
  if (!found) throw new ValidationError(`unknown experiment ${JSON.stringify(name)}: expected one of ${experiments.map((e) => e.name).join(', ')} (--list describes them)`);
  checkExperiment(found);
  return found;
}
