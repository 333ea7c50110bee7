import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, expectMatchesReference, gradCheck, input } from '../testing.ts';

/** conv2d written as the textbook loop, independently of the kernels. */
function naiveConv(x: Float64Array, xs: number[], w: Float64Array, ws: number[], b: Float64Array | null, stride: number, pad: number): { y: Float64Array; shape: number[] } {
  const [n, ci, h, wd] = xs;
  const [co, , kh, kw] = ws;
  const ho = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const wo = Math.floor((wd + 2 * pad - kw) / stride) + 1;
  const y = new Float64Array(n * co * ho * wo);
  for (let a = 0; a < n; a++)
    for (let o = 0; o < co; o++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let s = b ? b[o] : 0;
          for (let c = 0; c < ci; c++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * stride - pad + p;
                const t = j * stride - pad + q;
                if (r >= 0 && r < h && t >= 0 && t < wd) s += w[((o * ci + c) * kh + p) * kw + q] * x[((a * ci + c) * h + r) * wd + t];
              }
          y[((a * co + o) * ho + i) * wo + j] = s;
        }
  return { y, shape: [n, co, ho, wo] };
}

const cases = [
  { x: [2, 3, 7, 7], w: [4, 3, 3, 3], stride: 1, pad: 1 },
  { x: [1, 1, 5, 6], w: [1, 1, 1, 1], stride: 1, pad: 0 },
  { x: [3, 2, 8, 8], w: [5, 2, 4, 4], stride: 2, pad: 1 },
  { x: [2, 3, 9, 7], w: [2, 3, 3, 3], stride: 2, pad: 0 },
  { x: [1, 2, 6, 5], w: [3, 2, 3, 2], stride: 3, pad: 2 },
  { x: [2, 17, 5, 5], w: [3, 17, 5, 5], stride: 1, pad: 2 },
];

describeEachBackend('conv2d', (backend) => {
  for (const c of cases) {
    const label = `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.stride} p${c.pad}`;
    test(`${label} matches the naive loop`, async () => {
      const x = input(c.x, 1);
      const w = input(c.w, 2);
      const b = input([c.w[0]], 3);
      const expected = naiveConv(x.values, c.x, w.values, c.w, b.values, c.stride, c.pad);
      const y = T.conv2d(T.tensor(x.values, c.x), T.tensor(w.values, c.w), T.tensor(b.values, [c.w[0]]), { stride: c.stride, padding: c.pad });
      expect([...y.shape]).toEqual(expected.shape);
      expectClose(await y.data(), expected.y, 1e-4);
    });
    test(`${label} gradients match the float64 reference`, async () => {
      const f = (x: T.Tensor, w: T.Tensor, b: T.Tensor, gy: T.Tensor) => {
        const [gx, gw, gb] = T.grad(T.sum(T.mul(T.conv2d(x, w, b, { stride: c.stride, padding: c.pad }), gy)), [x, w, b]);
        return T.concat([T.reshape(gx, [-1]), T.reshape(gw, [-1]), gb]);
      };
      const ho = Math.floor((c.x[2] + 2 * c.pad - c.w[2]) / c.stride) + 1;
      const wo = Math.floor((c.x[3] + 2 * c.pad - c.w[3]) / c.stride) + 1;
      const inputs = [input(c.x, 4), input(c.w, 5), input([c.w[0]], 6), input([c.x[0], c.w[0], ho, wo], 7)];
      await expectMatchesReference(backend, (...ts) => f(...ts.map((t, i) => (i < 3 ? t.requireGrad() : t)) as [T.Tensor, T.Tensor, T.Tensor, T.Tensor]), inputs, 2e-4);
    });
  }
  test('convTranspose2d output size and values match the float64 reference', async () => {
    for (const c of [
      { x: [2, 4, 4, 4], w: [4, 3, 4, 4], stride: 2, pad: 1, out: 0 },
      { x: [1, 3, 5, 3], w: [3, 2, 3, 3], stride: 2, pad: 1, out: 1 },
      { x: [2, 2, 3, 3], w: [2, 5, 3, 3], stride: 1, pad: 0, out: 0 },
    ]) {
      const f = (x: T.Tensor, w: T.Tensor, b: T.Tensor) => T.convTranspose2d(x, w, b, { stride: c.stride, padding: c.pad, outputPadding: c.out });
      await expectMatchesReference(backend, f, [input(c.x, 8), input(c.w, 9), input([c.w[1]], 10)], 1e-4);
      const y = T.tidy(() => f(T.zeros(c.x), T.zeros(c.w), T.zeros([c.w[1]])));
      expect(y.shape[2]).toBe((c.x[2] - 1) * c.stride - 2 * c.pad + c.w[2] + c.out);
    }
  });
  test('bad shapes throw errors naming the op and the shapes', () => {
    expect(() => T.conv2d(T.zeros([1, 3, 8, 8]), T.zeros([4, 2, 3, 3]))).toThrow(/conv2d: input has 3 channels but weight \[4, 2, 3, 3\]/);
    expect(() => T.conv2d(T.zeros([3, 8, 8]), T.zeros([4, 3, 3, 3]))).toThrow(/conv2d: expected input \[N, C, H, W\]/);
    expect(() => T.conv2d(T.zeros([1, 3, 2, 2]), T.zeros([4, 3, 3, 3]))).toThrow(/does not fit/);
    expect(() => T.conv2d(T.zeros([1, 3, 8, 8]), T.zeros([4, 3, 3, 3]), T.zeros([5]))).toThrow(/bias must have shape \[4\]/);
  });
});

test('conv2d and convTranspose2d gradients match finite differences', async () => {
  for (const c of [
    { x: [2, 2, 5, 5], w: [3, 2, 3, 3], stride: 1, pad: 1 },
    { x: [1, 2, 6, 6], w: [2, 2, 4, 4], stride: 2, pad: 1 },
    { x: [1, 1, 5, 4], w: [2, 1, 2, 3], stride: 3, pad: 1 },
  ]) {
    await gradCheck((x, w, b) => T.conv2d(x, w, b, { stride: c.stride, padding: c.pad }), [input(c.x, 1), input(c.w, 2), input([c.w[0]], 3)]);
  }
  await gradCheck((x, w, b) => T.convTranspose2d(x, w, b, { stride: 2, padding: 1 }), [input([2, 3, 3, 3], 4), input([3, 2, 4, 4], 5), input([2], 6)]);
  await gradCheck((x, w) => T.convTranspose2d(x, w, undefined, { stride: 2, padding: 1, outputPadding: 1 }), [input([1, 2, 3, 2], 7), input([2, 3, 3, 3], 8)]);
});

// conv2d with `relu`: the convolution and the relu fused in one op (a oneDNN post-op on the
// native backend), against the naive loop followed by max(·, 0), and its gradients (masked by
// the output) against the float64 reference.
describeEachBackend('conv2d with relu', (backend) => {
  for (const c of cases) {
    const label = `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.stride} p${c.pad}`;
    test(`${label} equals relu of the naive loop`, async () => {
      const x = input(c.x, 11);
      const w = input(c.w, 12);
      const b = input([c.w[0]], 13);
      const expected = naiveConv(x.values, c.x, w.values, c.w, b.values, c.stride, c.pad);
      const y = T.conv2d(T.tensor(x.values, c.x), T.tensor(w.values, c.w), T.tensor(b.values, [c.w[0]]), { stride: c.stride, padding: c.pad, relu: true });
      const values = await y.data();
      // Both signs occur, so the relu is really exercised.
      expect(expected.y.some((v) => v < -1e-3) && expected.y.some((v) => v > 1e-3)).toBe(true);
      expectClose(values, expected.y.map((v) => Math.max(v, 0)), 1e-4);
    });
    test(`${label} gradients match the float64 reference`, async () => {
      const f = (x: T.Tensor, w: T.Tensor, b: T.Tensor, gy: T.Tensor) => {
        const [gx, gw, gb] = T.grad(T.sum(T.mul(T.conv2d(x, w, b, { stride: c.stride, padding: c.pad, relu: true }), gy)), [x, w, b]);
        return T.concat([T.reshape(gx, [-1]), T.reshape(gw, [-1]), gb]);
      };
      const ho = Math.floor((c.x[2] + 2 * c.pad - c.w[2]) / c.stride) + 1;
      const wo = Math.floor((c.x[3] + 2 * c.pad - c.w[3]) / c.stride) + 1;
      const inputs = [input(c.x, 14), input(c.w, 15), input([c.w[0]], 16), input([c.x[0], c.w[0], ho, wo], 17)];
      await expectMatchesReference(backend, (...ts) => f(...ts.map((t, i) => (i < 3 ? t.requireGrad() : t)) as [T.Tensor, T.Tensor, T.Tensor, T.Tensor]), inputs, 2e-4);
    });
  }
});

test('conv2d with relu: gradients match finite differences', async () => {
  await gradCheck((x, w, b) => T.conv2d(x, w, b, { stride: 2, padding: 1, relu: true }), [input([1, 2, 6, 6], 21), input([2, 2, 4, 4], 22), input([2], 23)]);
});
