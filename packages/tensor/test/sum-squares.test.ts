// The clip's sum of squares (optim.ts: sumOfSquares) on every backend against a float64 loop over
// the same values, for more gradients than a GPU dispatch can bind (so the chain of links runs),
// and the clip scale built on it against its closed form.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { sumOfSquares } from '../src/optim.ts';
import { describeEachBackend } from '../testing.ts';
import { input } from '../testing.ts';

const SIZES = [1, 7, 300, 5000, 3, 64, 1, 129, 2048, 17, 5, 4096, 33, 1, 700, 9, 12, 250, 1000, 2];

describeEachBackend('sumOfSquares', () => {
  test(`over ${SIZES.length} tensors of sizes 1…5000 equals the float64 sum`, async () => {
    const values = SIZES.map((n, k) => input([n], 100 + k).values);
    let want = 0;
    for (const v of values) for (const x of v) want += x * x;
    const got = await sumOfSquares(values.map((v, k) => T.tensor(v, [SIZES[k]]))).item();
    expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
  });

  test('the clip scale is min(1, maxNorm / ‖g‖)', async () => {
    const grads = SIZES.map((n, k) => T.tensor(input([n], 200 + k).values, [n]));
    const norm = await T.globalNorm(grads).item();
    for (const maxNorm of [norm / 4, norm * 4]) {
      const scale = await T.clipScale(grads, maxNorm).item();
      expect(scale).toBeCloseTo(Math.min(1, maxNorm / (norm + 1e-6)), 5);
    }
  });
});
