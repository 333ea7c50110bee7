// The known groups of the pair data sets, as a model configuration names them, and how they act:
//   - { kind: 'so2', frequencies }: SO(2), elements θ in radians, ρ(θ) = ⊕_b R(k_b·θ);
//   - { kind: 'cyclic', n, frequencies }: C_n, elements j ∈ {0, …, n−1}, ρ(j) = ⊕_b R(k_b·2πj/n)
//     (the rotations of a digit by quarter turns, or the contrast group's n settings).
// The frequencies k_b are integers, one per 2-D block of the varying part. A feature map
// [N, C, h, w] is acted on channel-wise, the same ρ(g) at every position (ChannelAction).
import * as T from '@maga/tensor';
import { CyclicAction, RotationAction, type GroupAction } from '../actions.ts';
import { Module } from '../nn/module.ts';
import { ConfigError, intList, object, oneOf, positiveInt } from './config.ts';

export type GroupConfig = { kind: 'so2'; frequencies: number[] } | { kind: 'cyclic'; n: number; frequencies: number[] };

export const GROUP_KINDS = ['so2', 'cyclic'] as const;

/** The group a configuration names, checked; errors name the field, what it must be and the value. */
export function parseGroup(value: unknown, path = 'group.'): GroupConfig {
  const g = object(value, path.slice(0, -1));
  const kind = oneOf(g, path, 'kind', GROUP_KINDS);
  const frequencies = intList(g, path, 'frequencies', { min: 0 });
  if (frequencies.every((k) => k === 0)) throw new ConfigError(`config: ${path}frequencies must hold a non-zero frequency (all zero: the group would act as the identity), got ${JSON.stringify(frequencies)}`);
  if (kind === 'so2') return { kind, frequencies };
  const n = positiveInt(g, path, 'n');
  if (n < 2) throw new ConfigError(`config: ${path}n must be at least 2 for a cyclic group C_n, got ${n}`);
  return { kind, n, frequencies };
}

/** A group's name in prose: "SO(2)" or "C_4". */
export const groupName = (group: GroupConfig) => (group.kind === 'so2' ? 'SO(2)' : `C_${group.n}`);

/** The action of the group on [N, invariant + 2·blocks] vectors, block b at frequency frequencies[b mod length]. */
export function vectorAction(group: GroupConfig, invariant: number, blocks: number): RotationAction {
  const frequencies = Array.from({ length: blocks }, (_, b) => group.frequencies[b % group.frequencies.length]);
  const layout = { invariant, frequencies };
  return group.kind === 'so2' ? new RotationAction(layout) : new CyclicAction(group.n, layout);
}

/**
 * Checks group elements on the host: finite angles for SO(2), integers in [0, n) for C_n.
 * `where` names the batch in the error.
 */
export function checkElements(group: GroupConfig, g: ArrayLike<number>, where: string): void {
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    const ok = group.kind === 'so2' ? Number.isFinite(v) : Number.isInteger(v) && v >= 0 && v < group.n;
    if (!ok) {
      const expected = group.kind === 'so2' ? 'a finite angle in radians' : `an integer in [0, ${group.n}) (an element of C_${group.n})`;
      throw new Error(`${where}: g[${i}] = ${v} is not ${expected}`);
    }
  }
}

/**
 * ρ(g) on the channels of feature maps [N, C, h, w]: the first `invariant` channels are left as they
 * are, the remaining C − invariant (an even number) form 2-D blocks rotated by R(k·θ) at every
 * position. A group action because it is ρ(g) ⊗ I on channels × positions.
 */
export class ChannelAction extends Module implements GroupAction {
  readonly vector: RotationAction;

  constructor(
    readonly group: GroupConfig,
    readonly channels: number,
    readonly invariant: number,
  ) {
    super();
    const varying = channels - invariant;
    if (!Number.isInteger(invariant) || invariant < 0 || varying < 2 || varying % 2 !== 0) {
      throw new Error(`channel action: ${channels} channels with ${invariant} invariant leave ${varying} varying, which must be a positive even number`);
    }
    this.vector = vectorAction(group, invariant, varying / 2);
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
    const vectors = T.permute(full, [0, 2, 3, 1]).reshape([rows * h * w, c]);
    const perPosition = g.reshape([-1, 1]).broadcastTo([rows, h * w]).reshape([rows * h * w]);
    const moved = this.vector.act(perPosition, vectors);
    return T.permute(moved.reshape([rows, h, w, c]), [0, 3, 1, 2]);
  }

  override dispose(): void {
    this.vector.dispose();
    super.dispose();
  }
}

/**
 * The group a CLI flag names: "so2", or "c<n>" such as "c4" for C_4 (the contrast group too), with
 * the given frequencies. Errors name the flag's value and what is accepted.
 */
export function groupFromName(name: string, frequencies: number[]): GroupConfig {
  if (name === 'so2') return parseGroup({ kind: 'so2', frequencies });
  const m = /^c([0-9]+)$/i.exec(name);
  if (m) return parseGroup({ kind: 'cyclic', n: Number(m[1]), frequencies });
  throw new ConfigError(`group "${name}" is not one of: so2, c<n> (a cyclic group C_n, n ≥ 2, e.g. c4)`);
}

/** Group elements [N] from codes [N, 1]. */
export function elements(z: T.Tensor): T.Tensor {
  if (z.rank === 2 && z.shape[1] === 1) return z.reshape([z.shape[0]]);
  if (z.rank === 1) return z;
  throw new Error(`group elements must be [N, 1] (one number per element), got ${T.describeShape(z.shape)}`);
}
