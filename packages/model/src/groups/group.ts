// What a known group is, for everything that meets one: the configs that name it, the data sets
// that draw its elements, the models that act with it on latents and feature maps, the server that
// checks the elements a request sends, and the viewer that shows them. Each group is one file beside
// this one (so2.ts, cyclic.ts, so3.ts) and one entry in registry.ts; nothing else names a group kind.
//
// Two layers, as in the paper: the *group* (its elements, their product, how training draws them,
// the buckets an evaluation reports) and its *representation* ρ on the latent (the frequencies k of
// SO(2) and C_n blocks, the degrees ℓ of SO(3) blocks). A config holds both; a label ('so2', 'c4',
// 'so3') names the group alone, and takes a default representation where one is needed.
//
// Elements on the host are plain number arrays of `elementSize` numbers: [θ] in radians (SO(2)),
// [j] with j ∈ {0, …, n − 1} (C_n), [w, x, y, z] a unit quaternion (SO(3)). On the device a batch
// of elements is [N] (size 1) or [N, size].
import type * as T from '@maga/tensor';
import type { GroupAction } from '../actions.ts';

export { show } from '../validate.ts';

/** A group action on latent vectors [N, size] that holds device tensors until disposed. */
export type VectorAction = GroupAction & { readonly size: number; dispose(): void };

/** A source of uniform draws in [0, 1) (data/random.ts's UniformStream, or any other). */
export interface Uniforms {
  next(): number;
  between(lo: number, hi: number): number;
  integer(n: number): number;
}

/**
 * How the API and the viewer name a group, without its representation: the kind, and the numbers
 * that pick one group of the kind (C_n's n). JSON as `GET /api/runs` sends it.
 */
export type GroupId = { kind: 'so2' } | { kind: 'cyclic'; n: number } | { kind: 'so3' };

/** The fields every group config has; each kind adds its own (registry.ts's GroupConfig is their union). */
export interface GroupConfigBase {
  kind: string;
}

/**
 * A kind of group, as the registry holds it: how its labels are written and read, its config
 * checked, and the Group made from a config. One per file (so2.ts, cyclic.ts, so3.ts).
 */
export interface GroupKind<C extends GroupConfigBase = GroupConfigBase> {
  readonly kind: C['kind'];
  /** How its labels are written, for messages: 'so2', 'c<n>', 'so3'. */
  readonly labels: string;
  /** What its groups are, in a few words, for messages: 'rotations in space'. */
  readonly description: string;
  /** Numbers per element, the same for every group of the kind. */
  readonly elementSize: number;
  /** Whether `label` is written as this kind's (its numbers, if any, are checked by `parse`). */
  claims(label: string): boolean;
  /**
   * The config fields `label` names, the representation taken from `like` where it has this kind's
   * fields (a model's default config), else the kind's default; `parse` checks them.
   */
  fromLabel(label: string, like?: object): Record<string, unknown>;
  /** A config's fields read from JSON, checked; errors name `path` + the field, what it must be and the value. */
  parse(fields: Record<string, unknown>, path: string): C;
  create(config: C): Group;
}

/** One known group with its representation on latents: what every caller asks instead of naming a kind. */
export interface Group {
  /** The config it was made from (kind, the group's numbers, the representation). */
  readonly config: GroupConfigBase;
  readonly kind: string;
  /** As data sets, the CLI's --group and run names write it: 'so2', 'c4', 'so3'. */
  readonly label: string;
  /** In prose: 'SO(2)', 'C_4', 'SO(3)'. */
  readonly name: string;
  readonly id: GroupId;
  /** The number of elements: n for C_n, Infinity for SO(2) and SO(3). */
  readonly order: number;
  /** Numbers per element. */
  readonly elementSize: number;
  /** What an element is, in words (errors, the API's 400s): 'a finite angle in radians', … */
  readonly elementText: string;
  /**
   * The same with the group named, as a refusal says it: 'an integer in [0, 3] (an element of C_4)';
   * `bound` as parseElement takes it ('a finite angle in radians in [−1000, 1000] (an element of SO(2))').
   */
  describeElement(bound?: number): string;

  // ---- elements on the host -----------------------------------------------------------------

  /** Whether `g` (elementSize numbers) is an element. */
  isElement(g: ArrayLike<number>): boolean;
  /** Checks a flat list of elements; the error names `where`, the element's index and its value. */
  checkElements(values: ArrayLike<number>, where: string): void;
  /**
   * One element as JSON carries it (a number, or four for SO(3)), checked; errors name `at` and the
   * value. `bound` limits the size of an element's numbers where the group does not (SO(2)'s angles:
   * the server refuses codes that would only overflow a decoder).
   */
  parseElement(value: unknown, at: string, bound?: number): number[];
  /** One element for people: 'θ = 90°', 'j = 2', '(w, x, y, z) = (…)'. */
  formatElement(g: ArrayLike<number>): string;
  identity(): number[];
  /** g₂·g₁ (g₁ first). */
  compose(g2: ArrayLike<number>, g1: ArrayLike<number>): number[];
  inverse(g: ArrayLike<number>): number[];
  /** An element drawn as training draws it (uniformly: the Haar measure), from `uniforms`. */
  sample(uniforms: Uniforms): number[];
  /**
   * The element as a rotation of the plane, by this angle in radians: present for SO(2) and its
   * subgroups (C_n turns by 2πj/n), absent for a group that is not one (SO(3)). Data sets that turn
   * an image or an object about one axis ask it.
   */
  planeAngle?(g: ArrayLike<number>): number;
  /**
   * Radians of the image plane's turn per unit of an element's number, where elements are turns
   * of the plane: 1 for SO(2) (θ), 2π/n for C_n (j); absent otherwise (SO(3)). The models that turn
   * images or maps by g (skips 'spatial', rotate-x, winter) ask it, on tensors of elements.
   */
  readonly planeTurn?: number;
  /** Whether g is the identity: θ ≡ 0 (mod 2π, to 1e-6), j ≡ 0 (mod n), q = ±(1, 0, 0, 0) (to 1e-7). */
  isIdentity(g: ArrayLike<number>): boolean;

  // ---- evaluation and figures ---------------------------------------------------------------

  /** The names of the buckets an evaluation reports per (45° arcs of θ, the n elements, 30° arcs of the angle). */
  readonly buckets: readonly string[];
  bucketOf(g: ArrayLike<number>): number;
  /** An element drawn uniformly inside bucket `bucket` (stratified evaluation sets). */
  sampleInBucket(bucket: number, uniforms: Uniforms): number[];
  /** The columns of a run's actions figure: a few elements that show the group. */
  figureElements(): number[][];
  /** The frames of a run's animation: a loop through the group. */
  turnElements(): number[][];
  /**
   * Why a traversal, which sweeps one number of an element, means nothing for this group (C_n's
   * elements are integers, SO(3)'s unit quaternions), with how to decode elements through
   * `decodeRoute` instead; null where a sweep is a path through the group (SO(2)).
   */
  sweepRefusal(decodeRoute: string): string | null;

  // ---- the representation on tensors ----------------------------------------------------------

  /** Elements [N] or [N, size] from codes [N, elementSize] (a decoder's rows); errors name the shape. */
  elements(codes: T.Tensor): T.Tensor;
  /** The sizes of `blocks` varying blocks of the latent. */
  blockSizes(blocks: number): number[];
  /** ρ on [N, invariant + Σ blockSizes(blocks)] latents: identity on the invariant part. */
  vectorAction(invariant: number, blocks: number): VectorAction;
  /** Channels per varying block of a feature map (ChannelAction): 2 (rotated pairs) or 3 (3-vectors). */
  readonly channelWidth: number;
  /** The invariant channels of a skip map of `channels`. */
  channelSplit(channels: number): number;
  /** ρ on the varying channels at one position: `varying / channelWidth` blocks after `invariant` channels. */
  channelAction(invariant: number, varying: number): VectorAction;
  /** ρ(g) on [N, C, h, w] maps at once, when the group has a faster way than position by position (SO(3)); else absent. */
  actOnMaps?(action: VectorAction, g: T.Tensor, maps: T.Tensor, invariant: number): T.Tensor;
}

/** `count` numbers from a JSON value (a number when count is 1), or null when it is not that shape. */
export function numbersOf(value: unknown, count: number): number[] | null {
  if (count === 1 && typeof value === 'number') return [value];
  if (Array.isArray(value) && value.length === count && value.every((v) => typeof v === 'number')) return value as number[];
  return null;
}

const TWO_PI = 2 * Math.PI;

/** An angle in [0, 2π), in float32, so that what a batch's g says is exactly what was rendered. */
export function wrapAngle(angle: number): number {
  let wrapped = Math.fround(angle % TWO_PI);
  if (wrapped < 0) wrapped = Math.fround(wrapped + TWO_PI);
  return wrapped >= TWO_PI ? 0 : wrapped;
}

/** Names of `count` equal arcs of `degrees`: '0–45°', '45–90°', … */
export const arcNames = (count: number, degrees: number) => Array.from({ length: count }, (_, b) => `${(degrees * b) / count}–${(degrees * (b + 1)) / count}°`);
