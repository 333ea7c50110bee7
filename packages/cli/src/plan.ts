// What a new run will be: a preset, overridden by explicit choices, turned into the run's
// config.json. Pure: nothing is created or computed here.
import { defaultConfig, parseModelConfig, type MaganetConfig, type ModelKind, type Pairing, type SplitName, type VaeConfig } from '@maga/model';
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

const MAGANET_ONLY = { betaKl: '--beta-kl', betaLatent: '--beta-latent', pairing: '--pairing', hidden: '--hidden' } as const;
const VAE_ONLY = { beta: '--beta' } as const;

export const DEFAULT_PRESET: PresetName = 'quick';
export const DEFAULT_SPLIT: SplitName = 'to-range';

export function planRun(choices: RunChoices, backend = 'unknown', now = new Date()): RunConfig {
  const presetName = choices.preset ?? DEFAULT_PRESET;
  const preset: Preset = PRESETS[presetName];
  const kind = choices.model ?? preset.model;
  const misplaced = kind === 'vae' ? MAGANET_ONLY : VAE_ONLY;
  for (const [key, flag] of Object.entries(misplaced)) {
    if (choices[key as keyof RunChoices] !== undefined) throw new UsageError(`${flag} applies to --model ${kind === 'vae' ? 'maganet' : 'vae'} only, not --model ${kind}`);
  }

  let model = defaultConfig(kind);
  if (model.model === 'maganet') {
    const p = preset.maganet;
    const config: MaganetConfig = {
      ...model,
      encoder: { ...model.encoder, ...p.encoder },
      glow: { ...model.glow, ...p.glow, ...(choices.hidden !== undefined ? { hidden: choices.hidden } : {}) },
      pairing: choices.pairing ?? p.pairing ?? model.pairing,
      betaKl: choices.betaKl ?? model.betaKl,
      betaLatent: choices.betaLatent ?? model.betaLatent,
    };
    model = config;
  } else {
    const config: VaeConfig = { ...model, ...preset.vae, beta: choices.beta ?? model.beta };
    model = config;
  }
  if (choices.latentDim !== undefined) model.latentDim = choices.latentDim;
  try {
    model = parseModelConfig(model);
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
    data: { dataset: 'dsprites', split: choices.split ?? DEFAULT_SPLIT, pairing: model.model === 'maganet' ? model.pairing : 'none', limit },
    training,
    seed: choices.seed ?? 0,
    preset: presetName,
    code: codeVersion(),
    backend,
    createdAt: now.toISOString(),
    status: 'training',
  };
}
