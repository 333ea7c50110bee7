// Data parallelism on the native engine (src/parallel.ts): the batch's shards on worker threads
// give one thread's losses to float32 reduction order, the same shards on the main thread give
// bit for bit what the threads give, predictions agree, the adaptive schedule says its choice once
// and changes it only on a clear difference, and a worker's failure reaches the caller.
import { describe, expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { DataParallel, MAGANET_DEFAULTS, Sampler, ShardThreads, createModel, reconstructLogits, shardRanges, trainStep, uploadBatch, type MaganetConfig } from '../index.ts';
import { native } from '@maga/tensor/testing';

const SMALL: MaganetConfig = { ...MAGANET_DEFAULTS, encoder: { width: 8, hidden: 32 }, glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 'half' }, betaLatent: 10 };
const BATCH = 12;
const STEPS = 4;

/** Losses of STEPS steps from seed 0 on the same batches and noise, and logits of one more batch. */
async function run(shards: number, schedule: 'threads' | 'main' = 'threads'): Promise<{ losses: number[][]; logits: Float32Array }> {
  return T.withBackend(native!, async () => {
    const model = await createModel(SMALL, 0);
    const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: BATCH, pivots: model.pivots, seed: 3 });
    const rng = new T.Rng(5);
    const optimizer = T.adam(model.parameters(), { lr: 1e-3, clipNorm: 1 });
    const first = sampler.next();
    T.tidy(() => model.initializeFromData(uploadBatch(first.pivot, first.varying)));
    const parallel = shards > 1 ? await DataParallel.create(model, { threads: shards, schedule, announce: null }) : null;
    try {
      if (shards > 1) expect(parallel?.shards).toBe(shards);
      const losses: number[][] = [];
      for (let i = 0; i < STEPS; i++) {
        const b = sampler.next();
        const terms = trainStep(model, uploadBatch(b.pivot, b.varying), optimizer, rng, parallel);
        losses.push([await terms.loss.item(), await terms.bce.item(), await terms.kl.item(), await terms.latent.item()]);
        for (const t of Object.values(terms)) t.dispose();
      }
      const b = sampler.next();
      const logits = await T.tidy(() => reconstructLogits(model, uploadBatch(b.pivot, b.varying), parallel)).data();
      return { losses, logits };
    } finally {
      parallel?.dispose();
      optimizer.dispose();
      model.dispose();
    }
  });
}

function maxRelative(a: number[][], b: number[][]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]) / Math.max(1e-3, Math.abs(b[i][j])));
  return m;
}

describe.skipIf(!native)('DataParallel on the native engine', () => {
  test('2 and 3 shards on threads train to one thread’s losses within float32 reduction order (relative 1e-4 over 4 Adam steps); predictions agree', async () => {
    const one = await run(1);
    for (const shards of [2, 3]) {
      const many = await run(shards);
      const relative = maxRelative(many.losses, one.losses);
      console.log(`${shards} shards against one thread: largest relative difference of the loss terms over ${STEPS} steps ${relative.toExponential(2)}`);
      expect(relative).toBeLessThan(1e-4);
      // Not the same numbers either: the shards really split the batch (a sum in another order).
      expect(many.losses).not.toEqual(one.losses);
      let worst = 0;
      for (let i = 0; i < one.logits.length; i++) worst = Math.max(worst, Math.abs(many.logits[i] - one.logits[i]));
      expect(worst).toBeLessThan(1e-2);
    }
  }, 240_000);

  test('the same shards computed on the main thread give the threads’ losses bit for bit', async () => {
    const threads = await run(2, 'threads');
    const main = await run(2, 'main');
    expect(main.losses).toEqual(threads.losses);
  }, 240_000);

  test('is not made for one thread or another backend, and refuses another model', async () => {
    await T.withBackend(native!, async () => {
      const model = await createModel(SMALL, 0);
      expect(await DataParallel.create(model, { threads: 1 })).toBeNull();
      const other = await createModel(SMALL, 1);
      const parallel = await DataParallel.create(model, { threads: 2, announce: null });
      try {
        const optimizer = T.adam(other.parameters(), { lr: 1e-3 });
        const b = new Sampler({ split: 'to-range', part: 'train', batchSize: 4, pivots: other.pivots, seed: 0 }).next();
        expect(() => trainStep(other, uploadBatch(b.pivot, b.varying), optimizer, new T.Rng(0), parallel)).toThrow('made for another model');
      } finally {
        parallel?.dispose();
        model.dispose();
        other.dispose();
      }
    });
  }, 120_000);

  test('a failing step throws, and the next one computes as if it had not happened', async () => {
    await T.withBackend(native!, async () => {
      const model = await createModel(SMALL, 0);
      const parallel = await DataParallel.create(model, { threads: 2, schedule: 'threads', announce: null });
      try {
        // Varying images of another size: every shard fails in its encoder.
        const bad = { pivot: T.zeros([1, 1, 64, 64]), varying: T.zeros([4, 1, 32, 32]) };
        expect(() => parallel!.predictLogits(bad)).toThrow();
        const b = new Sampler({ split: 'to-range', part: 'train', batchSize: 6, pivots: model.pivots, seed: 0 }).next();
        const batch = uploadBatch(b.pivot, b.varying);
        const sharded = await parallel!.predictLogits(batch).data();
        const whole = await T.noGrad(() => model.predictLogits(batch)).data();
        let worst = 0;
        for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(sharded[i] - whole[i]));
        expect(worst).toBeLessThan(1e-2);
      } finally {
        parallel?.dispose();
        model.dispose();
      }
    });
  }, 120_000);
});

describe('the shards and their schedule', () => {
  test('shard rows cover the batch once, in near-equal parts, never empty', () => {
    expect(shardRanges(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(shardRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(shardRanges(64, 2)).toEqual([[0, 32], [32, 64]]);
  });

  test('ShardThreads probes, keeps the faster schedule, says it once, and changes only on a clear difference', () => {
    const said: string[] = [];
    const schedule = new ShardThreads(2, (line) => said.push(line), 20, 2, 0.1, 1);
    const steps = (n: number, ms: (threaded: boolean) => number) => {
      for (let i = 0; i < n; i++) {
        const threaded = schedule.next();
        schedule.record(threaded, ms(threaded));
      }
    };
    // Threads twice as fast: kept, said once.
    steps(20, (threaded) => (threaded ? 50 : 100));
    expect(schedule.usesThreads).toBe(true);
    expect(said.length).toBe(1);
    expect(said[0]).toContain('data-parallel over 2 threads');
    steps(20, (threaded) => (threaded ? 50 : 100));
    expect(said.length).toBe(1);
    // Within the margin: no change, nothing said.
    steps(20, (threaded) => (threaded ? 100 : 95));
    expect(schedule.usesThreads).toBe(true);
    expect(said.length).toBe(1);
    // Threads clearly slower (the cores are taken): one thread, said once with the reason.
    steps(20, (threaded) => (threaded ? 200 : 100));
    expect(schedule.usesThreads).toBe(false);
    expect(said.length).toBe(2);
    expect(said[1]).toContain('slowed each other down');
  });
});
