// The data sets for known-group training (Jin et al.'s latent group actions): pairs (x, g·x) with
// the group element g given to the model. Three sets, each 1×32×32 images with pixels in [0, 1]:
//   - rotated-mnist: an MNIST digit (the `mnist` package's 10,000, padded 28 → 32) at a random base
//     angle φ is x; g·x is the same digit at φ + θ. SO(2): θ uniform in [0, 2π); C_n: θ = 2πj/n.
//   - rotated-blocked-mnist: the same, then a fixed opaque grey block painted on both images. The
//     block does not rotate, so no action on the pixels maps x to g·x: the action is on the digit.
//   - contrast: a procedural head phantom under contrast setting k is x; g·x is the same phantom
//     under setting k + j mod n (C_n only). A synthetic stand-in for brain MRI.
// Every pair follows from (seed, epoch, position) or from its PairSpec alone, so a resumed run
// sees the batches it would have seen, and any pair can be rendered again from its factors.
import { Rng } from '@maga/tensor';
import * as contrast from './contrast.ts';
import { loadMnist, MNIST_COUNT, MNIST_PIXELS, MNIST_SIZE, type MnistDigits } from './mnist.ts';
import { checkPart, heldOutSplit, SourceSampler, type SourceSamplerOptions } from './pair-sampler.ts';
import { UniformStream } from './random.ts';
import { padImage, rotateImage } from './rotation.ts';
import type { SplitPart } from './splits.ts';

export type GroupDatasetName = 'rotated-mnist' | 'rotated-blocked-mnist' | 'contrast';
/** The kinds of group a data set can take: SO(2) (angles) or a cyclic group C_n (integers). */
export type GroupKind = 'so2' | 'cN';
export type GroupSpec = { kind: 'so2' } | { kind: 'cN'; order: number };

/** Every image is 1×32×32: 28×28 MNIST is padded to 32 because the models halve sizes four times. */
export const GROUP_IMAGE_SIZE = 32;
export const GROUP_IMAGE_SHAPE: readonly [number, number, number] = Object.freeze([1, GROUP_IMAGE_SIZE, GROUP_IMAGE_SIZE]) as readonly [number, number, number];
const IMAGE_PIXELS = GROUP_IMAGE_SIZE * GROUP_IMAGE_SIZE;
/** Images held out for testing, the rest train: 9,000 / 1,000 digits (or phantoms). */
export const GROUP_TEST_COUNT = 1_000;

/**
 * The occluder of rotated-blocked-mnist, in the 32×32 frame: rows and columns 6–15 (10×10 pixels,
 * the upper-left quadrant of the padded digit's 20×20 box, touching the centre), value 0.5 — grey,
 * unlike both background (0) and ink (≈1), so the picture shows where the block is and the block
 * cannot be mistaken for a stroke.
 */
export const BLOCK = Object.freeze({ top: 6, left: 6, size: 10, value: 0.5 });

export interface GroupDatasetInfo {
  description: string;
  groups: readonly GroupKind[];
  /** Source images (digits or phantoms); the train part has count − 1,000. */
  count: number;
}

/** The registry: what each set is and which groups it takes. */
export const GROUP_DATASETS: Readonly<Record<GroupDatasetName, GroupDatasetInfo>> = Object.freeze({
  'rotated-mnist': {
    description: 'MNIST digits (the mnist package, padded to 32×32) at a random angle, and the same digit rotated by g (bilinear, about the centre)',
    groups: ['so2', 'cN'],
    count: MNIST_COUNT,
  },
  'rotated-blocked-mnist': {
    description: `rotated-mnist with a fixed ${BLOCK.size}×${BLOCK.size} grey block (value ${BLOCK.value}) at rows and columns ${BLOCK.top}–${BLOCK.top + BLOCK.size - 1} of both images; the block does not rotate`,
    groups: ['so2', 'cN'],
    count: MNIST_COUNT,
  },
  contrast: {
    description: 'a synthetic stand-in for brain MRI: procedural head phantoms under n contrast settings (T1-, T2-, PD-, FLAIR-like …); g ∈ C_n moves the setting',
    groups: ['cN'],
    count: contrast.CONTRAST_COUNT,
  },
});

export const GROUP_DATASET_NAMES = Object.freeze(Object.keys(GROUP_DATASETS) as GroupDatasetName[]);

/** The data set's name, checked: throws naming the value and the accepted names. */
export function parseGroupDataset(name: string): GroupDatasetName {
  if (!Object.hasOwn(GROUP_DATASETS, name)) throw new Error(`unknown data set '${name}': expected one of ${GROUP_DATASET_NAMES.join(', ')}`);
  return name as GroupDatasetName;
}

/** The largest n accepted for C_n (more settings or angles than this would be indistinguishable). */
export const MAX_CYCLIC_ORDER = 1024;

/** 'so2' or 'c<n>' (e.g. 'c4', n ≥ 1), checked: throws naming the value and what is accepted. */
export function parseGroup(text: string): GroupSpec {
  if (text === 'so2') return { kind: 'so2' };
  const match = /^c([1-9][0-9]*)$/.exec(text);
  const order = match ? Number(match[1]) : NaN;
  if (!match || order > MAX_CYCLIC_ORDER) {
    throw new Error(`unknown group '${text}': expected 'so2' or 'c<n>' with n an integer in [1, ${MAX_CYCLIC_ORDER}] (e.g. 'c4')`);
  }
  return { kind: 'cN', order };
}

/** The group's name as parseGroup reads it: 'so2', 'c4', … */
export function groupLabel(group: GroupSpec): string {
  return group.kind === 'so2' ? 'so2' : `c${group.order}`;
}

function checkGroup(group: GroupSpec): GroupSpec {
  if (group?.kind === 'so2') return group;
  if (group?.kind === 'cN' && Number.isInteger(group.order) && group.order >= 1 && group.order <= MAX_CYCLIC_ORDER) return group;
  throw new Error(`invalid group ${JSON.stringify(group)}: expected { kind: 'so2' } or { kind: 'cN', order: integer in [1, ${MAX_CYCLIC_ORDER}] }`);
}

/** Throws when `dataset` cannot take `group` (contrast has only C_n), naming what it takes. */
export function checkDatasetGroup(dataset: GroupDatasetName, group: GroupSpec): void {
  const name = parseGroupDataset(dataset);
  checkGroup(group);
  const accepted = GROUP_DATASETS[name].groups;
  if (!accepted.includes(group.kind)) {
    const list = accepted.map((kind) => (kind === 'cN' ? "'c<n>' (e.g. 'c4')" : `'${kind}'`)).join(' or ');
    throw new Error(`data set '${name}' does not take the group '${groupLabel(group)}': it takes ${list}`);
  }
}

// ---- Factors ---------------------------------------------------------------------------------

export type GroupFactorName = 'digit' | 'index' | 'angle' | 'phantom' | 'setting';

export interface GroupFactorInfo {
  name: GroupFactorName;
  /** class: a small set of named values; angle: radians in [0, 2π); id: which source image. */
  kind: 'class' | 'angle' | 'id';
  description: string;
  /** The names of a class factor's values, value i first. */
  classes?: readonly string[];
}

/** One column per factor, one value per image. */
export type FactorColumns = Partial<Record<GroupFactorName, Float64Array>>;
/** One image's factor values. */
export type FactorValues = Partial<Record<GroupFactorName, number>>;

/** The factors that every image of `dataset` under `group` carries, for the latent map's colours. */
export function groupFactors(dataset: GroupDatasetName, group: GroupSpec): readonly GroupFactorInfo[] {
  checkDatasetGroup(dataset, group);
  if (dataset === 'contrast') {
    const order = group.kind === 'cN' ? group.order : 0; // checked above: contrast takes only C_n
    return [
      { name: 'phantom', kind: 'id', description: `the phantom's id (its anatomy), 0–${contrast.CONTRAST_COUNT - 1}` },
      { name: 'setting', kind: 'class', description: 'the contrast setting k (C_n moves it to k + j mod n)', classes: contrast.contrastSettings(order).map((s) => s.name) },
    ];
  }
  return [
    { name: 'digit', kind: 'class', description: 'the digit class', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
    { name: 'angle', kind: 'angle', description: 'the angle the upright digit is turned by (radians, counter-clockwise, [0, 2π))' },
    { name: 'index', kind: 'id', description: `the digit's index in the mnist package, 0–${MNIST_COUNT - 1}` },
  ];
}

// ---- Pairs -----------------------------------------------------------------------------------

/** What one pair is: the source image, x's base (angle φ or setting k) and the group element g. */
export interface PairSpec {
  /** A digit index (MNIST sets) or a phantom id (contrast). */
  source: number;
  /** x's angle φ in radians (MNIST sets) or x's setting k (contrast). */
  base: number;
  /** θ in radians (so2) or j ∈ {0, …, n − 1} (cN). */
  g: number;
}

/** A batch for known-group training: B pairs (x, g·x) and the g's, images laid out [B, 1, 32, 32]. */
export interface GroupPairBatch {
  size: number;
  /** [C, H, W] of one image. */
  imageShape: readonly [number, number, number];
  x: Float32Array;
  gx: Float32Array;
  /** One element per pair: an angle in radians (so2, RotationAction) or an integer j in [0, n) (cN, CyclicAction). */
  g: Float32Array;
  factors: { x: FactorColumns; gx: FactorColumns };
  pairs: PairSpec[];
}

const TWO_PI = 2 * Math.PI;
/** An angle in [0, 2π), in float32 so that what a batch's g says is exactly what was rendered. */
const wrapAngle = (angle: number): number => {
  let wrapped = Math.fround(angle % TWO_PI);
  if (wrapped < 0) wrapped = Math.fround(wrapped + TWO_PI);
  return wrapped >= TWO_PI ? 0 : wrapped;
};

/** One data set opened with one group: renders images and pairs on demand. */
export class GroupDataset {
  private readonly scratch = new Float32Array(IMAGE_PIXELS);

  private constructor(
    readonly name: GroupDatasetName,
    readonly group: GroupSpec,
    private readonly digits: MnistDigits | undefined,
  ) {}

  /** Opens `name` with `group` (the MNIST sets read the mnist package once per process). */
  static async open(name: GroupDatasetName, group: GroupSpec): Promise<GroupDataset> {
    checkDatasetGroup(name, group);
    return new GroupDataset(name, group, name === 'contrast' ? undefined : await loadMnist());
  }

  get count(): number {
    return GROUP_DATASETS[this.name].count;
  }

  /** [C, H, W] of every image. */
  get imageShape(): readonly [number, number, number] {
    return GROUP_IMAGE_SHAPE;
  }

  /** n, the number of contrast settings (contrast takes only C_n, checked when opened). */
  private get settings(): number {
    return this.group.kind === 'cN' ? this.group.order : 0;
  }

  get factors(): readonly GroupFactorInfo[] {
    return groupFactors(this.name, this.group);
  }

  /** The sources (digit indices or phantom ids) of one part, increasing; a fixed seeded 9,000 / 1,000 split. */
  part(part: SplitPart, splitSeed = 0): Int32Array {
    return splitPart(this.count, part, splitSeed);
  }

  private checkSource(source: number): void {
    if (!Number.isInteger(source) || source < 0 || source >= this.count) {
      throw new Error(`${this.name}: source ${source} is out of range: expected an integer in [0, ${this.count - 1}]`);
    }
  }

  private checkBase(base: number): void {
    if (this.name === 'contrast') {
      const n = this.settings;
      if (!Number.isInteger(base) || base < 0 || base >= n) throw new Error(`contrast: setting ${base} is out of range: expected an integer in [0, ${n - 1}]`);
    } else if (!Number.isFinite(base)) {
      throw new Error(`${this.name}: angle ${base} is not a finite number of radians`);
    }
  }

  private checkElement(g: number): void {
    if (this.group.kind === 'so2') {
      if (!Number.isFinite(g)) throw new Error(`${this.name}: the SO(2) element ${g} is not a finite angle in radians`);
    } else if (!Number.isInteger(g) || g < 0 || g >= this.group.order) {
      throw new Error(`${this.name}: the C${this.group.order} element ${g} is not an integer in [0, ${this.group.order - 1}]`);
    }
  }

  /**
   * Renders the image with these factors (digit `index` and `angle`, or `phantom` and `setting`)
   * into `into` at `offset`: the inverse of the factors a batch reports.
   */
  renderImage(factors: FactorValues, into: Float32Array = new Float32Array(IMAGE_PIXELS), offset = 0): Float32Array {
    if (this.name === 'contrast') {
      const { phantom, setting } = factors;
      if (phantom === undefined || setting === undefined) throw new Error(`contrast: an image needs the factors phantom and setting, got ${JSON.stringify(factors)}`);
      this.checkSource(phantom);
      this.checkBase(setting);
      return contrast.renderAnatomy(contrast.anatomy(phantom, GROUP_IMAGE_SIZE), setting, this.settings, into, offset);
    }
    const { index, angle } = factors;
    if (index === undefined || angle === undefined) throw new Error(`${this.name}: an image needs the factors index and angle, got ${JSON.stringify(factors)}`);
    this.checkSource(index);
    this.checkBase(angle);
    this.renderDigit(index, angle, into, offset);
    return into;
  }

  private renderDigit(index: number, angle: number, into: Float32Array, offset: number): void {
    const digits = this.digits as MnistDigits;
    padImage(digits.pixels, MNIST_SIZE, GROUP_IMAGE_SIZE, this.scratch, 0, index * MNIST_PIXELS);
    rotateImage(this.scratch, GROUP_IMAGE_SIZE, angle, into, offset);
    if (this.name === 'rotated-blocked-mnist') paintBlock(into, offset);
  }

  /** The factor values of x and of g·x for one pair. */
  pairFactors(spec: PairSpec): { x: FactorValues; gx: FactorValues } {
    this.checkSource(spec.source);
    this.checkBase(spec.base);
    this.checkElement(spec.g);
    if (this.name === 'contrast') {
      const n = this.settings;
      return { x: { phantom: spec.source, setting: spec.base }, gx: { phantom: spec.source, setting: contrast.moveSetting(spec.base, spec.g, n) } };
    }
    const digit = (this.digits as MnistDigits).labels[spec.source];
    const theta = this.group.kind === 'so2' ? spec.g : (TWO_PI * spec.g) / this.group.order;
    // Both angles in [0, 2π) and float32, so that the factors render back to the same images.
    return {
      x: { digit, index: spec.source, angle: wrapAngle(spec.base) },
      gx: { digit, index: spec.source, angle: wrapAngle(spec.base + theta) },
    };
  }

  /** Renders pairs into one batch. */
  renderPairs(specs: readonly PairSpec[]): GroupPairBatch {
    const size = specs.length;
    const x = new Float32Array(size * IMAGE_PIXELS);
    const gx = new Float32Array(size * IMAGE_PIXELS);
    const g = new Float32Array(size);
    const names = this.factors.map((f) => f.name);
    const columns = (): FactorColumns => Object.fromEntries(names.map((name) => [name, new Float64Array(size)]));
    const factors = { x: columns(), gx: columns() };
    specs.forEach((spec, i) => {
      const values = this.pairFactors(spec);
      g[i] = spec.g;
      for (const name of names) {
        factors.x[name]![i] = values.x[name]!;
        factors.gx[name]![i] = values.gx[name]!;
      }
      if (this.name === 'contrast') {
        // One anatomy for both images: only the setting differs.
        const body = contrast.anatomy(spec.source, GROUP_IMAGE_SIZE);
        contrast.renderAnatomy(body, values.x.setting!, this.settings, x, i * IMAGE_PIXELS);
        contrast.renderAnatomy(body, values.gx.setting!, this.settings, gx, i * IMAGE_PIXELS);
      } else {
        this.renderDigit(spec.source, values.x.angle!, x, i * IMAGE_PIXELS);
        this.renderDigit(spec.source, values.gx.angle!, gx, i * IMAGE_PIXELS);
      }
    });
    return { size, imageShape: GROUP_IMAGE_SHAPE, x, gx, g, factors, pairs: specs.map((s) => ({ ...s })) };
  }

  /**
   * A random pair for `source`, drawn from `stream`: x's base uniform (an angle in [0, 2π), or a
   * setting in {0, …, n − 1}), then g uniform in the group. Angles are rounded to float32.
   */
  drawPair(source: number, stream: UniformStream): PairSpec {
    const base = this.name === 'contrast' ? stream.integer(this.settings) : wrapAngle(TWO_PI * stream.next());
    const g = this.group.kind === 'so2' ? wrapAngle(TWO_PI * stream.next()) : stream.integer(this.group.order);
    return { source, base, g };
  }
}

function paintBlock(into: Float32Array, offset: number): void {
  for (let row = BLOCK.top; row < BLOCK.top + BLOCK.size; row++) {
    const start = offset + row * GROUP_IMAGE_SIZE + BLOCK.left;
    into.fill(BLOCK.value, start, start + BLOCK.size);
  }
}

/** Opens a data set by name with a group ('so2', 'c4', …), checking both. */
export function openGroupDataset(name: string, group: string | GroupSpec): Promise<GroupDataset> {
  const spec = typeof group === 'string' ? parseGroup(group) : group;
  return GroupDataset.open(parseGroupDataset(name), spec);
}

// ---- Splits ----------------------------------------------------------------------------------

/**
 * The sources of one part: a seeded permutation of 0 … count − 1, whose last 1,000 entries are the
 * test part. Split by source, so a test digit (or phantom) is never seen in training at any angle.
 */
export function splitPart(count: number, part: SplitPart, splitSeed = 0): Int32Array {
  return heldOutSplit(count, GROUP_TEST_COUNT, part, splitSeed);
}

// ---- Training batches ------------------------------------------------------------------------

export type PairSamplerOptions = SourceSamplerOptions;

// The pair stream's first key word ("pair" in ASCII, xor the seed): the epoch is the second word
// and 2·position + draw the counter, so each pair's randomness is addressed directly.
const PAIR_KEY = 0x70616972;

/**
 * Batches of pairs, epoch after epoch: a seeded shuffle of the part's sources, each paired with a
 * fresh base and g drawn from (seed, epoch, position). state()/restore() resume exactly.
 */
export class PairSampler extends SourceSampler<PairSpec, GroupPairBatch> {
  constructor(dataset: GroupDataset, options: PairSamplerOptions) {
    super(dataset, options, { key: PAIR_KEY, drawsPerPair: 2, who: 'pair sampler', sources: 'sources' });
  }
}

// ---- Evaluation ------------------------------------------------------------------------------

/** SO(2) evaluation reports per 45° bucket of θ. */
export const ANGLE_BUCKETS = 8;

/** Which of ANGLE_BUCKETS equal arcs of [0, 2π) the angle θ falls in (θ is wrapped first). */
export function angleBucket(theta: number, buckets = ANGLE_BUCKETS): number {
  if (!Number.isFinite(theta)) throw new Error(`angleBucket: the angle ${theta} is not a finite number`);
  return Math.min(buckets - 1, Math.floor((wrapAngle(theta) / TWO_PI) * buckets));
}

export interface EvaluationSet {
  specs: PairSpec[];
  /** The bucket of each pair's g: an arc of θ (so2) or j itself (cN). */
  buckets: Int32Array;
  bucketNames: string[];
}

export interface EvaluationOptions {
  /** Pairs in the set (default: one per test source, 1,000). */
  pairs?: number;
  /** Default 0: the fixed set every `cli eval` uses. */
  seed?: number;
  splitSeed?: number;
  /** The sources the pairs come from: the test part (default), or the train part (to see overfitting). */
  part?: SplitPart;
}

const EVAL_KEY = 0x6576616c; // "eval"

/**
 * A fixed, seeded set of test pairs (or train pairs, with `part`): test sources in a seeded order (cycled if more pairs than
 * sources), x's base drawn at random, and g stratified — pair i has g in bucket i mod B (a 45° arc
 * of θ, uniform inside it, for so2; j = i mod n for cN), so every bucket is equally represented.
 */
export function evaluationSet(dataset: GroupDataset, options: EvaluationOptions = {}): EvaluationSet {
  const pairs = options.pairs ?? GROUP_TEST_COUNT;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`evaluation set: pairs must be a positive integer, got ${pairs}`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`evaluation set: seed must be an integer in [0, 2^32), got ${seed}`);
  const test = dataset.part(checkPart(options.part ?? 'test'), options.splitSeed ?? 0);
  const order = new Rng(seed).permutation(test.length);
  const { group } = dataset;
  const bucketCount = group.kind === 'so2' ? ANGLE_BUCKETS : group.order;
  const specs: PairSpec[] = [];
  const buckets = new Int32Array(pairs);
  for (let i = 0; i < pairs; i++) {
    const stream = new UniformStream((EVAL_KEY ^ seed) >>> 0, 0, 2 * i);
    const drawn = dataset.drawPair(test[order[i % test.length]], stream);
    const bucket = i % bucketCount;
    // g from bucket i mod B; for so2 the drawn θ/2π (uniform in [0, 1)) places it inside the arc.
    const g = group.kind === 'so2' ? wrapAngle((TWO_PI * (bucket + drawn.g / TWO_PI)) / bucketCount) : bucket;
    specs.push({ source: drawn.source, base: drawn.base, g });
    // Recomputed from g rather than assumed: float32 rounding may put a θ on an arc's far edge.
    buckets[i] = group.kind === 'so2' ? angleBucket(g) : bucket;
  }
  const bucketNames =
    group.kind === 'so2'
      ? Array.from({ length: bucketCount }, (_, b) => `${(360 * b) / bucketCount}–${(360 * (b + 1)) / bucketCount}°`)
      : Array.from({ length: bucketCount }, (_, j) => `j=${j}`);
  return { specs, buckets, bucketNames };
}
