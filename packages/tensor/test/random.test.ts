import { describe, expect, test } from 'bun:test';
import * as T from '../index.ts';
import { Rng, threefry2x32 } from '../src/ops/random.ts';
import { cpu, describeEachBackend, expectClose, webgpu } from '../testing.ts';

const hex = (words: readonly number[]) => words.map((w) => w.toString(16).padStart(8, '0'));

describe('threefry2x32-20', () => {
  // Random123's kat_vectors: "threefry2x32 20 <ctr0> <ctr1> <key0> <key1> <out0> <out1>".
  const vectors = [
    { ctr: [0, 0], key: [0, 0], out: ['6b200159', '99ba4efe'] },
    { ctr: [0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: ['1cb996fc', 'bb002be7'] },
    { ctr: [0x243f6a88, 0x85a308d3], key: [0x13198a2e, 0x03707344], out: ['c4923a9c', '483df7a0'] },
  ];
  for (const v of vectors) {
    test(`known answer for key ${hex(v.key)} counter ${hex(v.ctr)}`, () => {
      expect(hex(threefry2x32(v.key[0], v.key[1], v.ctr[0], v.ctr[1]))).toEqual(v.out);
    });
  }
});

/** Draws on `backend` and reads the values back. */
async function draw(backend: T.Backend, f: () => T.Tensor): Promise<Float32Array> {
  return T.withBackend(backend, async () => {
    const t = f();
    const values = await t.data();
    t.dispose();
    return values;
  });
}

/** What element i of a [0, 1) draw starting at `counter` must be, from the host-side function alone. */
function expectedUniforms(seed: number, counter: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = counter + i;
    const [w0] = threefry2x32(seed >>> 0, Math.floor(seed / 2 ** 32), c >>> 0, Math.floor(c / 2 ** 32));
    out[i] = (w0 >>> 8) / 2 ** 24;
  }
  return out;
}

describe('the same stream on cpu and webgpu', () => {
  const gpu = webgpu;
  for (const n of [1, 3, 17, 65, 1000]) {
    test.skipIf(!gpu)(`uniforms of size ${n} are bit-identical`, async () => {
      const onCpu = await draw(cpu, () => new Rng(42).uniform([n]));
      const onGpu = await draw(gpu!, () => new Rng(42).uniform([n]));
      expect(Array.from(onGpu)).toEqual(Array.from(onCpu));
      expect(Array.from(onCpu)).toEqual(Array.from(expectedUniforms(42, 0, n)));
    });
    test.skipIf(!gpu)(`normals of size ${n} agree within float32 rounding`, async () => {
      const onCpu = await draw(cpu, () => new Rng(7).normal([n]));
      const onGpu = await draw(gpu!, () => new Rng(7).normal([n]));
      expectClose(onGpu, onCpu, 1e-5);
    });
  }

  test.skipIf(!gpu)('a counter that crosses 2^32 carries into the second word on both backends', async () => {
    const start = { key: [0x12345678, 0x9abcdef0] as [number, number], counter: 2 ** 32 - 5 };
    const onCpu = await draw(cpu, () => new Rng(0).restore(start).uniform([10]));
    const onGpu = await draw(gpu!, () => new Rng(0).restore(start).uniform([10]));
    expect(Array.from(onGpu)).toEqual(Array.from(onCpu));
    const expected = Array.from({ length: 10 }, (_, i) => {
      const c = start.counter + i;
      return (threefry2x32(start.key[0], start.key[1], c >>> 0, Math.floor(c / 2 ** 32))[0] >>> 8) / 2 ** 24;
    });
    expect(Array.from(onCpu)).toEqual(expected);
  });

  test.skipIf(!gpu)('shifted and scaled draws agree', async () => {
    const onCpu = await draw(cpu, () => new Rng(3).uniform([257], -2, 5));
    const onGpu = await draw(gpu!, () => new Rng(3).uniform([257], -2, 5));
    expectClose(onGpu, onCpu, 1e-6);
    const nCpu = await draw(cpu, () => new Rng(3).normal([257], 1.5, 0.25));
    const nGpu = await draw(gpu!, () => new Rng(3).normal([257], 1.5, 0.25));
    expectClose(nGpu, nCpu, 1e-5);
  });
});

function moments(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

describeEachBackend('Rng', (backend) => {
  const n = 100_000;

  test('100k normals have mean 0 and std 1 within statistical bounds', async () => {
    const { mean, std } = moments(await draw(backend, () => new Rng(1).normal([n])));
    // Standard errors: 1/√n ≈ 0.0032 for the mean, 1/√(2n) ≈ 0.0022 for the std; allow 5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(std - 1)).toBeLessThan(0.012);
  });

  test('100k normals with a mean and std have them', async () => {
    const { mean, std } = moments(await draw(backend, () => new Rng(2).normal([n], -3, 0.5)));
    expect(Math.abs(mean + 3)).toBeLessThan(0.008);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.006);
  });

  test('100k uniforms have mean 1/2 and variance 1/12, and stay in [0, 1)', async () => {
    const values = await draw(backend, () => new Rng(3).uniform([n]));
    const { mean, std } = moments(values);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(std - Math.sqrt(1 / 12))).toBeLessThan(0.003);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  test('uniforms in [lo, hi) stay in range', async () => {
    const values = await draw(backend, () => new Rng(4).uniform([10_000], -2, 3));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...values)).toBeLessThanOrEqual(3);
    expect(Math.abs(moments(values).mean - 0.5)).toBeLessThan(0.08);
  });

  test('draws have the requested shape, take fresh counters, and carry no gradient', async () => {
    const rng = new Rng(5);
    const a = rng.uniform([2, 3, 4]);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(rng.state().counter).toBe(24);
    const b = rng.normal([]);
    expect(b.shape).toEqual([]);
    expect(rng.state().counter).toBe(25);
    expect(a.requiresGrad).toBe(false);
    expect(a.node).toBeNull();
    const empty = rng.uniform([0, 3]);
    expect(empty.size).toBe(0);
    expect(rng.state().counter).toBe(25);
    // The second draw continues the stream where the first stopped.
    const whole = await draw(backend, () => new Rng(5).uniform([25]));
    expect(Array.from(await a.data())).toEqual(Array.from(whole.subarray(0, 24)));
    for (const t of [a, b, empty]) t.dispose();
  });

  test('the same seed gives the same sequence of draws; another seed does not', async () => {
    const run = async (seed: number) => {
      const rng = new Rng(seed);
      const u = await draw(backend, () => rng.uniform([33]));
      const z = await draw(backend, () => rng.normal([5, 7]));
      const p = rng.permutation(20);
      const u2 = await draw(backend, () => rng.split().uniform([9]));
      return [...u, ...z, ...p, ...u2];
    };
    const first = await run(11);
    expect(await run(11)).toEqual(first);
    expect(await run(12)).not.toEqual(first);
  });

  test('restore(state()) resumes the exact stream, also through JSON', async () => {
    const rng = new Rng(2024);
    await draw(backend, () => rng.normal([10]));
    rng.permutation(7);
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const next = await draw(backend, () => rng.uniform([50]));
    const nextNormal = await draw(backend, () => rng.normal([50]));
    const resumed = new Rng(1).restore(saved);
    expect(Array.from(await draw(backend, () => resumed.uniform([50])))).toEqual(Array.from(next));
    expect(Array.from(await draw(backend, () => resumed.normal([50])))).toEqual(Array.from(nextNormal));
    expect(resumed.state()).toEqual(rng.state());
  });
});

describe('Rng on the host', () => {
  test('permutation is a permutation, reproducible, and differs by seed', () => {
    for (const n of [0, 1, 2, 10, 1000]) {
      const p = new Rng(9).permutation(n);
      expect(p.length).toBe(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(Array.from(new Rng(9).permutation(n))).toEqual(Array.from(p));
    }
    const a = Array.from(new Rng(9).permutation(1000));
    const b = Array.from(new Rng(10).permutation(1000));
    expect(b).not.toEqual(a);
    // Consecutive calls draw fresh counters, so they differ too.
    const rng = new Rng(9);
    expect(Array.from(rng.permutation(1000))).not.toEqual(Array.from(rng.permutation(1000)));
  });

  test('permutation places each element uniformly', () => {
    // 3000 permutations of 4: each element lands in each position ~750 times.
    const counts = new Array(16).fill(0);
    const rng = new Rng(77);
    for (let t = 0; t < 3000; t++) rng.permutation(4).forEach((v, pos) => counts[v * 4 + pos]++);
    for (const c of counts) expect(Math.abs(c - 750)).toBeLessThan(5 * Math.sqrt(3000 * (1 / 4) * (3 / 4)));
  });

  test('split gives independent, reproducible children and advances the parent', () => {
    const parent = new Rng(31);
    const child = parent.split();
    expect(parent.state().counter).toBe(1);
    expect(child.state().counter).toBe(0);
    expect(child.state().key).not.toEqual(parent.state().key);
    const again = new Rng(31).split();
    expect(again.state()).toEqual(child.state());
    expect(parent.split().state().key).not.toEqual(child.state().key);
    expect(Array.from(child.permutation(50))).not.toEqual(Array.from(new Rng(31).permutation(50)));
  });

  test('seeds use both key words', () => {
    expect(new Rng(2 ** 40 + 3).state().key).toEqual([3, 256]);
    expect(Array.from(new Rng(2 ** 40 + 3).permutation(30))).not.toEqual(Array.from(new Rng(3).permutation(30)));
  });

  test('bad arguments are refused with the op in the message', () => {
    expect(() => new Rng(-1)).toThrow(/Rng: the seed/);
    expect(() => new Rng(1.5)).toThrow(/Rng: the seed/);
    expect(() => new Rng(0).permutation(-1)).toThrow(/Rng.permutation/);
    expect(() => new Rng(0).restore({ key: [1, -2], counter: 0 } as never)).toThrow(/Rng.restore/);
    expect(() => new Rng(0).restore({ key: [1, 2], counter: 0.5 })).toThrow(/Rng.restore/);
    T.withBackend(cpu, () => {
      expect(() => new Rng(0).uniform([2], 1, 1)).toThrow(/Rng.uniform/);
      expect(() => new Rng(0).normal([2], 0, -1)).toThrow(/Rng.normal/);
      expect(() => new Rng(0).uniform([2, -1])).toThrow(/Rng.uniform/);
    });
  });
});
