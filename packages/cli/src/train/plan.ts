// What a new run will be: a preset, overridden by explicit choices, turned into the run's
// config.json. Pure: nothing is created or computed here.
import { checkGroupKind, configure, datasetEntry, datasetNames, groupConfigFromLabel, MODEL_KINDS, modelSpec, ValidationError, type DatasetEntry, type DspritesData, type GroupConfig, type ModelKind, type ModelTraits, type Pairing, type SkipMode, type SplitName } from '@maga/model';
import { presetFor, PRESETS, type PresetName } from './presets.ts';
import { codeVersion, type LrSchedule, type RunConfig, type RunData, type TrainingSettings } from '../run/rundir.ts';

/** Everything `cli train` lets a user choose; absent means "the preset's value". */
export interface RunChoices {
  preset?: PresetName;
  model?: ModelKind;
  split?: SplitName;
  /** A data set of the registry: dsprites, or a pair data set (rotated-mnist, rotated-blocked-mnist, contrast, objects3d, planes-sky, …). */
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
  /**
   * latent-action: how g reaches the skip connections ('none', 'channels', 'invariant', 'spatial';
   * true/false, from tables written before issue 24, are 'channels'/'none'), and its loss terms.
   */
  skips?: SkipMode | boolean;
  betaIdentity?: number;
  betaEquivariance?: number;
  equivarianceScale?: 'relative' | 'absolute';
  betaSkip?: number;
  /** The known group's frequencies 1…K, cycled over the latent's blocks (and channel pairs): K (latent-action, flow-action). */
  frequencies?: number;
  seed?: number;
  limit?: number;
  checkpointEvery?: number;
  logEvery?: number;
  evalCount?: number;
  /** The test curve: evaluate every this many steps (0 or absent: never), on this many images of each part. */
  evalEvery?: number;
  evalSample?: number;
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
  equivarianceScale: '--equivariance',
  betaSkip: '--beta-skip',
} as const;

export const DEFAULT_PRESET: PresetName = 'quick';
export const DEFAULT_SPLIT: SplitName = 'to-range';
/** The data set a model trains on when --dataset is not given, by the batches it trains on (ModelTraits.batch). */
export const DEFAULT_DATASET: Readonly<Record<ModelTraits['batch'], string>> = { dsprites: 'dsprites', 'group-pairs': 'rotated-mnist' };
/** The model --dataset implies when it names a pair data set and --model is not given. */
export const DEFAULT_PAIR_MODEL: ModelKind = 'latent-action';

const PAIR_MODELS = MODEL_KINDS.filter((k) => modelSpec(k).traits.batch === 'group-pairs');
const DSPRITES_MODELS = MODEL_KINDS.filter((k) => modelSpec(k).traits.batch === 'dsprites');

/** The entry of the data set a --dataset names, or an error naming the flag and the sets there are. */
export function datasetFlag(name: string): DatasetEntry {
  try {
    return datasetEntry(name);
  } catch {
    const pairs = datasetNames('group-pairs');
    throw new ValidationError(`--dataset: unknown data set ${JSON.stringify(name)}: expected ${datasetNames().filter((n) => !pairs.includes(n)).join(', ')} or one of ${pairs.join(', ')}`, '--dataset');
  }
}

/** A pair set's group label, checked against the set (its kind): errors say `--group: …`. */
export function checkGroupFlag(entry: DatasetEntry, label: string): string {
  try {
    checkGroupKind(entry, label);
  } catch (e) {
    throw new ValidationError(`--group: ${(e as Error).message}`, '--group');
  }
  return label;
}

/** The model's group config for a label, its representation from `like` (the model's own): errors say `--group L: …`. */
export function modelGroupFlag(label: string, like: object): GroupConfig {
  try {
    return groupConfigFromLabel(label, like);
  } catch (e) {
    throw new ValidationError(`--group ${label}: ${(e as Error).message}`, '--group');
  }
}

interface PairPlan {
  entry: DatasetEntry;
  group: string;
  modelGroup: GroupConfig;
}

/** The training settings other than steps that a flag may set: the flag's value, else `base`'s (a preset's or a run's). */
export function chosenTraining(choices: RunChoices, base: Omit<TrainingSettings, 'steps' | 'optimizer' | 'evalEvery' | 'evalSample'>): Omit<TrainingSettings, 'steps' | 'optimizer' | 'evalEvery' | 'evalSample'> {
  return {
    batchSize: choices.batch ?? base.batchSize,
    lr: choices.lr ?? base.lr,
    schedule: choices.schedule ?? base.schedule,
    clipNorm: choices.clipNorm ?? base.clipNorm,
    logEvery: choices.logEvery ?? base.logEvery,
    checkpointEvery: choices.checkpointEvery ?? base.checkpointEvery,
    evalCount: choices.evalCount ?? base.evalCount,
  };
}

/** The data set and group of a pair run, checked against each other and the model; errors name the flag. */
function planPairs(kind: ModelKind, choices: RunChoices, named: DatasetEntry | null): PairPlan {
  const pairs = datasetNames('group-pairs');
  if (choices.split !== undefined) throw new ValidationError(`--split applies to dSprites runs (--model ${DSPRITES_MODELS.join(' or ')}), not --model ${kind}: it trains on pairs of --dataset ${pairs.join('|')}`, '--split');
  if (named && named.batch !== 'group-pairs') throw new ValidationError(`--model ${kind} trains on pairs (x, g·x) with a known g: --dataset must be one of ${pairs.join(', ')}, not ${named.name}`, '--dataset');
  const entry = named ?? datasetEntry(DEFAULT_DATASET['group-pairs']);
  const group = checkGroupFlag(entry, choices.group ?? entry.defaultGroup!);
  const defaults = (modelSpec(kind).defaults as { group: GroupConfig }).group;
  if (choices.frequencies === undefined) return { entry, group, modelGroup: modelGroupFlag(group, defaults) };
  if (!Object.hasOwn(modelSpec(kind).choices, 'frequencies')) {
    const takers = MODEL_KINDS.filter((k) => Object.hasOwn(modelSpec(k).choices, 'frequencies'));
    throw new ValidationError(`--frequencies applies to --model ${takers.join(' or --model ')} only, not --model ${kind}`, '--frequencies');
  }
  // Frequencies are the representation of groups whose blocks turn by k·θ (SO(2), C_n); SO(3)'s blocks have degrees ℓ.
  if (!('frequencies' in modelGroupFlag(group, defaults))) throw new ValidationError(`--frequencies applies to so2 and c<n>, not ${group} (whose blocks have degrees ℓ, not frequencies)`, '--frequencies');
  const frequencies = Array.from({ length: choices.frequencies }, (_, k) => k + 1);
  return { entry, group, modelGroup: modelGroupFlag(group, { ...defaults, frequencies }) };
}

export function planRun(choices: RunChoices, backend = 'unknown', now = new Date()): RunConfig {
  const presetName = choices.preset ?? DEFAULT_PRESET;
  const named = choices.dataset === undefined ? null : datasetFlag(choices.dataset);
  const pairDataset = named?.batch === 'group-pairs';
  const kind = choices.model ?? (pairDataset ? DEFAULT_PAIR_MODEL : PRESETS[presetName].model);
  const spec = modelSpec(kind);
  const pairs = spec.traits.batch === 'group-pairs';
  if (!pairs && pairDataset) throw new ValidationError(`--dataset ${choices.dataset} holds pairs with a known g, for --model ${PAIR_MODELS.join(' or ')}; --model ${kind} trains on dsprites`, '--dataset');
  if (!pairs && choices.group !== undefined) throw new ValidationError(`--group applies to --model ${PAIR_MODELS.join(' or ')} only, not --model ${kind} (it learns its transformations from dSprites)`, '--group');
  const pairPlan = pairs ? planPairs(kind, choices, named) : null;
  const entry = pairPlan?.entry ?? named ?? datasetEntry(DEFAULT_DATASET[spec.traits.batch]);
  // The preset, with what the data set changes of it (its entry's presets: the pair models' lengths, the 3-D sets' own).
  const preset = presetFor(PRESETS[presetName], presetName, entry);
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
      const [channels, imageSize] = entry.imageShape;
      Object.assign(modelChoices, { group: pairPlan.modelGroup, imageSize, channels });
    }
    model = configure(kind, presetName, modelChoices);
  } catch (e) {
    throw e instanceof ValidationError ? e : new ValidationError((e as Error).message);
  }

  // A model with nothing to learn (rotate-x) trains 0 steps: its run is written and evaluated at once.
  if (!spec.trainable && choices.steps !== undefined && choices.steps > 0) throw new ValidationError(`--model ${kind} has no parameters to train: leave out --steps (its run directory is written and evaluated at once)`, '--steps');
  const { batchSize, ...chosen } = chosenTraining(choices, preset);
  // The keys in config.json's order: steps, batchSize, optimizer, then the rest.
  const training = { steps: spec.trainable ? (choices.steps ?? preset.steps) : 0, batchSize, optimizer: 'adam' as const, ...chosen, evalEvery: choices.evalEvery ?? 0, evalSample: choices.evalSample ?? Math.min(chosen.evalCount, 256) };
  const limit = choices.limit ?? preset.limit;
  if (limit !== null && limit < training.batchSize) throw new ValidationError(`--limit ${limit} is smaller than a batch of ${training.batchSize}`, '--limit');
  const data: RunData = pairPlan
    ? { dataset: entry.name, group: pairPlan.group, limit }
    : { dataset: entry.name as DspritesData['dataset'], split: choices.split ?? DEFAULT_SPLIT, pairing: spec.pivots(model as never), limit };
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
