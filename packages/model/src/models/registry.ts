// The models by name. Each entry is everything the rest of the project needs to know about a
// model: its traits, default configuration, sized presets, which CLI choices it takes, a
// validating parser for configurations read back from disk, and construction from a
// configuration and a seed. Adding a model is its own files plus one entry here.
import * as T from '@maga/tensor';
import type { PivotMode } from '../data/sampler.ts';
import { ConfigError, field, nonNegative, object, oneOf, positiveInt, type Fields } from './config.ts';
import { FLOW_ACTION_DEFAULTS, FLOW_ACTION_TRAITS, FlowAction, parseFlowAction, type FlowActionConfig } from './flow-action.ts';
import { elementSize, type GroupConfig } from '../groups/registry.ts';
import { LATENT_ACTION_DEFAULTS, LATENT_ACTION_TRAITS, LatentAction, parseLatentAction, type LatentActionConfig } from './latent-action.ts';
import { MAGANET_DEFAULTS, MAGANET_TRAITS, Maganet, type MaganetConfig } from './maganet.ts';
import { COPY_X_ACTION, parseCopyX, type CopyXConfig } from './copy-x.ts';
import { ImageBaseline, pixelActionDefaults, type ImageAction } from './pixel-action.ts';
import type { Model, ModelTraits } from './model.ts';
import { parseRotateX, ROTATE_X_ACTION, type RotateXConfig } from './rotate-x.ts';
import { VAE_DEFAULTS, VAE_TRAITS, Vae, type VaeConfig } from './vae.ts';
import { parseWinter, Winter, WINTER_DEFAULTS, WINTER_TRAITS, type WinterConfig } from './winter.ts';

export type ModelConfig = MaganetConfig | VaeConfig | LatentActionConfig | FlowActionConfig | WinterConfig | RotateXConfig | CopyXConfig;
export type ModelKind = ModelConfig['model'];
export type { Model };

/** The sizes every model has a preset for: a test-sized one, a minutes-on-a-CPU one, the paper's. */
export type SizeName = 'tiny' | 'quick' | 'paper';

type DeepPartial<C> = { [K in keyof C]?: C[K] extends (infer _)[] ? C[K] : C[K] extends object ? DeepPartial<C[K]> : C[K] };

export interface ModelSpec<C extends ModelConfig = ModelConfig> {
  kind: C['model'];
  traits: ModelTraits;
  defaults: C;
  /** Changes to `defaults` for each preset size (architecture only; training lengths are the CLI's). */
  sizes: Record<SizeName, DeepPartial<C>>;
  /** The run choices (by the CLI's RunChoices names) this model takes, and the config field each sets. */
  choices: Record<string, readonly string[]>;
  /** The fields of `kind`'s configuration after the common ones (model, imageSize, channels). */
  parse(c: Fields, common: { imageSize: number; channels: number }): C;
  /** Numbers per code z or group element g that the decoder takes (Model.codeDim), known from the config alone. */
  codeDim(config: C): number;
  /** How a dSprites sampler draws pivots for it (Model.pivots), known from the config alone. */
  pivots(config: C): PivotMode;
  /** The known group whose elements the model takes (models with `traits.element` 'known'), else null. */
  group(config: C): GroupConfig | null;
  /**
   * False for a model with nothing to learn (rotate-x): `cli train` writes its run directory and
   * evaluates it without a training step.
   */
  trainable: boolean;
  create(config: C, rng: T.Rng): Promise<Model>;
}

function parseMaganet(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): MaganetConfig {
  if (imageSize % 16 !== 0) throw new ConfigError(`config: imageSize must be divisible by 16, got ${imageSize}`);
  const latentDim = positiveInt(c, '', 'latentDim');
  const encoder = object(field(c, '', 'encoder'), 'encoder');
  const glow = object(field(c, '', 'glow'), 'glow');
  const hidden = field(glow, 'glow.', 'hidden');
  if (hidden !== 'half' && (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden < 1)) {
    throw new ConfigError(`config: glow.hidden must be a positive integer or "half", got ${JSON.stringify(hidden)}`);
  }
  const epsilon = nonNegative(c, '', 'epsilon');
  if (!(epsilon > 0 && epsilon < 0.5)) throw new ConfigError(`config: epsilon must be in (0, 0.5), got ${epsilon}`);
  const levels = positiveInt(glow, 'glow.', 'levels');
  if (imageSize % 2 ** levels !== 0) throw new ConfigError(`config: imageSize ${imageSize} is not divisible by 2^glow.levels = ${2 ** levels}`);
  return {
    model: 'maganet',
    imageSize,
    channels,
    latentDim,
    encoder: { width: positiveInt(encoder, 'encoder.', 'width'), hidden: positiveInt(encoder, 'encoder.', 'hidden') },
    glow: { levels, steps: positiveInt(glow, 'glow.', 'steps'), coupling: oneOf(glow, 'glow.', 'coupling', ['additive', 'affine'] as const), hidden: hidden as number | 'half' },
    epsilon,
    betaKl: nonNegative(c, '', 'betaKl'),
    betaLatent: nonNegative(c, '', 'betaLatent'),
    pairing: oneOf(c, '', 'pairing', ['fixed', 'random'] as const),
  };
}

function parseVae(c: Fields, { imageSize, channels }: { imageSize: number; channels: number }): VaeConfig {
  if (imageSize % 16 !== 0) throw new ConfigError(`config: imageSize must be divisible by 16, got ${imageSize}`);
  const latentDim = positiveInt(c, '', 'latentDim');
  const widths = field(c, '', 'widths');
  if (!Array.isArray(widths) || widths.length !== 4 || widths.some((w) => typeof w !== 'number' || !Number.isInteger(w) || w < 1)) {
    throw new ConfigError(`config: widths must be 4 positive integers, got ${JSON.stringify(widths)}`);
  }
  return { model: 'vae', imageSize, channels, latentDim, widths: widths as number[], beta: nonNegative(c, '', 'beta') };
}

const MAGANET: ModelSpec<MaganetConfig> = {
  kind: 'maganet',
  traits: MAGANET_TRAITS,
  defaults: MAGANET_DEFAULTS,
  sizes: {
    tiny: { encoder: { width: 8, hidden: 32 }, glow: { levels: 2, steps: 1, hidden: 8 } },
    quick: { pairing: 'fixed' },
    paper: { pairing: 'fixed' },
  },
  choices: { latentDim: ['latentDim'], betaKl: ['betaKl'], betaLatent: ['betaLatent'], pairing: ['pairing'], hidden: ['glow', 'hidden'] },
  parse: parseMaganet,
  codeDim: (config) => config.latentDim,
  pivots: (config) => config.pairing,
  group: () => null,
  trainable: true,
  create: (config, rng) => Maganet.create(config, rng),
};

const VAE: ModelSpec<VaeConfig> = {
  kind: 'vae',
  traits: VAE_TRAITS,
  defaults: VAE_DEFAULTS,
  sizes: { tiny: { widths: [8, 8, 16, 16] }, quick: {}, paper: {} },
  choices: { latentDim: ['latentDim'], beta: ['beta'] },
  parse: parseVae,
  codeDim: (config) => config.latentDim,
  pivots: () => 'none',
  group: () => null,
  trainable: true,
  create: async (config, rng) => new Vae(config, rng),
};

// What every model of a known group answers alike: its codes are the group's elements, it draws no
// pivots, and it takes the group and the image's size as run choices.
const KNOWN_GROUP = {
  codeDim: (config: { group: GroupConfig }) => elementSize(config.group),
  pivots: () => 'none' as const,
  group: (config: { group: GroupConfig }) => config.group,
};
const KNOWN_GROUP_CHOICES = { group: ['group'], imageSize: ['imageSize'], channels: ['channels'] };

// Sizes for 32×32 pair data (rotated MNIST); a 64×64 contrast set takes the same entries with
// imageSize changed. tiny: tests and smoke checks (seconds); quick: minutes on 2 CPU cores;
// paper: the defaults, for a real GPU.
const LATENT_ACTION: ModelSpec<LatentActionConfig> = {
  kind: 'latent-action',
  traits: LATENT_ACTION_TRAITS,
  defaults: LATENT_ACTION_DEFAULTS,
  sizes: {
    tiny: { widths: [8, 8, 16], headDim: 8, invariant: 8, blocks: 4 },
    quick: { widths: [16, 32, 32], headDim: 16, invariant: 16, blocks: 8 },
    paper: {},
  },
  choices: { ...KNOWN_GROUP_CHOICES, skips: ['skips'], betaIdentity: ['betaIdentity'], betaEquivariance: ['betaEquivariance'], equivarianceScale: ['equivarianceScale'], betaSkip: ['betaSkip'], frequencies: ['group', 'frequencies'] },
  parse: parseLatentAction,
  ...KNOWN_GROUP,
  trainable: true,
  create: async (config, rng) => new LatentAction(config, rng),
};

const FLOW_ACTION: ModelSpec<FlowActionConfig> = {
  kind: 'flow-action',
  traits: FLOW_ACTION_TRAITS,
  defaults: FLOW_ACTION_DEFAULTS,
  sizes: {
    tiny: { glow: { levels: 2, steps: 1, hidden: 8 }, varying: 8 },
    quick: { glow: { levels: 3, steps: 2, hidden: 'half' } },
    paper: {},
  },
  choices: { ...KNOWN_GROUP_CHOICES, hidden: ['glow', 'hidden'], frequencies: ['group', 'frequencies'] },
  parse: parseFlowAction,
  ...KNOWN_GROUP,
  trainable: true,
  create: (config, rng) => FlowAction.create(config, rng),
};

// The data-space baselines on the digit sets (SO(2), C_n): Winter et al.'s invariant embedding and
// rotation (sizes mirror latent-action's encoder widths), and rotate-x, no model at all.
const WINTER: ModelSpec<WinterConfig> = {
  kind: 'winter',
  traits: WINTER_TRAITS,
  defaults: WINTER_DEFAULTS,
  sizes: {
    tiny: { widths: [8, 8, 16], embedding: 8 },
    quick: { widths: [16, 32, 32] },
    paper: {},
  },
  choices: KNOWN_GROUP_CHOICES,
  parse: parseWinter,
  ...KNOWN_GROUP,
  trainable: true,
  create: async (config, rng) => new Winter(config, rng),
};

/** A data-space baseline's entry (rotate-x, copy-x): the default configuration at every size, nothing to train. */
function imageBaselineSpec<C extends RotateXConfig | CopyXConfig>(kind: C['model'], action: ImageAction, parse: ModelSpec<C>['parse']): ModelSpec<C> {
  return {
    kind,
    traits: action.traits,
    defaults: pixelActionDefaults(kind) as C,
    sizes: { tiny: {}, quick: {}, paper: {} },
    choices: KNOWN_GROUP_CHOICES,
    parse,
    ...KNOWN_GROUP,
    trainable: false,
    create: async (config) => new ImageBaseline(config, action),
  };
}

const ROTATE_X = imageBaselineSpec<RotateXConfig>('rotate-x', ROTATE_X_ACTION, parseRotateX);
const COPY_X = imageBaselineSpec<CopyXConfig>('copy-x', COPY_X_ACTION, parseCopyX);

/** Every model, by kind. */
export const MODELS: { [K in ModelKind]: ModelSpec<Extract<ModelConfig, { model: K }>> } = {
  maganet: MAGANET,
  vae: VAE,
  'latent-action': LATENT_ACTION,
  'flow-action': FLOW_ACTION,
  winter: WINTER,
  'rotate-x': ROTATE_X,
  'copy-x': COPY_X,
};

export const MODEL_KINDS = Object.keys(MODELS) as ModelKind[];

/** The registry entry of a kind, or an error naming the kinds there are. */
export function modelSpec(kind: string): ModelSpec {
  if (!Object.hasOwn(MODELS, kind)) throw new Error(`unknown model '${kind}': expected one of ${MODEL_KINDS.join(', ')}`);
  return MODELS[kind as ModelKind] as unknown as ModelSpec;
}

/** What the API and the viewer are told about a kind's model; null for a kind this version does not know. */
export function modelTraits(kind: string): ModelTraits | null {
  return Object.hasOwn(MODELS, kind) ? MODELS[kind as ModelKind].traits : null;
}

export function defaultConfig(kind: ModelKind): ModelConfig {
  return structuredClone(modelSpec(kind).defaults);
}

function merge(base: unknown, change: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof change !== 'object' || change === null || Array.isArray(change)) return structuredClone(change);
  const out: Fields = { ...(base as Fields) };
  for (const [k, v] of Object.entries(change)) if (v !== undefined) out[k] = merge(out[k], v);
  return out;
}

/**
 * A kind's configuration for a preset size with explicit choices on top (unknown to the kind:
 * an error naming the kinds that take it), validated.
 */
export function configure(kind: ModelKind, size: SizeName, choices: Record<string, unknown> = {}): ModelConfig {
  const spec = modelSpec(kind);
  let config = merge(spec.defaults, spec.sizes[size]) as Fields;
  for (const [name, value] of Object.entries(choices)) {
    if (value === undefined) continue;
    const path = spec.choices[name];
    if (!path) {
      const takers = MODEL_KINDS.filter((k) => Object.hasOwn(modelSpec(k).choices, name));
      throw new ConfigError(`${name} applies to ${takers.length ? takers.map((k) => `model ${k}`).join(', ') : 'no model'} only, not model ${kind}`);
    }
    config = merge(config, path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value)) as Fields;
  }
  return parseModelConfig(config);
}

/** Checks a configuration read from JSON and returns it typed; errors name the field and the value. */
export function parseModelConfig(value: unknown): ModelConfig {
  const c = object(value, '');
  const kind = oneOf(c, '', 'model', MODEL_KINDS);
  const imageSize = positiveInt(c, '', 'imageSize');
  const channels = positiveInt(c, '', 'channels');
  return modelSpec(kind).parse(c, { imageSize, channels });
}

export async function createModel(config: ModelConfig, seed: number): Promise<Model> {
  return modelSpec(config.model).create(config, new T.Rng(seed));
}
