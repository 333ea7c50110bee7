// The known groups of the pair data sets, as a model configuration names them, and how they act:
//   - { kind: 'so2', frequencies }: SO(2), elements θ in radians, ρ(θ) = ⊕_b R(k_b·θ);
//   - { kind: 'cyclic', n, frequencies }: C_n, elements j ∈ {0, …, n−1}, ρ(j) = ⊕_b R(k_b·2πj/n)
//     (the rotations of a digit by quarter turns, or the contrast group's n settings);
//   - { kind: 'so3', degrees }: SO(3), rotations in space, elements unit quaternions (w, x, y, z),
//     ρ(q) = ⊕_b D^{ℓ_b}(R(q)) with ℓ_b ∈ {1, 2} (3-vectors rotated by R, or the real Wigner-D of
//     degree 2 on 5-vectors; so3-action.ts).
// The frequencies k_b (integers) or degrees ℓ_b are given per varying block, cycled over the
// blocks. An element is `elementSize(group)` numbers: 1 (an angle or a step j) or 4 (a quaternion);
// a batch of elements is a tensor [N] (size 1) or [N, 4] (so3), and the decoder takes them as
// codes [N, elementSize]. A feature map [N, C, h, w] is acted on channel-wise, the same ρ(g) at
// every position (ChannelAction).
import * as T from '@maga/tensor';
import { CyclicAction, RotationAction, type GroupAction } from '../actions.ts';
import { checkQuaternions } from '../data/quaternion.ts';
import { Module } from '../nn/module.ts';
import { SO3Action } from '../so3-action.ts';
import { ConfigError, intList, object, oneOf, positiveInt } from './config.ts';

export type GroupConfig = { kind: 'so2'; frequencies: number[] } | { kind: 'cyclic'; n: number; frequencies: number[] } | { kind: 'so3'; degrees: number[] };

export const GROUP_KINDS = ['so2', 'cyclic', 'so3'] as const;

/** The degrees ℓ an SO(3) block may have: 1 (3-vectors) and 2 (5-vectors of degree-2 harmonics). */
export const SO3_DEGREES = [1, 2] as const;

/** The degrees of an so3 group when none are asked for: three ℓ = 1 blocks to each ℓ = 2 block. */
export const DEFAULT_SO3_DEGREES: readonly number[] = Object.freeze([1, 1, 1, 2]);

/** The group a configuration names, checked; errors name the field, what it must be and the value. */
export function parseGroup(value: unknown, path = 'group.'): GroupConfig {
  const g = object(value, path.slice(0, -1));
  const kind = oneOf(g, path, 'kind', GROUP_KINDS);
  if (kind === 'so3') {
    const degrees = intList(g, path, 'degrees', { min: 1 });
    const bad = degrees.find((l) => !(SO3_DEGREES as readonly number[]).includes(l));
    if (bad !== undefined) throw new ConfigError(`config: ${path}degrees must each be 1 or 2 (the ℓ of an SO(3) block: 3-vectors or degree-2 harmonics), got ${bad} in ${JSON.stringify(degrees)}`);
    return { kind, degrees };
  }
  const frequencies = intList(g, path, 'frequencies', { min: 0 });
  if (frequencies.every((k) => k === 0)) throw new ConfigError(`config: ${path}frequencies must hold a non-zero frequency (all zero: the group would act as the identity), got ${JSON.stringify(frequencies)}`);
  if (kind === 'so2') return { kind, frequencies };
  const n = positiveInt(g, path, 'n');
  if (n < 2) throw new ConfigError(`config: ${path}n must be at least 2 for a cyclic group C_n, got ${n}`);
  return { kind, n, frequencies };
}

/** A group's name in prose: "SO(2)", "C_4" or "SO(3)". */
export const groupName = (group: GroupConfig) => (group.kind === 'so2' ? 'SO(2)' : group.kind === 'so3' ? 'SO(3)' : `C_${group.n}`);

/** The group's label as a data set and the CLI's --group name it: 'so2', 'c4', 'so3'. */
export const groupLabelOf = (group: GroupConfig) => (group.kind === 'cyclic' ? `c${group.n}` : group.kind);

/** Numbers per group element: 4 for SO(3) (a unit quaternion), 1 for SO(2) (an angle) and C_n (a step). */
export const elementSize = (group: GroupConfig) => (group.kind === 'so3' ? 4 : 1);

/** A group action on latent vectors [N, size] that can be disposed. */
export type VectorAction = GroupAction & { readonly size: number; dispose(): void };

/** The sizes of the varying part's blocks: 2 for SO(2) and C_n, 2ℓ + 1 for SO(3). */
export function blockSizes(group: GroupConfig, blocks: number): number[] {
  return Array.from({ length: blocks }, (_, b) => (group.kind === 'so3' ? 2 * group.degrees[b % group.degrees.length] + 1 : 2));
}

/** The size of a varying part of `blocks` blocks. */
export const varyingSize = (group: GroupConfig, blocks: number) => blockSizes(group, blocks).reduce((s, n) => s + n, 0);

/**
 * The action of the group on [N, invariant + varyingSize(blocks)] vectors. SO(2), C_n: block b at
 * frequency frequencies[b mod length]. SO(3): degrees[b mod length] gives each block's ℓ; the
 * ℓ = 1 blocks come first in the latent, then the ℓ = 2 blocks (SO3Action's layout; the latent's
 * order is a convention, every map into and out of it is learned).
 */
export function vectorAction(group: GroupConfig, invariant: number, blocks: number): VectorAction {
  if (group.kind === 'so3') {
    const degrees = Array.from({ length: blocks }, (_, b) => group.degrees[b % group.degrees.length]);
    return new SO3Action({ invariant, vectors: degrees.filter((l) => l === 1).length, tensors: degrees.filter((l) => l === 2).length });
  }
  const frequencies = Array.from({ length: blocks }, (_, b) => group.frequencies[b % group.frequencies.length]);
  const layout = { invariant, frequencies };
  return group.kind === 'so2' ? new RotationAction(layout) : new CyclicAction(group.n, layout);
}

/**
 * Checks group elements on the host: finite angles for SO(2), integers in [0, n) for C_n, unit
 * quaternions (w, x, y, z), four numbers each, for SO(3) (finite, |q| within quaternion.ts's
 * UNIT_TOLERANCE of 1). `where` names the batch in the error, which names the element and its value.
 */
export function checkElements(group: GroupConfig, g: ArrayLike<number>, where: string): void {
  if (group.kind === 'so3') {
    checkQuaternions(g, where);
    return;
  }
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    const ok = group.kind === 'so2' ? Number.isFinite(v) : Number.isInteger(v) && v >= 0 && v < group.n;
    if (!ok) {
      const expected = group.kind === 'so2' ? 'a finite angle in radians' : `an integer in [0, ${group.n}) (an element of C_${group.n})`;
      throw new Error(`${where}: g[${i}] = ${v} is not ${expected}`);
    }
  }
}

/** The quaternion check alone (for callers that hold no GroupConfig, such as the server's edge). */
export { checkQuaternions };

/**
 * ρ(g) on the channels of feature maps [N, C, h, w]: the first `invariant` channels are left as they
 * are, the remaining C − invariant are acted on at every position — 2-D blocks rotated by R(k·θ)
 * (SO(2), C_n; an even number of channels), or 3-vectors rotated by R (SO(3), ℓ = 1 only; a multiple
 * of 3). A group action because it is ρ(g) ⊗ I on channels × positions.
 */
export class ChannelAction extends Module implements GroupAction {
  readonly vector: VectorAction;

  constructor(
    readonly group: GroupConfig,
    readonly channels: number,
    readonly invariant: number,
  ) {
    super();
    const varying = channels - invariant;
    const width = group.kind === 'so3' ? 3 : 2;
    if (!Number.isInteger(invariant) || invariant < 0 || varying < width || varying % width !== 0) {
      throw new Error(`channel action: ${channels} channels with ${invariant} invariant leave ${varying} varying, which must be a positive multiple of ${width} for ${groupName(group)}`);
    }
    this.vector = group.kind === 'so3' ? new SO3Action({ invariant, vectors: varying / 3 }) : vectorAction(group, invariant, varying / 2);
  }

  /**
   * The invariant channels of a skip map of `channels` (even) under `group`: half of them for SO(2)
   * and C_n (the other half in pairs); for SO(3), what is left after as many 3-vectors as fit in
   * half (8 channels: 5 invariant and one 3-vector).
   */
  static split(group: GroupConfig, channels: number): number {
    return group.kind === 'so3' ? channels - 3 * Math.floor(channels / 6) : channels / 2;
  }

  identity(batch: number): T.Tensor {
    return this.vector.identity(batch);
  }

  compose(g2: T.Tensor, g1: T.Tensor): T.Tensor {
    return this.vector.compose(g2, g1);
  }

  inverse(g: T.Tensor): T.Tensor {
    return this.vector.inverse(g);
  }

  act(g: T.Tensor, map: T.Tensor): T.Tensor {
    if (map.rank !== 4 || map.shape[1] !== this.channels) throw new Error(`channel action: maps must be [N, ${this.channels}, h, w], got ${T.describeShape(map.shape)}`);
    const [n, c, h, w] = map.shape;
    const rows = Math.max(n, g.shape[0]);
    const full = map.broadcastTo([rows, c, h, w]);
    if (this.vector instanceof SO3Action) return this.rotateChannels(g, full);
    const vectors = T.permute(full, [0, 2, 3, 1]).reshape([rows * h * w, c]);
    const perPosition = g.reshape([-1, 1]).broadcastTo([rows, h * w]).reshape([rows * h * w]);
    const moved = this.vector.act(perPosition, vectors);
    return T.permute(moved.reshape([rows, h, w, c]), [0, 3, 1, 2]);
  }

  /** SO(3): one R per sample applied to every position's 3-vectors at once, R [N, 3, 3] · [N, 3, V·h·w]. */
  private rotateChannels(q: T.Tensor, map: T.Tensor): T.Tensor {
    const so3 = this.vector as SO3Action;
    const [n, c, h, w] = map.shape;
    const vectors = (c - this.invariant) / 3;
    if (q.rank !== 2 || q.shape[1] !== 4 || (q.shape[0] !== n && q.shape[0] !== 1)) throw new Error(`channel action: SO(3) elements must be unit quaternions [${n} or 1, 4], got ${T.describeShape(q.shape)}`);
    const rotation = so3.rotationMatrix(q).broadcastTo([n, 3, 3]);
    const varying = T.permute(T.slice(map, 1, this.invariant).reshape([n, vectors, 3, h * w]), [0, 2, 1, 3]).reshape([n, 3, vectors * h * w]);
    const moved = T.permute(T.matmul(rotation, varying).reshape([n, 3, vectors, h * w]), [0, 2, 1, 3]).reshape([n, 3 * vectors, h, w]);
    return this.invariant === 0 ? moved : T.concat([T.slice(map, 1, 0, this.invariant), moved], 1);
  }

  override dispose(): void {
    this.vector.dispose();
    super.dispose();
  }
}

/**
 * The group a CLI flag names: "so2", "so3", or "c<n>" such as "c4" for C_n (the contrast group
 * too), with the given frequencies (SO(2), C_n) or degrees (SO(3)). Errors name the flag's value
 * and what is accepted.
 */
export function groupFromName(name: string, frequencies: number[], degrees: readonly number[] = DEFAULT_SO3_DEGREES): GroupConfig {
  if (name === 'so2') return parseGroup({ kind: 'so2', frequencies });
  if (name === 'so3') return parseGroup({ kind: 'so3', degrees: [...degrees] });
  const m = /^c([0-9]+)$/i.exec(name);
  if (m) return parseGroup({ kind: 'cyclic', n: Number(m[1]), frequencies });
  throw new ConfigError(`group "${name}" is not one of: so2, so3, c<n> (a cyclic group C_n, n ≥ 2, e.g. c4)`);
}

/**
 * Group elements from codes [N, elementSize(group)]: [N] for SO(2) and C_n (a code [N, 1], or
 * already [N]), [N, 4] quaternions for SO(3).
 */
export function elements(group: GroupConfig, z: T.Tensor): T.Tensor {
  const size = elementSize(group);
  if (size === 1) {
    if (z.rank === 2 && z.shape[1] === 1) return z.reshape([z.shape[0]]);
    if (z.rank === 1) return z;
  } else if (z.rank === 2 && z.shape[1] === size) {
    return z;
  }
  const what = size === 1 ? 'one number per element' : 'a unit quaternion (w, x, y, z) per element';
  throw new Error(`${groupName(group)} elements must be [N, ${size}] (${what}), got ${T.describeShape(z.shape)}`);
}
