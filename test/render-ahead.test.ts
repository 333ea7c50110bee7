// The render-ahead worker of the rendered 3-D sets (packages/cli/src/train/render-ahead.ts): its batches
// are the serial sampler's, image for image, across an epoch boundary and after a restore; state()
// counts only the batches handed out; a failing worker is an error naming the data set.
import { describe, expect, test } from 'bun:test';
import { RenderAhead } from '@maga/cli';
import { openDataset, type GroupPairBatch } from '@maga/model';

// 13 objects in batches of 5: an epoch holds two batches, so the third starts a new shuffle.
const options = { part: 'train' as const, batchSize: 5, seed: 4099, limit: 13 };

// The 3-D batches carry their pair specs too (RotationPairBatch); GroupPairBatch is what all sets share.
type Batch = GroupPairBatch & { pairs?: unknown[] };

function expectSameBatch(a: Batch, b: Batch) {
  expect(a.size).toBe(b.size);
  expect(a.pairs).toBeDefined();
  expect(a.pairs).toEqual(b.pairs);
  expect(Buffer.from(a.x.buffer).equals(Buffer.from(b.x.buffer))).toBe(true);
  expect(Buffer.from(a.gx.buffer).equals(Buffer.from(b.gx.buffer))).toBe(true);
  expect(Array.from(a.g)).toEqual(Array.from(b.g));
  expect(a.factors).toEqual(b.factors);
}

describe('RenderAhead', () => {
  for (const [name, group] of [['objects3d', 'so3'], ['planes-sky', 'so2']] as const) {
    test(`${name} ${group}: the serial sampler's batches, states and resumes`, async () => {
      const dataset = await openDataset(name, group);
      const serial = dataset.sampler(options);
      const ahead = new RenderAhead(dataset.sampler(options), { name, group });
      try {
        expect(ahead.state()).toEqual(serial.state());
        const states = [];
        for (let i = 0; i < 3; i++) {
          expectSameBatch(await ahead.next(), serial.next());
          // A batch is rendering ahead now; the state is still the one after the batch handed out.
          expect(ahead.state()).toEqual(serial.state());
          states.push(serial.state());
        }
        expect(states[2].epoch).toBe(1);
        // Back to after the first batch: the batch rendered ahead is dropped, the order resumes.
        ahead.restore(states[0]);
        serial.restore(states[0]);
        for (let i = 0; i < 2; i++) expectSameBatch(await ahead.next(), serial.next());
        expect(ahead.state()).toEqual(states[2]);
      } finally {
        ahead.close();
      }
    }, 60_000);
  }

  test('a worker that cannot render is an error naming the data set; next() after close() is refused', async () => {
    const dataset = await openDataset('objects3d', 'so3');
    const ahead = new RenderAhead(dataset.sampler(options), { name: 'objects4d', group: 'so3' });
    try {
      await expect(ahead.next()).rejects.toThrow(/rendering a batch of objects4d in the render-ahead worker: .*objects4d/);
    } finally {
      ahead.close();
    }
    ahead.close(); // twice is harmless
    await expect(ahead.next()).rejects.toThrow(/render-ahead of objects4d: next\(\) after close\(\)/);
  }, 60_000);
});
