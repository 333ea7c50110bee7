import { describe, expect, test } from 'bun:test';
import { latestOnly } from '../src/lib/schedule.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('latest wins, one in flight', () => {
  test('requests during a run collapse to the newest', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const release: (() => void)[] = [];
    const s = latestOnly<number>(async (n) => {
      started.push(n);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => release.push(r));
      inFlight--;
    });
    s.request(1);
    expect(s.busy()).toBe(true);
    s.request(2);
    s.request(3);
    s.request(4);
    await tick();
    expect(started).toEqual([1]);
    release.shift()!();
    await tick();
    expect(started).toEqual([1, 4]);
    release.shift()!();
    await tick();
    expect(s.busy()).toBe(false);
    expect(maxInFlight).toBe(1);
  });

  test('an error is reported and the next request still runs', async () => {
    const errors: unknown[] = [];
    const done: number[] = [];
    const s = latestOnly<number>(
      async (n) => {
        await tick();
        if (n === 1) throw new Error('boom');
        done.push(n);
      },
      (e) => errors.push(e),
    );
    s.request(1);
    s.request(2);
    while (s.busy()) await tick();
    expect((errors[0] as Error).message).toBe('boom');
    expect(done).toEqual([2]);
  });

  test('cancel drops what is pending', async () => {
    const done: number[] = [];
    const s = latestOnly<number>(async (n) => {
      await tick();
      done.push(n);
    });
    s.request(1);
    s.request(2);
    s.cancel();
    while (s.busy()) await tick();
    expect(done).toEqual([1]);
  });
});
