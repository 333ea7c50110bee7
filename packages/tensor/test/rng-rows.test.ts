// Rng.rows, the view through which each shard of a data-parallel step draws its rows of the noise
// the whole batch would have had: shards' draws put together equal the whole draw, bit for bit, and
// the stream moves on as after the whole draw.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { cpu } from '../testing.ts';

test('the rows of shards [0, 3), [3, 7), [7, 10) put together are the draw of 10 rows, and the stream moves on alike', async () => {
  await T.withBackend(cpu, async () => {
    const whole = new T.Rng(42);
    const full = await whole.normal([10, 3]).data();
    const next = await whole.uniform([4]).data();
    const shared = new T.Rng(42);
    const state = shared.state();
    const parts: number[] = [];
    for (const [start, end] of [[0, 3], [3, 7], [7, 10]]) {
      // Each shard starts from the step's state, as a worker does.
      const view = start === 0 ? shared.rows(0, 10) : new T.Rng(0).restore(state).rows(start, 10);
      parts.push(...(await view.normal([end - start, 3]).data()));
    }
    expect(parts).toEqual([...full]);
    expect([...(await shared.uniform([4]).data())]).toEqual([...next]);
  });
});

test('a view refuses draws beyond its rows, and what only a whole stream can do', () => {
  T.withBackend(cpu, () => {
    const view = new T.Rng(1).rows(8, 10);
    expect(() => view.normal([3, 2])).toThrow('from row 8 of 10');
    expect(() => view.normal([])).toThrow('from row 8 of 10');
    expect(() => view.permutation(4)).toThrow('not available on a view');
    expect(() => view.split()).toThrow('not available on a view');
    expect(() => new T.Rng(1).rows(10, 10)).toThrow('0 ≤ start < total');
  });
});
