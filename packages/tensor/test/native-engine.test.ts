// The native engine's speed-ups, each against a reference written apart from it: oneDNN's
// convolutions in both activation layouts (blocked with reorders, plain NCHW) against textbook
// float64 loops for every pass; weights kept in a primitive's layout only while their content
// version stands; the inverse kept by content, so changed weights always recompute; and the
// roofline counters against FLOPs and bytes counted by hand.
import { describe, expect, test } from 'bun:test';
import * as T from '../index.ts';
import { loadDnnl, layoutFor, type Layout } from '../src/native/dnnl.ts';
import type { Convolutions } from '../src/native/engine.ts';
import { invert } from '../src/native/kernels.ts';
import { convGeometry, type ConvGeometry } from '../src/ops/conv-geometry.ts';
import { native, ref, reference } from '../testing.ts';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The three passes of a convolution as the textbook loops, in float64. */
function naivePasses(x: Float32Array, w: Float32Array, dy: Float32Array, g: ConvGeometry) {
  const y = new Float64Array(g.n * g.co * g.ho * g.wo);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.co; o++)
      for (let i = 0; i < g.ho; i++)
        for (let j = 0; j < g.wo; j++) {
          const yi = ((n * g.co + o) * g.ho + i) * g.wo + j;
          for (let c = 0; c < g.ci; c++)
            for (let p = 0; p < g.kh; p++)
              for (let q = 0; q < g.kw; q++) {
                const r = i * g.stride - g.pad + p;
                const t = j * g.stride - g.pad + q;
                if (r < 0 || r >= g.h || t < 0 || t >= g.w) continue;
                const xi = ((n * g.ci + c) * g.h + r) * g.w + t;
                const wi = ((o * g.ci + c) * g.kh + p) * g.kw + q;
                y[yi] += w[wi] * x[xi];
                dx[xi] += w[wi] * dy[yi];
                dw[wi] += x[xi] * dy[yi];
              }
        }
  return { y, dx, dw };
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m / scale;
}

// MAGANet's kinds of layer: Glow's 1×1 convolutions at 4 and 64 channels, its couplings' 3×3 at 2
// and 32 channels, the encoder's 4×4 stride-2 from 1 and 32 channels (all at a small batch).
const GEOMETRIES: [number[], number[], number, number][] = [
  [[2, 4, 6, 6], [4, 4, 1, 1], 1, 0],
  [[2, 64, 3, 3], [64, 64, 1, 1], 1, 0],
  [[2, 2, 7, 5], [2, 2, 3, 3], 1, 1],
  [[2, 32, 4, 4], [32, 32, 3, 3], 1, 1],
  [[2, 1, 9, 8], [32, 1, 4, 4], 2, 1],
  [[2, 32, 6, 6], [32, 32, 4, 4], 2, 1],
];

const dnnlByLayout = new Map<string, Convolutions | null>();
for (const layouts of ['blocked', 'plain', 'rule'] as const) {
  const loaded = native ? await loadDnnl({ layouts }) : { error: 'no native backend' };
  dnnlByLayout.set(layouts, 'error' in loaded ? null : loaded.convolutions);
}

describe.skipIf(!dnnlByLayout.get('rule'))('oneDNN convolutions in both activation layouts', () => {
  for (const layouts of ['blocked', 'plain', 'rule'] as const) {
    for (const [xs, ws, stride, pad] of GEOMETRIES) {
      const g = convGeometry('test', xs, ws, stride, pad);
      test(`${layouts}: x${JSON.stringify(xs)} w${JSON.stringify(ws)} s${stride} p${pad}: forward, data and weight gradients match the textbook loops`, () => {
        const dnnl = dnnlByLayout.get(layouts)!;
        const x = values(g.n * g.ci * g.h * g.w, 1);
        const w = values(g.co * g.ci * g.kh * g.kw, 2);
        const dy = values(g.n * g.co * g.ho * g.wo, 3);
        const want = naivePasses(x, w, dy, g);
        const y = new Float32Array(want.y.length).fill(Number.NaN);
        const dx = new Float32Array(x.length).fill(Number.NaN);
        const dw = new Float32Array(w.length).fill(Number.NaN);
        dnnl.forward(x, w, null, y, g);
        dnnl.backwardData(dy, w, dx, g);
        dnnl.backwardWeights(x, dy, dw, g);
        expect(maxRelError(y, want.y)).toBeLessThan(1e-5);
        expect(maxRelError(dx, want.dx)).toBeLessThan(1e-5);
        expect(maxRelError(dw, want.dw)).toBeLessThan(1e-5);
      });
    }
  }

  test('the rule keeps few-channel layers plain and wide ones blocked', () => {
    const layout = (pass: 'forward' | 'data' | 'weights', xs: number[], ws: number[], s = 1, p = 0): Layout => layoutFor(pass, convGeometry('test', xs, ws, s, p));
    expect(layout('forward', [1, 4, 8, 8], [4, 4, 1, 1])).toBe('plain');
    expect(layout('forward', [1, 64, 8, 8], [64, 64, 1, 1])).toBe('plain');
    expect(layout('forward', [1, 32, 8, 8], [32, 32, 3, 3], 1, 1)).toBe('blocked');
    expect(layout('data', [1, 64, 8, 8], [64, 64, 1, 1])).toBe('plain');
    expect(layout('data', [1, 1, 8, 8], [32, 1, 4, 4], 2, 1)).toBe('plain');
    expect(layout('data', [1, 32, 8, 8], [32, 32, 3, 3], 1, 1)).toBe('blocked');
    expect(layout('weights', [1, 8, 8, 8], [8, 8, 1, 1])).toBe('plain');
    expect(layout('weights', [1, 16, 8, 8], [16, 16, 1, 1])).toBe('blocked');
  });
});

describe.skipIf(!native)('weights kept in a primitive’s layout', () => {
  test('are reordered again when their version changes, and only then', async () => {
    const versions = new WeakMap<Float32Array, number>();
    const loaded = await loadDnnl({ layouts: 'blocked', version: (a) => versions.get(a) ?? 0 });
    if ('error' in loaded) throw new Error(loaded.error);
    const dnnl = loaded.convolutions;
    const g = convGeometry('test', [2, 32, 4, 4], [32, 32, 3, 3], 1, 1);
    const x = values(g.n * g.ci * g.h * g.w, 4);
    const w = values(g.co * g.ci * 9, 5);
    const y = new Float32Array(g.n * g.co * g.ho * g.wo);
    const dy = new Float32Array(y.length);
    dnnl.forward(x, w, null, y, g);
    expect(maxRelError(y, naivePasses(x, w, dy, g).y)).toBeLessThan(1e-5);
    // New contents under a new version: the kept copy is replaced.
    w.set(values(w.length, 6));
    versions.set(w, 1);
    dnnl.forward(x, w, null, y, g);
    const fresh = naivePasses(x, w, dy, g).y;
    expect(maxRelError(y, fresh)).toBeLessThan(1e-5);
    // New contents under the same version break the contract: the kept copy is what computes,
    // which shows that the copy is kept (the backend bumps the version at every write).
    w.set(values(w.length, 7));
    dnnl.forward(x, w, null, y, g);
    expect(maxRelError(y, fresh)).toBeLessThan(1e-5);
  });

  test('through the backend, a parameter changed by the optimizer gives the new convolution', async () => {
    await T.withBackend(native!, async () => {
      const x = T.tensor(values(2 * 32 * 4 * 4, 8), [2, 32, 4, 4]);
      const w = T.tensor(values(32 * 32 * 9, 9), [32, 32, 3, 3]).requireGrad();
      const before = await T.conv2d(x, w, undefined, { padding: 1 }).data();
      const optimizer = T.sgd({ w }, { lr: 0.5 });
      T.backward(T.conv2d(x, w, undefined, { padding: 1 }).square().sum());
      optimizer.update();
      const after = await T.conv2d(x, w, undefined, { padding: 1 }).data();
      const want = await T.withBackend(reference, async () => T.conv2d(T.tensor(await x.data(), x.shape), T.tensor(await w.data(), w.shape), undefined, { padding: 1 }).data64());
      expect(maxRelError(after, want)).toBeLessThan(1e-5);
      expect(maxRelError(after, before)).toBeGreaterThan(1e-3);
    });
  });
});

describe.skipIf(!native)('the kept inverse', () => {
  test('is recomputed when the weights change: in place, through a new array, or by the optimizer', async () => {
    await T.withBackend(native!, async () => {
      const c = 16;
      const m = (seed: number) => {
        const a = values(c * c, seed);
        for (let i = 0; i < c; i++) a[i * c + i] += 4;
        return a;
      };
      const inverseOf = async (a: Float32Array) => T.withBackend(reference, () => T.inverse(T.tensor(a, [c, c])).data64());
      const w = T.tensor(m(10), [c, c]).requireGrad();
      const first = await T.inverse(w).data();
      expect(maxRelError(first, await inverseOf(m(10)))).toBeLessThan(1e-5);
      expect(maxRelError(await T.inverse(w).data(), first)).toBe(0);
      T.assign(w, m(11));
      expect(maxRelError(await T.inverse(w).data(), await inverseOf(m(11)))).toBeLessThan(1e-5);
      expect(maxRelError(await T.inverse(T.tensor(m(12), [c, c])).data(), await inverseOf(m(12)))).toBeLessThan(1e-5);
      const optimizer = T.sgd({ w }, { lr: 0.1 });
      T.backward(T.inverse(w).sum());
      optimizer.update();
      const updated = await w.data();
      expect(maxRelError(await T.inverse(w).data(), await inverseOf(updated))).toBeLessThan(1e-5);
      // The matrix before the update inverts to its own inverse still (the cache holds both).
      expect(maxRelError(await T.inverse(T.tensor(m(11), [c, c])).data(), await inverseOf(m(11)))).toBeLessThan(1e-5);
    });
  });
});

describe.skipIf(!native)('the inverse through LAPACK', () => {
  test('64×64 and batched 5×5 in float64 agree with the reference Gauss–Jordan to 1e-10; a singular matrix is not finite in both', async () => {
    const b64 = await T.NativeBackend.create({ float64: true });
    if ('error' in b64) throw new Error(b64.error);
    expect(b64.blas.inverse64).not.toBeNull();
    for (const shape of [[64, 64], [3, 5, 5]]) {
      const c = shape[shape.length - 1];
      const a = Float64Array.from(values(shape.reduce((x, y) => x * y, 1), 20 + c));
      for (let z = 0; z < a.length / (c * c); z++) for (let i = 0; i < c; i++) a[z * c * c + i * c + i] += 3;
      const ours = await T.withBackend(b64, () => T.inverse(T.tensor(a, shape)).data64());
      const want = await T.withBackend(reference, () => T.inverse(T.tensor(a, shape)).data64());
      expect(maxRelError(ours, want)).toBeLessThan(1e-10);
    }
    const singular = [1, 2, 2, 4];
    const ours = await T.withBackend(b64, () => T.inverse(T.tensor(singular, [2, 2])).data64());
    const want = await T.withBackend(reference, () => T.inverse(T.tensor(singular, [2, 2])).data64());
    expect([...ours].some((v) => !Number.isFinite(v))).toBe(true);
    expect([...want].some((v) => !Number.isFinite(v))).toBe(true);
  });
});

test('the engine\'s own Gauss–Jordan (a CBLAS without LAPACK, or a singular matrix) agrees with the independent float64 inverse', () => {
  // Batched, with rows that need swapping (a small leading entry), and sizes 1 to 7.
  for (const c of [1, 2, 3, 7]) {
    const batches = 3;
    const a = Float32Array.from(values(batches * c * c, 40 + c));
    for (let z = 0; z < batches; z++) for (let i = 0; i < c; i++) a[z * c * c + i * c + ((i + 1) % c)] += 2.5;
    const x = new Float32Array(a.length);
    invert(a, x, batches, c, null);
    const want = ref.inverse(ref.dense([batches, c, c], a)).values;
    for (let i = 0; i < want.length; i++) expect(Math.abs(x[i] - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i])));
  }
});

describe.skipIf(!native)('roofline counters', () => {
  test('count a product’s 2MNK operations and its bytes, an elementwise op’s one per element, nothing while off', async () => {
    const b = native!;
    await T.withBackend(b, async () => {
      const a = T.tensor(values(3 * 5, 1), [3, 5]);
      const w = T.tensor(values(5 * 7, 2), [5, 7]);
      b.countCosts(true);
      const c0 = b.costs();
      T.matmul(a, w);
      const c1 = b.costs();
      T.add(a, a);
      const c2 = b.costs();
      b.countCosts(false);
      T.matmul(a, w);
      expect(c1.flops - c0.flops).toBe(2 * 3 * 5 * 7);
      expect(c1.bytes - c0.bytes).toBe((15 + 35 + 21) * 4);
      expect(c2.flops - c1.flops).toBe(15);
      expect(c2.bytes - c1.bytes).toBe((15 + 15 + 15) * 4);
      expect(b.costs()).toEqual(c2);
    });
  });
});
