// Batches of dSprites indices for training and evaluation: a seeded shuffle of a split's part,
// epoch after epoch, with pivots either the blog's fixed pivot (a batch of one image, broadcast)
// or random images of the same part. The order follows from (seed, epoch) alone, so a resumed run
// continues with exactly the batches it would have seen.
import { Rng } from '@maga/tensor';
import { FIXED_PIVOT, renderBatch } from './dsprites.ts';
import { epochPool, splitIndices, type SplitName, type SplitPart } from './splits.ts';

export type PivotMode = 'fixed' | 'random' | 'none';

export interface SamplerOptions {
  split: SplitName;
  part: SplitPart;
  batchSize: number;
  pivots: PivotMode;
  seed: number;
  /** Use only the first `limit` images of the shuffled part (small experiments, tests). */
  limit?: number;
  /** The random split's own seed (which 10 % is held out). */
  splitSeed?: number;
}

export interface SamplerState {
  epoch: number;
  position: number;
}

export interface IndexBatch {
  /** One index (fixed pivot), or one per varying image. Empty when pivots are 'none'. */
  pivot: Int32Array;
  varying: Int32Array;
}

export class Sampler {
  private readonly pool: Int32Array;
  private order: Int32Array = new Int32Array(0);
  private pivotOrder: Int32Array = new Int32Array(0);
  private epoch = 0;
  private position = 0;

  constructor(readonly options: SamplerOptions) {
    const { batchSize, limit } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`sampler: batch size must be a positive integer, got ${batchSize}`);
    const part = splitIndices(options.split, options.part, options.splitSeed ?? 0);
    this.pool = epochPool(part, limit, batchSize, 'sampler', `${options.split}/${options.part}`, 'images');
    this.shuffle();
  }

  /** Images in one epoch (the size of the split's part, or the limit). */
  get epochSize(): number {
    return this.pool.length;
  }

  private shuffle(): void {
    // A fresh generator per (seed, epoch): resuming needs only those two numbers.
    const rng = new Rng(this.options.seed * 1_000_003 + this.epoch);
    const permutation = rng.permutation(this.pool.length);
    this.order = Int32Array.from(permutation, (i) => this.pool[i]);
    if (this.options.pivots === 'random') this.pivotOrder = Int32Array.from(rng.permutation(this.pool.length), (i) => this.pool[i]);
  }

  /** The next batch of indices; a new shuffle starts when an epoch has no full batch left. */
  next(): IndexBatch {
    const { batchSize } = this.options;
    if (this.position + batchSize > this.order.length) {
      this.epoch++;
      this.position = 0;
      this.shuffle();
    }
    const varying = this.order.slice(this.position, this.position + batchSize);
    let pivot: Int32Array;
    if (this.options.pivots === 'fixed') pivot = Int32Array.of(FIXED_PIVOT.index);
    else if (this.options.pivots === 'random') pivot = this.pivotOrder.slice(this.position, this.position + batchSize);
    else pivot = new Int32Array(0);
    this.position += batchSize;
    return { pivot, varying };
  }

  state(): SamplerState {
    return { epoch: this.epoch, position: this.position };
  }

  restore(state: SamplerState): void {
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > this.pool.length) {
      throw new Error(`sampler: invalid state ${JSON.stringify(state)} for a part of ${this.pool.length} images`);
    }
    this.epoch = state.epoch;
    this.shuffle();
    this.position = state.position;
  }
}

/** Renders indices into a [n, 1, 64, 64] pixel array. */
export function renderImages(indices: ArrayLike<number>): { data: Float32Array; shape: [number, number, number, number] } {
  return { data: renderBatch(indices), shape: [indices.length, 1, 64, 64] };
}
