// The one outline every pair data set follows (Jin et al.'s known-group training: pairs (x, g·x)
// with g given to the model). A data set supplies what is its own — its sources, how it draws x and
// renders a pair, how a group element reaches its images, and the API's grid of images — and this
// file does the rest the same way for every set:
//   - a seeded split of the sources into a train and a held-out test part (by source, so a test
//     digit or object is never seen in training in any pose);
//   - the training sampler: a seeded shuffle of a part's sources per epoch, each drawn into a pair
//     from (seed, epoch, position), so state()/restore() resume exactly;
//   - the fixed evaluation set: test sources in a seeded order, g stratified over the group's
//     buckets (the hook `evaluationPair` says how a pair with g in a bucket is drawn);
//   - batches: B pairs rendered into [B, C, H, W] arrays with g and both images' factors;
//   - the API's images: `grid.steps` images per source, index = source·steps + step.
// groupdata.ts (rotated MNIST, contrast) and objects3d.ts (the rendered 3-D sets) are the sets
// today; a new one is a subclass plus its entry in registry.ts.
import { Rng, threefry2x32 } from '@maga/tensor';
import type { Group, GroupId, Uniforms } from '../groups/group.ts';
import type { ImageSource } from '../inference.ts';
import { UniformStream } from './random.ts';
import type { SamplerState } from './sampler.ts';
import { epochPool, type SplitPart } from './splits.ts';

export function checkPart(part: string): SplitPart {
  if (part !== 'train' && part !== 'test') throw new Error(`unknown split part '${part}': expected 'train' or 'test'`);
  return part;
}

/**
 * The sources of one part: a seeded permutation of 0 … count − 1, whose last `testCount` entries
 * are the test part, increasing. Split by source, so a test source is never seen in training.
 */
export function heldOutSplit(count: number, testCount: number, part: SplitPart, splitSeed = 0): Int32Array {
  checkPart(part);
  if (!Number.isInteger(splitSeed) || splitSeed < 0) throw new Error(`split seed ${splitSeed} must be a non-negative integer`);
  const permutation = new Rng(splitSeed).permutation(count);
  const chosen = part === 'test' ? permutation.subarray(count - testCount) : permutation.subarray(0, count - testCount);
  return Int32Array.from(chosen).sort();
}

/** One factor of a data set's images, for the latent map's colours and the API. */
export interface FactorInfo<Name extends string = string> {
  name: Name;
  /** class: a small set of named values; angle: radians; id: which source; quaternion: a pose's component. */
  kind: 'class' | 'angle' | 'id' | 'quaternion';
  description: string;
  /** The names of a class factor's values, value i first. */
  classes?: readonly string[];
}

/** What a set adds to its GET /api/runs/:id/dataset answer: a 3-D set's camera (a unit quaternion w, x, y, z; images show camera·g·object). */
export interface PairGridExtras {
  camera?: readonly number[];
}

/** GET /api/runs/:id/dataset for a pair run: its grid of images, index = source·steps + step. */
export interface PairSetInfo extends PairGridExtras {
  kind: 'pairs';
  dataset: string;
  group: GroupId;
  imageSize: number;
  channels: number;
  count: number;
  sources: number;
  testSources: number;
  steps: number;
  /** How an index is made, in words: 'source·360 + degrees'. */
  index: string;
  factors: readonly FactorInfo[];
  fixedPivot: number;
}

/** One column per factor, one value per image. */
export type FactorColumns<Name extends string = string> = Record<Name, Float64Array>;

/** B pairs (x, g·x) of [B, C, H, W] images with their group elements. */
export interface PairBatch<Spec = unknown, Columns = FactorColumns> {
  size: number;
  /** [C, H, W] of one image. */
  imageShape: readonly [number, number, number];
  x: Float32Array;
  gx: Float32Array;
  /** elementSize numbers per pair: what the model is given (uploadPairs checks them against its group). */
  g: Float32Array;
  factors: { x: Columns; gx: Columns };
  pairs: Spec[];
}

export interface SourceSamplerOptions {
  part: SplitPart;
  batchSize: number;
  /** An integer in [0, 2^32): the order of sources and every pair's draws follow from it. */
  seed: number;
  /** Use only `limit` sources of the part (small experiments, tests): every k-th, spanning it. */
  limit?: number;
  /** Which sources are held out (0 unless an experiment asks otherwise). */
  splitSeed?: number;
}

export interface PairEvaluationOptions {
  /** Pairs in the set (default: one per test source). */
  pairs?: number;
  /** Default 0: the fixed set every `cli eval` uses. */
  seed?: number;
  splitSeed?: number;
  /** The sources the pairs come from: the test part (default), or the train part (to see overfitting). */
  part?: SplitPart;
}

export interface PairEvaluationSet<Spec = unknown> {
  specs: Spec[];
  /** The bucket of each pair's g (Group.bucketOf). */
  buckets: Int32Array;
  bucketNames: string[];
}

/** Where a data set's draws come from: a Threefry key per use, and the counters each pair reserves. */
export interface PairStreams {
  /** Training pairs: key xor the seed, the epoch as the second word, pair i's draws from drawsPerPair·i. */
  pairs: { key: number; drawsPerPair: number };
  /** The evaluation set: key xor the seed, pair i's draws from drawsPerPair·i. */
  evaluation: { key: number; drawsPerPair: number };
  /** Who errors name: 'pair sampler', '3-D pair sampler'. */
  who: string;
  /** What a source is, plural: 'sources', 'objects'. */
  sources: string;
}

/** The API's grid of a data set's images: `steps` images per source, index = source·steps + step. */
export interface ImageGridScheme {
  steps: number;
  /** The scheme in words (GET /api/runs/:id/dataset): 'source·360 + degrees'. */
  index: string;
  /** The Threefry words of the seeded samples of the test and the train part. */
  sampleWords: { test: number; train: number };
}

/** Draws batches of host pairs in a seeded order that state()/restore() resume exactly. */
export interface PairBatchSampler<Spec = unknown, Columns = FactorColumns> {
  /** Pairs per epoch. */
  readonly epochSize: number;
  /** The next batch's pair specs (what renderPairs draws). */
  nextSpecs(): Spec[];
  next(): PairBatch<Spec, Columns>;
  state(): SamplerState;
  restore(state: SamplerState): void;
}

/**
 * A pair data set opened with one group. `Spec` (what one pair is: its source, x's base and g, in
 * the set's own terms) is opaque to callers: they draw specs from the sampler or the evaluation set,
 * render them, and read or replace their element through `element` and `withElement`.
 */
// Spec defaults to any: callers hold specs as opaque values they got from the set itself.
export abstract class PairDataset<Spec extends { source: number } = any, Columns = FactorColumns> {
  abstract readonly name: string;
  abstract readonly group: Group;
  abstract readonly imageShape: readonly [number, number, number];
  /** Sources (digits, phantoms, objects). */
  abstract readonly count: number;
  /** Sources held out for testing. */
  abstract readonly testCount: number;
  abstract readonly factors: readonly FactorInfo[];
  abstract readonly streams: PairStreams;
  abstract readonly grid: ImageGridScheme;

  /** A random pair for `source` as training draws it: x's base, then g (Group.sample). */
  abstract drawPair(source: number, stream: Uniforms): Spec;
  /** A pair's group element as the model takes it (elementSize numbers). */
  abstract element(spec: Spec): number[];
  /** The same pair with another element g (elementSize numbers, checked). */
  abstract withElement(spec: Spec, g: ArrayLike<number>): Spec;
  /** Renders one pair into `x` and `gx` at `offset` (checking the spec), and returns both images' factor values. */
  protected abstract renderPair(spec: Spec, x: Float32Array, gx: Float32Array, offset: number): { x: Record<string, number>; gx: Record<string, number> };
  /** Renders image `step` of `source` of the API's grid into `into` at `offset`. */
  abstract gridImage(source: number, step: number, into: Float32Array, offset: number): void;
  /** The factor values of image `step` of `source` of the API's grid. */
  abstract gridFactors(source: number, step: number): Record<string, number>;

  /** Numbers per group element in a batch's g (1, or 4 for SO(3)). */
  get elementSize(): number {
    return this.group.elementSize;
  }

  /** The group's label: 'so2', 'c4', 'so3'. */
  get label(): string {
    return this.group.label;
  }

  /** The factors of the API's grid images (the pair factors, unless a set adds its own). */
  get gridFactorInfo(): readonly FactorInfo[] {
    return this.factors;
  }

  /** What GET /api/runs/:id/dataset adds for this set (a 3-D set's camera), beside what every set says. */
  gridInfo(): PairGridExtras {
    return {};
  }

  /** The sources of one part, increasing: a fixed, seeded split by source. */
  part(part: SplitPart, splitSeed = 0): Int32Array {
    return heldOutSplit(this.count, this.testCount, part, splitSeed);
  }

  /**
   * The evaluation set's pair for `source` with g in bucket `bucket` — the hook a set changes to
   * draw its evaluation pairs otherwise. Here: drawn as in training, then g replaced by one drawn
   * uniformly inside the bucket (Group.sampleInBucket) from the same stream.
   */
  evaluationPair(source: number, bucket: number, stream: Uniforms): Spec {
    const drawn = this.drawPair(source, stream);
    return this.withElement(drawn, this.group.sampleInBucket(bucket, stream));
  }

  renderPairs(specs: readonly Spec[]): PairBatch<Spec, Columns> {
    const size = specs.length;
    const [c, h, w] = this.imageShape;
    const values = c * h * w;
    const x = new Float32Array(size * values);
    const gx = new Float32Array(size * values);
    const g = new Float32Array(size * this.elementSize);
    const names = this.factors.map((f) => f.name);
    const columns = () => Object.fromEntries(names.map((name) => [name, new Float64Array(size)]));
    const factors = { x: columns(), gx: columns() };
    specs.forEach((spec, i) => {
      const drawn = this.renderPair(spec, x, gx, i * values);
      g.set(this.element(spec), i * this.elementSize);
      for (const name of names) {
        factors.x[name][i] = drawn.x[name];
        factors.gx[name][i] = drawn.gx[name];
      }
    });
    return { size, imageShape: this.imageShape, x, gx, g, factors: factors as { x: Columns; gx: Columns }, pairs: specs.map((s) => ({ ...s })) };
  }

  /** Batches of training pairs from `options.part` (see PairSampler). */
  sampler(options: SourceSamplerOptions): PairSampler<Spec, Columns> {
    return new PairSampler(this, options);
  }

  /**
   * A fixed, seeded set of pairs from the test part (or train, with `part`): sources in a seeded
   * order (cycled if more pairs than sources), pair i with g in bucket i mod B, so every bucket of
   * the group is equally represented.
   */
  evaluationSet(options: PairEvaluationOptions = {}): PairEvaluationSet<Spec> {
    const pairs = options.pairs ?? this.testCount;
    const seed = options.seed ?? 0;
    const who = `${this.streams.who.replace(/pair sampler$/, 'evaluation set')}`;
    if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`${who}: pairs must be a positive integer, got ${pairs}`);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`${who}: seed must be an integer in [0, 2^32), got ${seed}`);
    const sources = this.part(checkPart(options.part ?? 'test'), options.splitSeed ?? 0);
    const order = new Rng(seed).permutation(sources.length);
    const { key, drawsPerPair } = this.streams.evaluation;
    const bucketNames = [...this.group.buckets];
    const specs: Spec[] = [];
    const buckets = new Int32Array(pairs);
    for (let i = 0; i < pairs; i++) {
      const stream = new UniformStream((key ^ seed) >>> 0, 0, drawsPerPair * i);
      const spec = this.evaluationPair(sources[order[i % sources.length]], i % bucketNames.length, stream);
      specs.push(spec);
      // Recomputed from g rather than assumed: float32 rounding may put an element on a bucket's far edge.
      buckets[i] = this.group.bucketOf(this.element(spec));
    }
    return { specs, buckets, bucketNames };
  }
}

/** Batches of pairs, epoch after epoch; a new shuffle starts when an epoch has no full batch left. */
export class PairSampler<Spec extends { source: number }, Columns = FactorColumns> implements PairBatchSampler<Spec, Columns> {
  private readonly pool: Int32Array;
  private order: Int32Array = new Int32Array(0);
  private epoch = 0;
  private position = 0;

  constructor(
    readonly dataset: PairDataset<Spec, Columns>,
    readonly options: SourceSamplerOptions,
  ) {
    const { batchSize, limit, seed } = options;
    const { who, sources } = dataset.streams;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${who}: batch size must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`${who}: seed must be an integer in [0, 2^32), got ${seed}`);
    const part = dataset.part(checkPart(options.part), options.splitSeed ?? 0);
    this.pool = epochPool(part, limit, batchSize, who, `${dataset.name}/${options.part}`, sources);
    this.shuffle();
  }

  /** Pairs in one epoch (one per source of the part, or of the limit). */
  get epochSize(): number {
    return this.pool.length;
  }

  private shuffle(): void {
    const rng = new Rng(this.options.seed * 1_000_003 + this.epoch);
    this.order = Int32Array.from(rng.permutation(this.pool.length), (i) => this.pool[i]);
  }

  /** The next batch's pair specs. */
  nextSpecs(): Spec[] {
    const { batchSize, seed } = this.options;
    if (this.position + batchSize > this.order.length) {
      this.epoch++;
      this.position = 0;
      this.shuffle();
    }
    const { key, drawsPerPair } = this.dataset.streams.pairs;
    const specs: Spec[] = [];
    for (let i = this.position; i < this.position + batchSize; i++) {
      specs.push(this.dataset.drawPair(this.order[i], new UniformStream((key ^ seed) >>> 0, this.epoch, drawsPerPair * i)));
    }
    this.position += batchSize;
    return specs;
  }

  next(): PairBatch<Spec, Columns> {
    return this.dataset.renderPairs(this.nextSpecs());
  }

  state(): SamplerState {
    return { epoch: this.epoch, position: this.position };
  }

  restore(state: SamplerState): void {
    const { who, sources } = this.dataset.streams;
    if (!Number.isInteger(state?.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > this.pool.length) {
      throw new Error(`${who}: invalid state ${JSON.stringify(state)} for a part of ${this.pool.length} ${sources}`);
    }
    this.epoch = state.epoch;
    this.shuffle();
    this.position = state.position;
  }
}

/**
 * A pair data set's images for the API: every source at `grid.steps` bases, addressed by one
 * integer (index = source·steps + step), so every route that takes image indices works for pair
 * runs as it does for dSprites. Samples come from the test sources unless asked.
 */
export class ImageGrid implements ImageSource {
  readonly shape: readonly [number, number, number];
  readonly steps: number;
  readonly count: number;
  private readonly testSources: Int32Array;
  private readonly trainSources: Int32Array;

  constructor(
    readonly dataset: PairDataset,
    readonly splitSeed = 0,
  ) {
    this.shape = dataset.imageShape;
    this.steps = dataset.grid.steps;
    this.count = dataset.count * this.steps;
    this.testSources = dataset.part('test', splitSeed);
    this.trainSources = dataset.part('train', splitSeed);
  }

  /** The source and step of an image index. */
  private at(index: number): { source: number; step: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new Error(`image index ${index} is out of range: expected an integer in [0, ${this.count - 1}]`);
    return { source: Math.floor(index / this.steps), step: index % this.steps };
  }

  indexOf(source: number, step: number): number {
    return source * this.steps + step;
  }

  factorsOf(index: number): Record<string, number> {
    const { source, step } = this.at(index);
    return this.dataset.gridFactors(source, step);
  }

  render(indices: readonly number[]): Float32Array {
    const values = this.shape[0] * this.shape[1] * this.shape[2];
    const out = new Float32Array(indices.length * values);
    indices.forEach((index, i) => {
      const { source, step } = this.at(index);
      this.dataset.gridImage(source, step, out, i * values);
    });
    return out;
  }

  /** The first test source at step 0 (upright, or under the first setting): the default image to act on. */
  get defaultPivot(): number {
    return this.indexOf(this.testSources[0], 0);
  }

  /**
   * `count` images of a part (at most one per source, fewer when the part is smaller): seeded
   * distinct sources, each at a seeded step.
   */
  samples(part: SplitPart, count: number, seed: number): number[] {
    const order = Array.from(part === 'test' ? this.testSources : this.trainSources);
    const n = Math.min(count, order.length);
    const word = this.dataset.grid.sampleWords[part];
    // A seeded partial Fisher–Yates shuffle: the first n positions are distinct sources.
    for (let i = 0; i < n; i++) {
      const [w0, w1] = threefry2x32(seed >>> 0, word, i, 0);
      const j = i + (w0 % (order.length - i));
      [order[i], order[j]] = [order[j], order[i]];
      order[i] = this.indexOf(order[i], w1 % this.steps);
    }
    return order.slice(0, n);
  }

  /** What GET /api/runs/:id/dataset says of a pair run's images. */
  info(): PairSetInfo {
    const d = this.dataset;
    return {
      kind: 'pairs',
      dataset: d.name,
      group: d.group.id,
      imageSize: this.shape[1],
      channels: this.shape[0],
      count: this.count,
      sources: d.count,
      testSources: this.testSources.length,
      steps: this.steps,
      index: d.grid.index,
      factors: d.gridFactorInfo,
      fixedPivot: this.defaultPivot,
      ...d.gridInfo(),
    };
  }
}
