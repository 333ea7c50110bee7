// The models by name: their default configurations, a validating parser for configurations read
// back from disk, and construction from a configuration and a seed.
import * as T from '@maga/tensor';
import { MAGANET_DEFAULTS, Maganet, type MaganetConfig } from './maganet.ts';
import { VAE_DEFAULTS, Vae, type VaeConfig } from './vae.ts';

export type ModelConfig = MaganetConfig | VaeConfig;
export type Model = Maganet | Vae;
export type ModelKind = ModelConfig['model'];

export const MODEL_KINDS: readonly ModelKind[] = ['maganet', 'vae'];

export function defaultConfig(kind: ModelKind): ModelConfig {
  if (kind === 'maganet') return structuredClone(MAGANET_DEFAULTS);
  if (kind === 'vae') return structuredClone(VAE_DEFAULTS);
  throw new Error(`unknown model '${kind}': expected one of ${MODEL_KINDS.join(', ')}`);
}

export async function createModel(config: ModelConfig, seed: number): Promise<Model> {
  const rng = new T.Rng(seed);
  return config.model === 'maganet' ? Maganet.create(config, rng) : new Vae(config, rng);
}

// ---- validation -------------------------------------------------------------------------------

class ConfigError extends Error {}

function field(obj: Record<string, unknown>, path: string, name: string): unknown {
  if (!(name in obj)) throw new ConfigError(`config: missing ${path}${name}`);
  return obj[name];
}

function positiveInt(obj: Record<string, unknown>, path: string, name: string): number {
  const v = field(obj, path, name);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError(`config: ${path}${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegative(obj: Record<string, unknown>, path: string, name: string): number {
  const v = field(obj, path, name);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`config: ${path}${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(obj: Record<string, unknown>, path: string, name: string, allowed: readonly T[]): T {
  const v = field(obj, path, name);
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new ConfigError(`config: ${path}${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`config: ${path || 'the configuration'} must be an object`);
  return v as Record<string, unknown>;
}

/** Checks a configuration read from JSON and returns it typed; errors name the field and the value. */
export function parseModelConfig(value: unknown): ModelConfig {
  const c = object(value, '');
  const kind = oneOf(c, '', 'model', MODEL_KINDS);
  const imageSize = positiveInt(c, '', 'imageSize');
  if (imageSize % 16 !== 0) throw new ConfigError(`config: imageSize must be divisible by 16, got ${imageSize}`);
  const channels = positiveInt(c, '', 'channels');
  const latentDim = positiveInt(c, '', 'latentDim');
  if (kind === 'vae') {
    const widths = field(c, '', 'widths');
    if (!Array.isArray(widths) || widths.length !== 4 || widths.some((w) => typeof w !== 'number' || !Number.isInteger(w) || w < 1)) {
      throw new ConfigError(`config: widths must be 4 positive integers, got ${JSON.stringify(widths)}`);
    }
    return { model: 'vae', imageSize, channels, latentDim, widths: widths as number[], beta: nonNegative(c, '', 'beta') };
  }
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
