// What a new run will be: a preset, overridden by explicit choices, turned into the run's
// config.json. Pure: nothing is created or computed here.
import { checkPairGroup, configure, defaultPairGroup, groupFromName, isObjects3d, MODEL_KINDS, modelSpec, PAIR_DATASET_NAMES, pairImageShape, parsePairDataset, ValidationError, type GroupConfig, type ModelKind, type PairDatasetName, type Pairing, type SplitName } from '@maga/model';
import { presetFor, PRESETS, type PresetName } from './presets.ts';
import { codeVersion, type LrSchedule, type RunConfig, type RunData } from '../run/rundir.ts';

/** Everything `cli train` lets a user choose; absent means "the preset's value". */
export interface RunChoices {
  preset?: PresetName;
  model?: ModelKind;
  split?: SplitName;
  /** 'dsprites' or a pair data set (rotated-mnist, rotated-blocked-mnist, contrast, objects3d, planes-sky). */
  dataset?: string;
  /** A pair run's group: 'so2', 'c<n>' or 'so3' (the 3-D sets). */
  group?: string;
  steps?: number;
  batch?: number;
  lr?: number;
  schedule?: LrSchedule;
  clipNorm?: number;
  betaKl?: number;
  betaLatent?: number;
  beta?: number;
  pairing?: Pairing;
  hidden?: number | 'half';
  latentDim?: number;
  /** latent-action: skip connections through the action, and its loss weights. */
  skips?: boolean;
  betaIdentity?: number;
  betaEquivariance?: number;
  seed?: number;
  limit?: number;
  checkpointEvery?: number;
  logEvery?: number;
  evalCount?: number;
}

/** The choices that set a model's configuration, by flag: each model's registry entry says which it takes. */
export const MODEL_CHOICES = {
  latentDim: '--latent-dim',
  betaKl: '--beta-kl',
  betaLatent: '--beta-latent',
  beta: '--beta',
  pairing: '--pairing',
  hidden: '--hidden',
  skips: '--skips',
  betaIdentity: '--beta-identity',
  betaEquivariance: '--beta-equivariance',
} as const;

export const DEFAULT_PRESET: PresetName = 'quick';
export const DEFAULT_SPLIT: SplitName = 'to-range';
/** What a known-group model trains on when --dataset is not given, and the model --dataset implies. */
export const DEFAULT_PAIR_DATASET: PairDatasetName = 'rotated-mnist';
export const DEFAULT_PAIR_MODEL: ModelKind = 'latent-action';
/** The group of a pair data set when --group is not given: contrast has n settings, so C_4; the 3-D sets SO(3); else SO(2). */
export const defaultGroup = (dataset: PairDatasetName) => defaultPairGroup(dataset);

const PAIR_MODELS = MODEL_KINDS.filter((k) => modelSpec(k).traits.batch === 'group-pairs');
const DSPRITES_MODELS = MODEL_KINDS.filter((k) => modelSpec(k).traits.batch === 'dsprites');

interface PairPlan {
  dataset: PairDatasetName;
  group: string;
  modelGroup: GroupConfig;
}

/** The data set and group of a pair run, checked against each other and the model; errors name the flag. */
function planPairs(kind: ModelKind, choices: RunChoices): PairPlan {
  if (choices.split !== undefined) throw new ValidationError(`--split applies to dSprites runs (--model ${DSPRITES_MODELS.join(' or ')}), not --model ${kind}: it trains on pairs of --dataset ${PAIR_DATASET_NAMES.join('|')}`, '--split');
  if (choices.dataset === 'dsprites') throw new ValidationError(`--model ${kind} trains on pairs (x, g·x) with a known g: --dataset must be one of ${PAIR_DATASET_NAMES.join(', ')}, not dsprites`, '--dataset');
  let dataset: PairDatasetName;
  try {
    dataset = parsePairDataset(choices.dataset ?? DEFAULT_PAIR_DATASET);
  } catch {
    throw new ValidationError(`--dataset: unknown data set ${JSON.stringify(choices.dataset)}: expected dsprites or one of ${PAIR_DATASET_NAMES.join(', ')}`, '--dataset');
  }
  const label = choices.group ?? defaultGroup(dataset);
  let group: string;
  try {
    group = checkPairGroup(dataset, label);
  } catch (e) {
    throw new ValidationError(`--group: ${(e as Error).message}`, '--group');
  }
  let modelGroup: GroupConfig;
  try {
    const defaults = modelSpec(kind).defaults as { group: GroupConfig };
    modelGroup = groupFromName(group, defaults.group.kind === 'so3' ? [1] : defaults.group.frequencies);
  } catch (e) {
    throw new ValidationError(`--group ${group}: ${(e as Error).message}`, '--group');
  }
  return { dataset, group, modelGroup };
}

export function planRun(choices: RunChoices, backend = 'unknown', now = new Date()): RunConfig {
  const presetName = choices.preset ?? DEFAULT_PRESET;
  const pairDataset = choices.dataset !== undefined && choices.dataset !== 'dsprites';
  const kind = choices.model ?? (pairDataset ? DEFAULT_PAIR_MODEL : PRESETS[presetName].model);
  const spec = modelSpec(kind);
  const pairs = spec.traits.batch === 'group-pairs';
  if (!pairs && pairDataset) throw new ValidationError(`--dataset ${choices.dataset} holds pairs with a known g, for --model ${PAIR_MODELS.join(' or ')}; --model ${kind} trains on dsprites`, '--dataset');
  if (!pairs && choices.group !== undefined) throw new ValidationError(`--group applies to --model ${PAIR_MODELS.join(' or ')} only, not --model ${kind} (it learns its transformations from dSprites)`, '--group');
  const pairPlan = pairs ? planPairs(kind, choices) : null;
  const preset = presetFor(PRESETS[presetName], pairs, pairPlan !== null && isObjects3d(pairPlan.dataset));
  const modelChoices: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(MODEL_CHOICES)) {
    const value = choices[key as keyof RunChoices];
    if (value === undefined) continue;
    if (!Object.hasOwn(spec.choices, key)) {
      const takers = MODEL_KINDS.filter((k) => Object.hasOwn(modelSpec(k).choices, key));
      throw new ValidationError(`${flag} applies to --model ${takers.join(' or --model ')} only, not --model ${kind}`, flag);
    }
    modelChoices[key] = value;
  }
  let model;
  try {
    // The preset's size of the model's architecture (its registry entry), then the explicit choices.
    if (pairPlan) {
      const [channels, imageSize] = pairImageShape(pairPlan.dataset);
      Object.assign(modelChoices, { group: pairPlan.modelGroup, imageSize, channels });
    }
    model = configure(kind, presetName, modelChoices);
  } catch (e) {
    throw e instanceof ValidationError ? e : new ValidationError((e as Error).message);
  }

  const training = {
    steps: choices.steps ?? preset.steps,
    batchSize: choices.batch ?? preset.batchSize,
    optimizer: 'adam' as const,
    lr: choices.lr ?? preset.lr,
    schedule: choices.schedule ?? preset.schedule,
    clipNorm: choices.clipNorm ?? preset.clipNorm,
    logEvery: choices.logEvery ?? preset.logEvery,
    checkpointEvery: choices.checkpointEvery ?? preset.checkpointEvery,
    evalCount: choices.evalCount ?? preset.evalCount,
  };
  const limit = choices.limit ?? preset.limit;
  if (limit !== null && limit < training.batchSize) throw new ValidationError(`--limit ${limit} is smaller than a batch of ${training.batchSize}`, '--limit');
  const data: RunData = pairPlan
    ? { dataset: pairPlan.dataset, group: pairPlan.group, limit }
    : { dataset: 'dsprites', split: choices.split ?? DEFAULT_SPLIT, pairing: spec.pivots(model as never), limit };
  return {
    format: 1,
    model,
    data,
    training,
    seed: choices.seed ?? 0,
    preset: presetName,
    code: codeVersion(),
    backend,
    createdAt: now.toISOString(),
    status: 'training',
  };
}
