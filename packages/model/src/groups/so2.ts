// SO(2), the rotations of the plane: an element is an angle θ in radians, composed by addition.
// Its representation on a latent is ⊕_b R(k_b·θ), one 2×2 rotation per varying block at an integer
// frequency k_b (cycled from the config's list over the blocks); on a feature map the same ρ(θ) acts
// on channel pairs at every position (Jin et al.). Training draws θ uniformly in [0, 2π); an
// evaluation reports per 45° arc of θ.
import * as T from '@maga/tensor';
import { RotationAction } from '../actions.ts';
import { ConfigError, intList, type Fields } from '../models/config.ts';
import { ValidationError } from '../validate.ts';
import { arcNames, numbersOf, show, wrapAngle, type Group, type GroupKind, type Uniforms, type VectorAction } from './group.ts';

export interface SO2Config {
  kind: 'so2';
  /** One integer frequency k per varying block, cycled over the blocks; not all 0. */
  frequencies: number[];
}

const TWO_PI = 2 * Math.PI;

/** SO(2) evaluation reports per 45° bucket of θ. */
export const ANGLE_BUCKETS = 8;

/** Which of `buckets` equal arcs of [0, 2π) the angle θ falls in (θ is wrapped first). */
export function angleBucket(theta: number, buckets = ANGLE_BUCKETS): number {
  if (!Number.isFinite(theta)) throw new Error(`angleBucket: the angle ${theta} is not a finite number`);
  return Math.min(buckets - 1, Math.floor((wrapAngle(theta) / TWO_PI) * buckets));
}

// ---- what SO(2) and C_n share: one number per element, 2-D blocks at integer frequencies -------

/** A config's frequencies, checked: integers ≥ 0, at least one non-zero (else ρ is the identity). */
export function parseFrequencies(g: Fields, path: string): number[] {
  const frequencies = intList(g, path, 'frequencies', { min: 0 });
  if (frequencies.every((k) => k === 0)) throw new ConfigError(`config: ${path}frequencies must hold a non-zero frequency (all zero: the group would act as the identity), got ${JSON.stringify(frequencies)}`);
  return frequencies;
}

/** The frequencies of a model's config, where it has them (else [1]): the representation a label takes. */
export const frequenciesLike = (like?: object): number[] => {
  const frequencies = (like as { frequencies?: unknown } | undefined)?.frequencies;
  return Array.isArray(frequencies) ? [...frequencies] : [1];
};

/** `list` cycled over `count` entries: entry b is list[b mod length]. */
export const cycled = (list: readonly number[], count: number) => Array.from({ length: count }, (_, b) => list[b % list.length]);

/** Elements [N] from codes [N, 1] (or [N] already): the groups whose elements are one number. */
export function scalarElements(name: string, z: T.Tensor): T.Tensor {
  if (z.rank === 2 && z.shape[1] === 1) return z.reshape([z.shape[0]]);
  if (z.rank === 1) return z;
  throw new Error(`${name} elements must be [N, 1] (one number per element), got ${T.describeShape(z.shape)}`);
}

/** Blocks of 2: rotated pairs of latent components or of channels. */
export const pairBlocks = (blocks: number) => Array.from({ length: blocks }, () => 2);

/**
 * What the groups that turn the plane share (SO(2), C_n): one number per element, read off a code
 * [N, 1]; the latent's varying part in 2-D blocks; on feature maps, channels in pairs, half the
 * channels varying, acted on as the blocks of a vector.
 */
export abstract class PlaneGroup {
  readonly elementSize = 1;
  readonly channelWidth = 2;
  abstract readonly name: string;
  abstract vectorAction(invariant: number, blocks: number): VectorAction;

  elements(codes: T.Tensor): T.Tensor {
    return scalarElements(this.name, codes);
  }

  blockSizes(blocks: number): number[] {
    return pairBlocks(blocks);
  }

  channelSplit(channels: number): number {
    return channels / 2;
  }

  channelAction(invariant: number, varying: number): VectorAction {
    return this.vectorAction(invariant, varying / 2);
  }
}

// ---- SO(2) ------------------------------------------------------------------------------------

export class SO2 extends PlaneGroup implements Group {
  readonly kind = 'so2';
  readonly label = 'so2';
  readonly name = 'SO(2)';
  readonly id = { kind: 'so2' } as const;
  readonly order = Infinity;
  readonly elementText = 'a finite angle in radians';
  readonly buckets = arcNames(ANGLE_BUCKETS, 360);

  constructor(readonly config: SO2Config) {
    super();
  }

  isElement(g: ArrayLike<number>): boolean {
    return g.length === 1 && Number.isFinite(g[0]);
  }

  checkElements(values: ArrayLike<number>, where: string): void {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`${where}: g[${i}] = ${values[i]} is not a finite angle in radians`);
    }
  }

  describeElement(bound = Infinity): string {
    return `${this.elementText}${Number.isFinite(bound) ? ` in [${-bound}, ${bound}]` : ''} (an element of SO(2))`;
  }

  /** `bound` limits |θ| (the server's: angles far outside a turn would only overflow a flow). */
  parseElement(value: unknown, at: string, bound = Infinity): number[] {
    const g = numbersOf(value, 1);
    if (!g || !Number.isFinite(g[0]) || Math.abs(g[0]) > bound) throw new ValidationError(`${at} must be ${this.describeElement(bound)}, got ${show(value)}`, at);
    return g;
  }

  formatElement(g: ArrayLike<number>): string {
    return `θ = ${Math.round((g[0] * 180) / Math.PI)}°`;
  }

  identity(): number[] {
    return [0];
  }

  compose(g2: ArrayLike<number>, g1: ArrayLike<number>): number[] {
    return [g2[0] + g1[0]];
  }

  inverse(g: ArrayLike<number>): number[] {
    return [-g[0]];
  }

  /** θ uniform in [0, 2π), float32. */
  sample(uniforms: Uniforms): number[] {
    return [wrapAngle(TWO_PI * uniforms.next())];
  }

  planeAngle(g: ArrayLike<number>): number {
    return g[0];
  }

  readonly planeTurn = 1;

  isIdentity(g: ArrayLike<number>): boolean {
    const turns = g[0] / TWO_PI;
    return Math.abs(turns - Math.round(turns)) * TWO_PI < 1e-6;
  }

  bucketOf(g: ArrayLike<number>): number {
    return angleBucket(g[0]);
  }

  /** θ uniform inside the bucket's 45° arc, float32. */
  sampleInBucket(bucket: number, uniforms: Uniforms): number[] {
    return [wrapAngle((TWO_PI * (bucket + uniforms.next())) / ANGLE_BUCKETS)];
  }

  sweepRefusal(): null {
    return null;
  }

  /** 8 angles a turn. */
  figureElements(): number[][] {
    return Array.from({ length: 8 }, (_, k) => [Math.fround((TWO_PI * k) / 8)]);
  }

  /** A full turn in 24 steps. */
  turnElements(): number[][] {
    return Array.from({ length: 24 }, (_, k) => [Math.fround((TWO_PI * k) / 24)]);
  }

  vectorAction(invariant: number, blocks: number): VectorAction {
    return new RotationAction({ invariant, frequencies: cycled(this.config.frequencies, blocks) });
  }
}

export const SO2_KIND: GroupKind<SO2Config> = {
  kind: 'so2',
  labels: 'so2',
  description: 'rotations of the plane',
  elementSize: 1,
  claims: (label) => label === 'so2',
  fromLabel: (_label, like) => ({ kind: 'so2', frequencies: frequenciesLike(like) }),
  parse: (g, path) => ({ kind: 'so2', frequencies: parseFrequencies(g, path) }),
  create: (config) => new SO2(config),
};
