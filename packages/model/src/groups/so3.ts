// SO(3), the rotations of space: an element is a unit quaternion (w, x, y, z), composed by the
// Hamilton product, inverted by conjugation. Its representation on a latent is ⊕_b D^{ℓ_b}(R(q))
// with ℓ_b ∈ {1, 2} (3-vectors rotated by R, or the real Wigner-D of degree 2 on 5-vectors:
// so3-action.ts), the ℓ = 1 blocks first; on a feature map R turns 3-vectors of channels at every
// position. Training draws rotations uniformly on SO(3) (Shoemake); an evaluation reports per 30°
// arc of the rotation angle in [0°, 180°].
import * as T from '@maga/tensor';
import { ConfigError, intList } from '../models/config.ts';
import { SO3Action } from '../so3-action.ts';
import * as quaternion from '../data/quaternion.ts';
import { ValidationError } from '../validate.ts';
import { arcNames, numbersOf, show, type Group, type GroupKind, type Uniforms, type VectorAction } from './group.ts';
import { cycled } from './so2.ts';

export interface SO3Config {
  kind: 'so3';
  /** The degree ℓ ∈ {1, 2} of each varying block, cycled over the blocks. */
  degrees: number[];
}

/** The degrees ℓ an SO(3) block may have: 1 (3-vectors) and 2 (5-vectors of degree-2 harmonics). */
export const SO3_DEGREES = [1, 2] as const;

/** The degrees of an so3 group when none are asked for: three ℓ = 1 blocks to each ℓ = 2 block. */
export const DEFAULT_SO3_DEGREES: readonly number[] = Object.freeze([1, 1, 1, 2]);

/** so3 evaluation reports per 30° bucket of g's rotation angle in [0°, 180°]. */
export const SO3_ANGLE_BUCKETS = 6;

const float32Quaternion = (q: quaternion.Quaternion) => [...quaternion.roundToFloat32(q)];
const about = (axis: [number, number, number], radians: number) => float32Quaternion(quaternion.fromAxisAngle(axis, radians));
const asQuaternion = (g: ArrayLike<number>): quaternion.Quaternion => [g[0], g[1], g[2], g[3]];

export class SO3 implements Group {
  readonly kind = 'so3';
  readonly label = 'so3';
  readonly name = 'SO(3)';
  readonly id = { kind: 'so3' } as const;
  readonly order = Infinity;
  readonly elementSize = 4;
  readonly elementText = `a unit quaternion [w, x, y, z] of 4 finite numbers, norm 1 within ${quaternion.UNIT_TOLERANCE}`;
  readonly buckets = arcNames(SO3_ANGLE_BUCKETS, 180);
  readonly channelWidth = 3;

  constructor(readonly config: SO3Config) {}

  isElement(g: ArrayLike<number>): boolean {
    if (g.length !== 4 || !Array.from(g).every(Number.isFinite)) return false;
    return Math.abs(Math.hypot(g[0], g[1], g[2], g[3]) - 1) <= quaternion.UNIT_TOLERANCE;
  }

  checkElements(values: ArrayLike<number>, where: string): void {
    quaternion.checkQuaternions(values, where);
  }

  /**
   * A rotation in space: 4 finite numbers of norm 1 within UNIT_TOLERANCE (a float32 quaternion is
   * unit to ~1e-7; a scaled one is refused, never normalised here, so that what is decoded is what
   * was sent).
   */
  describeElement(): string {
    return `${this.elementText} (an element of SO(3))`;
  }

  parseElement(value: unknown, at: string): number[] {
    const refuse = (why: string) => new ValidationError(`${at} must be ${this.describeElement()}, got ${show(value)}${why}`, at);
    if (!Array.isArray(value) || value.length !== 4) throw refuse(Array.isArray(value) ? ` (${value.length} numbers)` : '');
    const bad = value.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw refuse(` (${at}[${bad}] = ${show(value[bad])} is not a finite number)`);
    const g = numbersOf(value, 4) as number[];
    const norm = Math.hypot(...g);
    if (Math.abs(norm - 1) > quaternion.UNIT_TOLERANCE) throw refuse(` (norm ${norm})`);
    return g;
  }

  formatElement(g: ArrayLike<number>): string {
    const q = quaternion.canonical(asQuaternion(g));
    const degrees = (quaternion.rotationAngle(q) * 180) / Math.PI;
    return `${Math.round(degrees)}° (q = (${q.map((v) => v.toFixed(3)).join(', ')}))`;
  }

  identity(): number[] {
    return [...quaternion.IDENTITY_QUATERNION];
  }

  compose(g2: ArrayLike<number>, g1: ArrayLike<number>): number[] {
    return [...quaternion.multiply(asQuaternion(g2), asQuaternion(g1))];
  }

  inverse(g: ArrayLike<number>): number[] {
    return [...quaternion.conjugate(asQuaternion(g))];
  }

  /** q = ±(1, 0, 0, 0): q and −q are the same rotation. */
  isIdentity(g: ArrayLike<number>): boolean {
    return Math.abs(Math.abs(g[0]) - 1) < 1e-7 && Math.abs(g[1]) < 1e-7 && Math.abs(g[2]) < 1e-7 && Math.abs(g[3]) < 1e-7;
  }

  /** A rotation uniform on SO(3) (Shoemake, three draws), w ≥ 0, float32. */
  sample(uniforms: Uniforms): number[] {
    return [...quaternion.roundToFloat32(quaternion.randomRotation(uniforms))];
  }

  bucketOf(g: ArrayLike<number>): number {
    return Math.min(SO3_ANGLE_BUCKETS - 1, Math.floor((quaternion.rotationAngle(asQuaternion(g)) / Math.PI) * SO3_ANGLE_BUCKETS));
  }

  /** A uniform axis (two draws) and an angle uniform inside the bucket's 30° arc (one draw), float32. */
  sampleInBucket(bucket: number, uniforms: Uniforms): number[] {
    const [z, phi] = [uniforms.between(-1, 1), 2 * Math.PI * uniforms.next()];
    const s = Math.sqrt(1 - z * z);
    return about([s * Math.cos(phi), z, s * Math.sin(phi)], (Math.PI * (bucket + uniforms.next())) / SO3_ANGLE_BUCKETS);
  }

  sweepRefusal(decodeRoute: string): string {
    return `traverse sweeps one number of a code at a time, but this run's elements are unit quaternions (SO(3)), which a sweep of one component would leave: decode rotations with ${decodeRoute} { g: [[w, x, y, z], …] }`;
  }

  /** A turn about the vertical axis in 4 steps (0°, 90°, 180°, 270°), then 90° and 180° about x and about z. */
  figureElements(): number[][] {
    const at = (axis: [number, number, number], degrees: number) => about(axis, (degrees * Math.PI) / 180);
    return [...[0, 90, 180, 270].map((d) => at([0, 1, 0], d)), at([1, 0, 0], 90), at([1, 0, 0], 180), at([0, 0, 1], 90), at([0, 0, 1], 180)];
  }

  /** A full turn about the tilted axis (1, 1, 0) in 24 steps. */
  turnElements(): number[][] {
    return Array.from({ length: 24 }, (_, k) => about([1, 1, 0], (2 * Math.PI * k) / 24));
  }

  elements(codes: T.Tensor): T.Tensor {
    if (codes.rank === 2 && codes.shape[1] === 4) return codes;
    throw new Error(`SO(3) elements must be [N, 4] (a unit quaternion (w, x, y, z) per element), got ${T.describeShape(codes.shape)}`);
  }

  private degreesOf(blocks: number): number[] {
    return cycled(this.config.degrees, blocks);
  }

  /** 2ℓ + 1 per block. */
  blockSizes(blocks: number): number[] {
    return this.degreesOf(blocks).map((l) => 2 * l + 1);
  }

  /** The ℓ = 1 blocks come first in the latent, then the ℓ = 2 blocks (SO3Action's layout; every map into and out of the latent is learned). */
  vectorAction(invariant: number, blocks: number): VectorAction {
    const degrees = this.degreesOf(blocks);
    return new SO3Action({ invariant, vectors: degrees.filter((l) => l === 1).length, tensors: degrees.filter((l) => l === 2).length });
  }

  /** What is left after as many 3-vectors as fit in half the channels (8 channels: 5 invariant and one 3-vector). */
  channelSplit(channels: number): number {
    return channels - 3 * Math.floor(channels / 6);
  }

  /** ℓ = 1 only on feature maps: 3-vectors of channels. */
  channelAction(invariant: number, varying: number): VectorAction {
    return new SO3Action({ invariant, vectors: varying / 3 });
  }

  /** One R per sample applied to every position's 3-vectors at once, R [N, 3, 3] · [N, 3, V·h·w]. */
  actOnMaps(action: VectorAction, q: T.Tensor, maps: T.Tensor, invariant: number): T.Tensor {
    const [n, c, h, w] = maps.shape;
    const vectors = (c - invariant) / 3;
    if (q.rank !== 2 || q.shape[1] !== 4 || (q.shape[0] !== n && q.shape[0] !== 1)) throw new Error(`channel action: SO(3) elements must be unit quaternions [${n} or 1, 4], got ${T.describeShape(q.shape)}`);
    const rotation = (action as SO3Action).rotationMatrix(q).broadcastTo([n, 3, 3]);
    const varying = T.permute(T.slice(maps, 1, invariant).reshape([n, vectors, 3, h * w]), [0, 2, 1, 3]).reshape([n, 3, vectors * h * w]);
    const moved = T.permute(T.matmul(rotation, varying).reshape([n, 3, vectors, h * w]), [0, 2, 1, 3]).reshape([n, 3 * vectors, h, w]);
    return invariant === 0 ? moved : T.concat([T.slice(maps, 1, 0, invariant), moved], 1);
  }
}

export const SO3_KIND: GroupKind<SO3Config> = {
  kind: 'so3',
  labels: 'so3',
  description: 'rotations in space',
  elementSize: 4,
  claims: (label) => label === 'so3',
  fromLabel: (_label, like) => {
    const degrees = (like as { degrees?: unknown } | undefined)?.degrees;
    return { kind: 'so3', degrees: Array.isArray(degrees) ? [...degrees] : [...DEFAULT_SO3_DEGREES] };
  },
  parse: (g, path) => {
    const degrees = intList(g, path, 'degrees', { min: 1 });
    const bad = degrees.find((l) => !(SO3_DEGREES as readonly number[]).includes(l));
    if (bad !== undefined) throw new ConfigError(`config: ${path}degrees must each be 1 or 2 (the ℓ of an SO(3) block: 3-vectors or degree-2 harmonics), got ${bad} in ${JSON.stringify(degrees)}`);
    return { kind: 'so3', degrees };
  },
  create: (config) => new SO3(config),
};
