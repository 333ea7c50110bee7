// The known groups by kind, and the two ways a group is named: a config (`{ kind: 'cyclic', n: 4,
// frequencies: [1, 2] }`, in a model's config.json) and a label ('c4', as data sets, the CLI's
// --group and run names write it). Adding a group is its own file (a GroupKind and its Group) and
// one entry in KINDS below; callers ask the Group (group.ts) and never branch on its kind.
import type * as T from '@maga/tensor';
import { ConfigError, object, oneOf } from '../models/config.ts';
import { CYCLIC_KIND, type CyclicConfig } from './cyclic.ts';
import type { Group, GroupKind } from './group.ts';
import { SO2_KIND, type SO2Config } from './so2.ts';
import { DEFAULT_SO3_DEGREES, SO3_KIND, type SO3Config } from './so3.ts';

/** A known group as a model's config names it, representation included. */
export type GroupConfig = SO2Config | CyclicConfig | SO3Config;

// A kind registered from outside this package (a test's fixture) has its own config type; the
// registry holds every kind alike.
type AnyKind = GroupKind<{ kind: string }>;

const KINDS = new Map<string, AnyKind>(([SO2_KIND, CYCLIC_KIND, SO3_KIND] as unknown as AnyKind[]).map((k) => [k.kind, k]));

/** The kinds of group there are: 'so2', 'cyclic', 'so3' (and any registered since). */
export const groupKinds = (): string[] => [...KINDS.keys()];

/**
 * Adds a kind of group (its own file's GroupKind): then configs, labels, data sets, the server and the
 * viewer know it. Registering the same entry twice is a no-op; another entry under a taken kind is an
 * error. Returns what takes it out again (a test's fixture leaves the registry as it found it).
 */
export function registerGroupKind<C extends { kind: string }>(kind: GroupKind<C>): () => void {
  const entry = kind as unknown as AnyKind;
  const taken = KINDS.get(entry.kind);
  const remove = () => void (KINDS.get(entry.kind) === entry && KINDS.delete(entry.kind));
  if (taken === entry) return remove;
  if (taken) throw new Error(`a group kind '${entry.kind}' is registered already`);
  KINDS.set(entry.kind, entry);
  return remove;
}

/** The registry's entry for a kind, or an error naming the kinds there are. */
export function groupKind(kind: string): AnyKind {
  const entry = KINDS.get(kind);
  if (!entry) throw new Error(`unknown group kind '${kind}': expected one of ${groupKinds().join(', ')}`);
  return entry;
}

/** The kind whose labels are written like `label`, or null when none claims it. */
export const kindOfLabel = (label: string): AnyKind | null => [...KINDS.values()].find((k) => k.claims(label)) ?? null;

/** A config's group read from JSON, checked; errors name the field (`path` + name), what it must be and the value. */
export function parseGroup(value: unknown, path = 'group.'): GroupConfig {
  const g = object(value, path.slice(0, -1));
  const kind = oneOf(g, path, 'kind', groupKinds());
  return groupKind(kind).parse(g, path) as GroupConfig;
}

const made = new WeakMap<object, Group>();

/** The Group of a checked config (one object per config object). */
export function groupOf(config: GroupConfig | { kind: string }): Group {
  let group = made.get(config);
  if (!group) {
    group = groupKind(config.kind).create(config);
    made.set(config, group);
  }
  return group;
}

/** Every kind's labels for messages, the written-out ones before the patterns: 'so2, so3, c<n>'. */
const allLabels = () =>
  [...KINDS.values()]
    .sort((a, b) => Number(a.labels.includes('<')) - Number(b.labels.includes('<')))
    .map((k) => k.labels)
    .join(', ');

/**
 * The config a label names: 'so2', 'so3', or 'c<n>' such as 'c4' for C_n, with the representation
 * of `like` where it has the kind's fields (a model's default group: its frequencies or degrees),
 * else the kind's default ([1]; SO(3)'s DEFAULT_SO3_DEGREES). Errors name the label and what is accepted.
 */
export function groupConfigFromLabel(label: string, like?: object): GroupConfig {
  const kind = kindOfLabel(label);
  if (!kind) throw new ConfigError(`group "${label}" is not one of: ${allLabels()} (${CYCLIC_KIND.description}, e.g. c4)`);
  return kind.parse(kind.fromLabel(label, like), 'group.') as GroupConfig;
}

/** The Group a label names, with its kind's default representation (data sets need no other). */
export const groupFromLabel = (label: string): Group => groupOf(groupConfigFromLabel(label));

/**
 * The group a CLI flag names with the given frequencies (SO(2), C_n) or degrees (SO(3)): the
 * models' way in (groupConfigFromLabel with those as the representation).
 */
export function groupFromName(name: string, frequencies: number[], degrees: readonly number[] = DEFAULT_SO3_DEGREES): GroupConfig {
  return groupConfigFromLabel(name, { frequencies, degrees });
}

// ---- the conveniences the models use: each asks the config's Group --------------------------

/** A group's name in prose: "SO(2)", "C_4" or "SO(3)". */
export const groupName = (config: GroupConfig) => groupOf(config).name;

/** The group's label as a data set and the CLI's --group name it: 'so2', 'c4', 'so3'. */
export const groupLabelOf = (config: GroupConfig) => groupOf(config).label;

/** Whether the group's elements turn the image plane (SO(2), C_n), so a model may turn images or maps by them. */
export const turnsImagePlane = (config: GroupConfig) => groupOf(config).planeTurn !== undefined;

/** g's angle in the image plane, [N] elements to [N] radians: θ for SO(2), 2πj/n for C_n; `who` names the caller in the error for any other group. */
export function planeAngles(config: GroupConfig, g: T.Tensor, who: string): T.Tensor {
  const turn = groupOf(config).planeTurn;
  if (turn === undefined) throw new Error(`${who}: ${groupName(config)} does not turn the image plane (only SO(2) and C_n do)`);
  return turn === 1 ? g : g.mul(turn);
}

/** Whether a group element (elementSize numbers) is the identity (Group.isIdentity). */
export const isIdentityElement = (config: GroupConfig, g: ArrayLike<number>) => groupOf(config).isIdentity(g);

/** Numbers per group element: 4 for SO(3) (a unit quaternion), 1 for SO(2) (an angle) and C_n (a step). */
export const elementSize = (config: GroupConfig) => groupOf(config).elementSize;

/** The sizes of the varying part's blocks: 2 for SO(2) and C_n, 2ℓ + 1 for SO(3). */
export const blockSizes = (config: GroupConfig, blocks: number) => groupOf(config).blockSizes(blocks);

/** The size of a varying part of `blocks` blocks. */
export const varyingSize = (config: GroupConfig, blocks: number) => blockSizes(config, blocks).reduce((s, n) => s + n, 0);

/**
 * The action of the group on [N, invariant + varyingSize(blocks)] vectors. SO(2), C_n: block b at
 * frequency frequencies[b mod length]. SO(3): degrees[b mod length] gives each block's ℓ, the ℓ = 1
 * blocks first in the latent.
 */
export const vectorAction = (config: GroupConfig, invariant: number, blocks: number) => groupOf(config).vectorAction(invariant, blocks);

/**
 * Checks group elements on the host: finite angles for SO(2), integers in [0, n) for C_n, unit
 * quaternions for SO(3). `where` names the batch in the error, which names the element and its value.
 */
export const checkElements = (config: GroupConfig, g: ArrayLike<number>, where: string) => groupOf(config).checkElements(g, where);

/**
 * Group elements from codes [N, elementSize(group)]: [N] for SO(2) and C_n (a code [N, 1], or
 * already [N]), [N, 4] quaternions for SO(3). Errors name the shape expected.
 */
export const elements = (config: GroupConfig, z: T.Tensor): T.Tensor => groupOf(config).elements(z);
