// What a new run will be: a preset, overridden by explicit choices, turned into the run's
// config.json. Pure: nothing is created or computed here.
import { configure, MODEL_KINDS, modelSpec, type ModelKind, type Pairing, type SplitName } from '@maga/model';
import { UsageError } from './args.ts';
import { PRESETS, type Preset, type PresetName } from './presets.ts';
import { codeVersion, type LrSchedule, type RunConfig } from './rundir.ts';

/** Everything `cli train` lets a user choose; absent means "the preset's value". */
export interface RunChoices {
  preset?: PresetName;
  model?: ModelKind;
  split?: SplitName;
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
  seed?: number;
  limit?: number;
  checkpointEvery?: number;
  logEvery?: number;
  evalCount?: number;
}

/** The choices that set a model's configuration, by flag: each model's registry entry says which it takes. */
const MODEL_CHOICES = { latentDim: '--latent-dim', betaKl: '--beta-kl', betaLatent: '--beta-latent', beta: '--beta', pairing: '--pairing', hidden: '--hidden' } as const;

export const DEFAULT_PRESET: PresetName = 'quick';
export const DEFAULT_SPLIT: SplitName = 'to-range';

export function planRun(choices: RunChoices, backend = 'unknown', now = new Date()): RunConfig {
  const presetName = choices.preset ?? DEFAULT_PRESET;
  const preset: Preset = PRESETS[presetName];
  const kind = choices.model ?? preset.model;
  const spec = modelSpec(kind);
  const modelChoices: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(MODEL_CHOICES)) {
    const value = choices[key as keyof RunChoices];
    if (value === undefined) continue;
    if (!Object.hasOwn(spec.choices, key)) {
      const takers = MODEL_KINDS.filter((k) => Object.hasOwn(modelSpec(k).choices, key));
      throw new UsageError(`${flag} applies to --model ${takers.join(' or --model ')} only, not --model ${kind}`);
    }
    modelChoices[key] = value;
  }
  let model;
  try {
    // The preset's size of the model's architecture (its registry entry), then the explicit choices.
    model = configure(kind, presetName, modelChoices);
  } catch (e) {
    throw new UsageError((e as Error).message);
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
  if (limit !== null && limit < training.batchSize) throw new UsageError(`--limit ${limit} is smaller than a batch of ${training.batchSize}`);
  return {
    format: 1,
    model,
    data: { dataset: 'dsprites', split: choices.split ?? DEFAULT_SPLIT, pairing: spec.pivots(model as never), limit },
    training,
    seed: choices.seed ?? 0,
    preset: presetName,
    code: codeVersion(),
    backend,
    createdAt: now.toISOString(),
    status: 'training',
  };
}
