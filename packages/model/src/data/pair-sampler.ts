// What the known-group pair data sets share: a seeded split of their sources (digits, phantoms,
// 3-D objects) into a train and a held-out test part, and the sampler of training pairs — a seeded
// shuffle of a part's sources per epoch, each drawn into a pair from (seed, epoch, position), so
// state()/restore() resume exactly. groupdata.ts (rotated MNIST, contrast) and objects3d.ts (the
// rendered 3-D sets) each give it their own stream key and draws per pair.
import { Rng } from '@maga/tensor';
import { UniformStream } from './random.ts';
import type { SamplerState } from './sampler.ts';
import type { SplitPart } from './splits.ts';

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

/** A data set whose sources are drawn into pairs: what the sampler needs of it. */
export interface PairSource<Spec, Batch> {
  readonly name: string;
  part(part: SplitPart, splitSeed?: number): Int32Array;
  drawPair(source: number, stream: UniformStream): Spec;
  renderPairs(specs: readonly Spec[]): Batch;
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

/** How a data set's pairs are drawn, and how its errors name the sampler and its sources. */
export interface PairStream {
  /** The stream's first key word, xor the seed; the epoch is the second word. */
  key: number;
  /** Counter values reserved per pair: pair i's draws start at drawsPerPair·i. */
  drawsPerPair: number;
  /** 'pair sampler', '3-D pair sampler'. */
  who: string;
  /** 'sources', 'objects'. */
  sources: string;
}

/** Batches of pairs, epoch after epoch; a new shuffle starts when an epoch has no full batch left. */
export class SourceSampler<Spec, Batch> {
  private readonly pool: Int32Array;
  private order: Int32Array = new Int32Array(0);
  private epoch = 0;
  private position = 0;

  constructor(
    readonly dataset: PairSource<Spec, Batch>,
    readonly options: SourceSamplerOptions,
    private readonly stream: PairStream,
  ) {
    const { batchSize, limit, seed } = options;
    const { who, sources } = stream;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${who}: batch size must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`${who}: seed must be an integer in [0, 2^32), got ${seed}`);
    let pool = dataset.part(checkPart(options.part), options.splitSeed ?? 0);
    if (limit !== undefined) {
      if (!Number.isInteger(limit) || limit < 1) throw new Error(`${who}: limit must be a positive integer, got ${limit}`);
      const step = Math.max(1, Math.floor(pool.length / limit));
      pool = pool.filter((_, i) => i % step === 0).slice(0, limit);
    }
    if (pool.length < batchSize) throw new Error(`${who}: ${dataset.name}/${options.part} has ${pool.length} ${sources}, fewer than a batch of ${batchSize}`);
    this.pool = pool;
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
    const specs: Spec[] = [];
    for (let i = this.position; i < this.position + batchSize; i++) {
      specs.push(this.dataset.drawPair(this.order[i], new UniformStream((this.stream.key ^ seed) >>> 0, this.epoch, this.stream.drawsPerPair * i)));
    }
    this.position += batchSize;
    return specs;
  }

  next(): Batch {
    return this.dataset.renderPairs(this.nextSpecs());
  }

  state(): SamplerState {
    return { epoch: this.epoch, position: this.position };
  }

  restore(state: SamplerState): void {
    if (!Number.isInteger(state?.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > this.pool.length) {
      throw new Error(`${this.stream.who}: invalid state ${JSON.stringify(state)} for a part of ${this.pool.length} ${this.stream.sources}`);
    }
    this.epoch = state.epoch;
    this.shuffle();
    this.position = state.position;
  }
}
