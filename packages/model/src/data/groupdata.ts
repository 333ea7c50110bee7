// The 2-D data sets for known-group training (Jin et al.'s latent group actions): pairs (x, g·x)
// with the group element g given to the model. Three sets, each 1×32×32 images with pixels in [0, 1]:
//   - rotated-mnist: an MNIST digit (the `mnist` package's 10,000, padded 28 → 32) at a random base
//     angle φ is x; g·x is the same digit at φ + θ, θ the element's angle (Group.planeAngle): any
//     angle under SO(2), θ = 2πj/n under C_n.
//   - rotated-blocked-mnist: the same, then a fixed opaque grey block painted on both images. The
//     block does not rotate, so no action on the pixels maps x to g·x: the action is on the digit.
//   - contrast: a procedural head phantom under contrast setting k is x; g·x is the same phantom
//     under setting k + j mod n (C_n only). A synthetic stand-in for brain MRI.
// Every pair follows from (seed, epoch, position) or from its PairSpec alone, so a resumed run
// sees the batches it would have seen, and any pair can be rendered again from its factors. The
// outline (split, sampler, evaluation set, batches, the API's grid) is pair-set.ts's.
import type { Group, Uniforms } from '../groups/group.ts';
import { wrapAngle } from '../groups/group.ts';
import * as contrast from './contrast.ts';
import type { DatasetEntry, PairData } from './entry.ts';
import { loadMnist, MNIST_COUNT, MNIST_PIXELS, MNIST_SIZE, type MnistDigits } from './mnist.ts';
import { pairEntry, PAIR_PRESETS } from './pair-entry.ts';
import { PairDataset, type FactorInfo, type ImageGridScheme, type PairBatch, type PairEvaluationOptions, type PairEvaluationSet, type PairStreams, type SourceSamplerOptions } from './pair-set.ts';
import { padImage, rotateImage } from './rotation.ts';

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

/** Base angles per turn in the MNIST sets' grid of images for the API (the viewer picks angles by the degree). */
export const ANGLE_STEPS = 360;

// ---- Factors ---------------------------------------------------------------------------------

export type GroupFactorName = 'digit' | 'index' | 'angle' | 'phantom' | 'setting';
export type GroupFactorInfo = FactorInfo<GroupFactorName>;
/** One column per factor, one value per image. */
export type FactorColumns = Partial<Record<GroupFactorName, Float64Array>>;
/** One image's factor values. */
export type FactorValues = Partial<Record<GroupFactorName, number>>;

const DIGIT_FACTORS: readonly GroupFactorInfo[] = Object.freeze([
  { name: 'digit', kind: 'class', description: 'the digit class', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  { name: 'angle', kind: 'angle', description: 'the angle the upright digit is turned by (radians, counter-clockwise, [0, 2π))' },
  { name: 'index', kind: 'id', description: `the digit's index in the mnist package, 0–${MNIST_COUNT - 1}` },
]);

/** The factors of the contrast set under C_n: the phantom and its setting, named for n = 4. */
function phantomFactors(n: number): readonly GroupFactorInfo[] {
  return [
    { name: 'phantom', kind: 'id', description: `the phantom's id (its anatomy), 0–${contrast.CONTRAST_COUNT - 1}` },
    { name: 'setting', kind: 'class', description: 'the contrast setting k (C_n moves it to k + j mod n)', classes: contrast.contrastSettings(n).map((s) => s.name) },
  ];
}

// ---- Pairs -----------------------------------------------------------------------------------

/** What one pair is: the source image, x's base (angle φ or setting k) and the group element g. */
export interface PairSpec {
  /** A digit index (MNIST sets) or a phantom id (contrast). */
  source: number;
  /** x's angle φ in radians (MNIST sets) or x's setting k (contrast). */
  base: number;
  /** θ in radians (SO(2)) or j ∈ {0, …, n − 1} (C_n). */
  g: number;
}

/** A batch for known-group training: B pairs (x, g·x) and the g's, images laid out [B, 1, 32, 32]. */
export type GroupPairBatch = PairBatch<PairSpec, FactorColumns>;

const TWO_PI = 2 * Math.PI;

// The streams' first key words ("pair" and "eval" in ASCII, xor the seed): pair i's draws are the
// counters 2i (x's base) and 2i + 1 (g), so each pair's randomness is addressed directly.
const STREAMS: PairStreams = { pairs: { key: 0x70616972, drawsPerPair: 2 }, evaluation: { key: 0x6576616c, drawsPerPair: 2 }, who: 'pair sampler', sources: 'sources' };

/** One uniform draw, given: where an element drawn already is to be placed inside a bucket. */
const given = (u: number): Uniforms => ({ next: () => u, between: (lo, hi) => lo + (hi - lo) * u, integer: (n) => Math.min(n - 1, Math.floor(u * n)) });

/** What the 2-D sets share: 32×32 grey images of 10,000 sources, one number per element. */
export abstract class GroupDataset extends PairDataset<PairSpec, FactorColumns> {
  readonly imageShape = GROUP_IMAGE_SHAPE;
  readonly testCount = GROUP_TEST_COUNT;
  readonly streams = STREAMS;
  protected readonly scratch = new Float32Array(IMAGE_PIXELS);

  constructor(
    readonly name: string,
    readonly group: Group,
  ) {
    super();
  }

  /** Renders the image with these factors into `into` at `offset`: the inverse of the factors a batch reports. */
  abstract renderImage(factors: FactorValues, into?: Float32Array, offset?: number): Float32Array;
  /** The factor values of x and of g·x for one pair (the spec checked). */
  abstract pairFactors(spec: PairSpec): { x: FactorValues; gx: FactorValues };
  /** x's base, drawn uniformly (an angle in [0, 2π), or a setting). */
  protected abstract drawBase(stream: Uniforms): number;

  /** x's base, then g drawn as training draws it (Group.sample). Angles are rounded to float32. */
  drawPair(source: number, stream: Uniforms): PairSpec {
    const base = this.drawBase(stream);
    return { source, base, g: this.group.sample(stream)[0] };
  }

  /**
   * The evaluation pair of bucket `bucket`: as drawn for training, with the drawn g placed inside
   * the bucket (its uniform draw reused: a pair has only the counters 2i and 2i + 1), as the sets
   * have drawn their evaluation pairs from the start.
   */
  override evaluationPair(source: number, bucket: number, stream: Uniforms): PairSpec {
    const drawn = this.drawPair(source, stream);
    return { ...drawn, g: this.group.sampleInBucket(bucket, given(drawn.g / TWO_PI))[0] };
  }

  element(spec: PairSpec): number[] {
    return [spec.g];
  }

  withElement(spec: PairSpec, g: ArrayLike<number>): PairSpec {
    if (g.length !== 1) throw new Error(`${this.name} ${this.group.label}: an element is one number, got ${g.length}`);
    return { ...spec, g: g[0] };
  }

  protected checkSource(source: number): void {
    if (!Number.isInteger(source) || source < 0 || source >= this.count) {
      throw new Error(`${this.name}: source ${source} is out of range: expected an integer in [0, ${this.count - 1}]`);
    }
  }

  protected checkElement(g: number): void {
    if (!this.group.isElement([g])) throw new Error(`${this.name}: the ${this.group.name} element ${g} is not ${this.group.elementText}`);
  }

  protected renderPair(spec: PairSpec, x: Float32Array, gx: Float32Array, offset: number): { x: FactorValues; gx: FactorValues } {
    const values = this.pairFactors(spec);
    this.renderBoth(spec, values, x, gx, offset);
    return values;
  }

  /** Renders x and g·x of a checked pair. */
  protected abstract renderBoth(spec: PairSpec, values: { x: FactorValues; gx: FactorValues }, x: Float32Array, gx: Float32Array, offset: number): void;

  gridImage(source: number, step: number, into: Float32Array, offset: number): void {
    this.renderImage(this.gridFactors(source, step), into, offset);
  }

  override renderPairs(specs: readonly PairSpec[]): GroupPairBatch {
    return super.renderPairs(specs);
  }
}

/** rotated-mnist and rotated-blocked-mnist: digits turned by the element's angle. */
export class DigitPairs extends GroupDataset {
  readonly count = MNIST_COUNT;
  readonly factors = DIGIT_FACTORS;
  readonly grid: ImageGridScheme = { steps: ANGLE_STEPS, index: `source·${ANGLE_STEPS} + degrees`, sampleWords: { test: 1, train: 2 } };

  constructor(
    name: string,
    group: Group,
    private readonly digits: MnistDigits,
    /** Whether the fixed block is painted on both images. */
    readonly blocked: boolean,
  ) {
    super(name, group);
    if (!group.planeAngle) throw new Error(`${name}: the group ${group.label} does not turn the plane`);
  }

  private checkAngle(angle: number): void {
    if (!Number.isFinite(angle)) throw new Error(`${this.name}: angle ${angle} is not a finite number of radians`);
  }

  renderImage(factors: FactorValues, into: Float32Array = new Float32Array(IMAGE_PIXELS), offset = 0): Float32Array {
    const { index, angle } = factors;
    if (index === undefined || angle === undefined) throw new Error(`${this.name}: an image needs the factors index and angle, got ${JSON.stringify(factors)}`);
    this.checkSource(index);
    this.checkAngle(angle);
    this.renderDigit(index, angle, into, offset);
    return into;
  }

  private renderDigit(index: number, angle: number, into: Float32Array, offset: number): void {
    padImage(this.digits.pixels, MNIST_SIZE, GROUP_IMAGE_SIZE, this.scratch, 0, index * MNIST_PIXELS);
    rotateImage(this.scratch, GROUP_IMAGE_SIZE, angle, into, offset);
    if (this.blocked) paintBlock(into, offset);
  }

  pairFactors(spec: PairSpec): { x: FactorValues; gx: FactorValues } {
    this.checkSource(spec.source);
    this.checkAngle(spec.base);
    this.checkElement(spec.g);
    const digit = this.digits.labels[spec.source];
    const theta = this.group.planeAngle!([spec.g]);
    // Both angles in [0, 2π) and float32, so that the factors render back to the same images.
    return {
      x: { digit, index: spec.source, angle: wrapAngle(spec.base) },
      gx: { digit, index: spec.source, angle: wrapAngle(spec.base + theta) },
    };
  }

  protected renderBoth(spec: PairSpec, values: { x: FactorValues; gx: FactorValues }, x: Float32Array, gx: Float32Array, offset: number): void {
    this.renderDigit(spec.source, values.x.angle!, x, offset);
    this.renderDigit(spec.source, values.gx.angle!, gx, offset);
  }

  protected drawBase(stream: Uniforms): number {
    return wrapAngle(TWO_PI * stream.next());
  }

  /** Step k: the digit turned by k degrees. */
  gridFactors(source: number, step: number): FactorValues {
    return this.pairFactors({ source, base: (TWO_PI * step) / ANGLE_STEPS, g: this.group.identity()[0] }).x;
  }
}

/** contrast: a phantom's anatomy under one of C_n's n settings, moved by j. */
export class PhantomPairs extends GroupDataset {
  readonly count = contrast.CONTRAST_COUNT;
  readonly factors: readonly GroupFactorInfo[];
  readonly grid: ImageGridScheme;
  /** n, the number of contrast settings: the group's order. */
  private readonly settings: number;

  constructor(name: string, group: Group) {
    super(name, group);
    if (!Number.isFinite(group.order)) throw new Error(`${name}: the group ${group.label} is not finite: the settings are C_n's n`);
    this.settings = group.order;
    this.factors = phantomFactors(this.settings);
    this.grid = { steps: this.settings, index: 'phantom·n + setting', sampleWords: { test: 1, train: 2 } };
  }

  private checkSetting(setting: number): void {
    const n = this.settings;
    if (!Number.isInteger(setting) || setting < 0 || setting >= n) throw new Error(`${this.name}: setting ${setting} is out of range: expected an integer in [0, ${n - 1}]`);
  }

  renderImage(factors: FactorValues, into: Float32Array = new Float32Array(IMAGE_PIXELS), offset = 0): Float32Array {
    const { phantom, setting } = factors;
    if (phantom === undefined || setting === undefined) throw new Error(`${this.name}: an image needs the factors phantom and setting, got ${JSON.stringify(factors)}`);
    this.checkSource(phantom);
    this.checkSetting(setting);
    return contrast.renderAnatomy(contrast.anatomy(phantom, GROUP_IMAGE_SIZE), setting, this.settings, into, offset);
  }

  pairFactors(spec: PairSpec): { x: FactorValues; gx: FactorValues } {
    this.checkSource(spec.source);
    this.checkSetting(spec.base);
    this.checkElement(spec.g);
    return { x: { phantom: spec.source, setting: spec.base }, gx: { phantom: spec.source, setting: contrast.moveSetting(spec.base, spec.g, this.settings) } };
  }

  protected renderBoth(spec: PairSpec, values: { x: FactorValues; gx: FactorValues }, x: Float32Array, gx: Float32Array, offset: number): void {
    // One anatomy for both images: only the setting differs.
    const body = contrast.anatomy(spec.source, GROUP_IMAGE_SIZE);
    contrast.renderAnatomy(body, values.x.setting!, this.settings, x, offset);
    contrast.renderAnatomy(body, values.gx.setting!, this.settings, gx, offset);
  }

  protected drawBase(stream: Uniforms): number {
    return stream.integer(this.settings);
  }

  /** Step k: the phantom under setting k. */
  gridFactors(source: number, step: number): FactorValues {
    return this.pairFactors({ source, base: step, g: this.group.identity()[0] }).x;
  }
}

function paintBlock(into: Float32Array, offset: number): void {
  for (let row = BLOCK.top; row < BLOCK.top + BLOCK.size; row++) {
    const start = offset + row * GROUP_IMAGE_SIZE + BLOCK.left;
    into.fill(BLOCK.value, start, start + BLOCK.size);
  }
}

// ---- The registry's entries ------------------------------------------------------------------

const DIGITS = {
  imageShape: GROUP_IMAGE_SHAPE,
  groups: ['so2', 'cyclic'],
  defaultGroup: 'so2',
  sources: 'digits',
  action: 'turned by g',
  presets: PAIR_PRESETS,
  rateKey: null,
  renderAhead: false,
  factors: () => DIGIT_FACTORS,
} as const;

export const ROTATED_MNIST: DatasetEntry<PairData> = pairEntry({
  ...DIGITS,
  name: 'rotated-mnist',
  description: 'MNIST digits (the mnist package, padded to 32×32) at a random angle, and the same digit rotated by g (bilinear, about the centre)',
  open: async (group) => new DigitPairs('rotated-mnist', group, await loadMnist(), false),
});

export const ROTATED_BLOCKED_MNIST: DatasetEntry<PairData> = pairEntry({
  ...DIGITS,
  name: 'rotated-blocked-mnist',
  description: `rotated-mnist with a fixed ${BLOCK.size}×${BLOCK.size} grey block (value ${BLOCK.value}) at rows and columns ${BLOCK.top}–${BLOCK.top + BLOCK.size - 1} of both images; the block does not rotate`,
  open: async (group) => new DigitPairs('rotated-blocked-mnist', group, await loadMnist(), true),
});

export const CONTRAST: DatasetEntry<PairData> = pairEntry({
  name: 'contrast',
  description: 'a synthetic stand-in for brain MRI: procedural head phantoms under n contrast settings (T1-, T2-, PD-, FLAIR-like …); g ∈ C_n moves the setting',
  imageShape: GROUP_IMAGE_SHAPE,
  groups: ['cyclic'],
  defaultGroup: 'c4',
  sources: 'phantoms',
  action: 'under the contrast setting moved by g',
  presets: PAIR_PRESETS,
  rateKey: null,
  renderAhead: false,
  factors: (group) => phantomFactors(group?.order ?? 4),
  open: async (group) => new PhantomPairs('contrast', group),
});

// Kept for callers of the sampler and the evaluation set as functions of a data set.
export type PairSamplerOptions = SourceSamplerOptions;
export type EvaluationOptions = PairEvaluationOptions;
export type EvaluationSet = PairEvaluationSet<PairSpec>;
export { PairSampler } from './pair-set.ts';

/** The fixed evaluation set of a 2-D set (PairDataset.evaluationSet). */
export const evaluationSet = (dataset: { evaluationSet(options?: EvaluationOptions): EvaluationSet }, options: EvaluationOptions = {}): EvaluationSet => dataset.evaluationSet(options);
