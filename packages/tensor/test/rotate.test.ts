import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, expectGradientsConform, gradCheck, input, randomValues, ref, reference } from '../testing.ts';

/**
 * rotate2d from its definition, written apart from the kernels: every output pixel is the sum over
 * *all* input pixels of tent(u − col)·tent(v − row)·x (bilinear interpolation as a dense sum, zero
 * outside), with (u, v) the back-rotated pixel centre; float64.
 */
function denseRotate(x: Float64Array, [n, c, h, w]: number[], theta: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  const tent = (d: number) => Math.max(0, 1 - Math.abs(d));
  for (let s = 0; s < n; s++) {
    const [cos, sin] = [Math.cos(theta[s]), Math.sin(theta[s])];
    for (let ch = 0; ch < c; ch++)
      for (let row = 0; row < h; row++)
        for (let col = 0; col < w; col++) {
          const dx = col + 0.5 - w / 2;
          const dy = row + 0.5 - h / 2;
          const u = w / 2 + cos * dx - sin * dy - 0.5;
          const v = h / 2 + sin * dx + cos * dy - 0.5;
          let total = 0;
          for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) total += tent(u - q) * tent(v - r) * x[((s * c + ch) * h + r) * w + q];
          out[((s * c + ch) * h + row) * w + col] = total;
        }
  }
  return out;
}

/** k counter-clockwise quarter turns as an index permutation: out[r][c] = x[c][S−1−r] once. */
function quarterTurns(x: ArrayLike<number>, [n, c, size]: number[], turns: number[]): Float64Array {
  let cur = Float64Array.from(x);
  const out = new Float64Array(x.length);
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * size * size;
      let map = cur.slice(base, base + size * size);
      for (let t = 0; t < ((turns[s] % 4) + 4) % 4; t++) {
        const next = new Float64Array(size * size);
        for (let r = 0; r < size; r++) for (let q = 0; q < size; q++) next[r * size + q] = map[q * size + (size - 1 - r)];
        map = next;
      }
      out.set(map, base);
    }
  }
  cur = out;
  return cur;
}

describeEachBackend('rotate2d', (backend) => {
  test('matches the dense bilinear sum at random angles (odd and even sizes, non-square)', async () => {
    for (const shape of [[2, 3, 8, 8], [3, 1, 7, 7], [2, 2, 6, 9]]) {
      const x = input(shape, 11);
      const theta = randomValues(shape[0], 12, -7, 7);
      const y = T.rotate2d(T.tensor(x.values, shape), T.tensor(theta, [shape[0]]));
      expect([...y.shape]).toEqual(shape);
      expectClose(await y.data(), denseRotate(x.values, shape, theta), 1e-5);
    }
  });

  test('quarter turns (float32 angles j·2π/4, and their negatives) permute the pixels bit for bit', async () => {
    const shape = [8, 2, 6, 6];
    const values = Float32Array.from(randomValues(8 * 2 * 36, 13));
    const turns = [0, 1, 2, 3, 4, -1, -2, -3];
    const step = Math.fround((2 * Math.PI) / 4);
    // As the cyclic group's action computes them: j times the float32 step, in float32.
    const theta = Float32Array.from(turns, (j) => Math.fround(j * step));
    const y = await T.rotate2d(T.tensor(values, shape), T.tensor(theta, [8])).data();
    const expected = quarterTurns(values, shape, turns);
    for (let i = 0; i < expected.length; i++) expect(y[i]).toBe(Math.fround(expected[i]));
    // One turn by 2π/4 moves the top-right pixel to the top-left (counter-clockwise on screen).
    expect(y[72 * 1]).toBe(values[72 * 1 + 5]);
  });

  test('an angle of 0 gives the maps back exactly; turning by a then by b is turning by a + b (smooth maps)', async () => {
    const size = 24;
    const smooth = new Float32Array(2 * size * size);
    for (let s = 0; s < 2; s++)
      for (let r = 0; r < size; r++)
        for (let q = 0; q < size; q++) {
          const [dx, dy] = [q + 0.5 - size / 2 - 2 * s, r + 0.5 - size / 2 + 1];
          smooth[(s * size + r) * size + q] = Math.exp(-(dx * dx + 0.5 * dy * dy) / 32);
        }
    const maps = T.tensor(smooth, [2, 1, size, size]);
    expect([...(await T.rotate2d(maps, T.zeros([2])).data())]).toEqual([...smooth]);
    const [a, b] = [T.tensor([0.4, -1.1]), T.tensor([0.9, 2.3])];
    const twice = await T.rotate2d(T.rotate2d(maps, a), b).data();
    const once = await T.rotate2d(maps, T.add(a, b)).data();
    let worst = 0;
    // Inside the inscribed disc, where the intermediate map never lost a corner to the frame.
    for (let i = 0; i < once.length; i++) {
      const [r, q] = [Math.floor(i / size) % size, i % size];
      if (Math.hypot(q + 0.5 - size / 2, r + 0.5 - size / 2) < size / 2 - 1) worst = Math.max(worst, Math.abs(twice[i] - once[i]));
    }
    expect(worst).toBeLessThan(0.02); // two resamplings against one: interpolation blur only
    expect(worst).toBeGreaterThan(0); // (not trivially equal)
  });

  test('gradients in the maps and the angles match finite differences of the dense bilinear sum', async () => {
    // No backward rule takes part in the expected gradients: central differences (float64) of
    // denseRotate, exact in the maps (the op is linear in them), and in the angles away from the
    // kinks of the bilinear patches (random angles put no sample within eps of a pixel edge).
    const shape = [3, 2, 7, 7];
    const inputs = [input(shape, 21), { shape: [3], values: Float64Array.of(0.3, -2.2, 4.0) }];
    const dense = (x: ref.Dense, theta: ref.Dense) => ref.dense(shape, denseRotate(x.values, shape, theta.values));
    await expectGradientsConform(backend, (x, theta) => T.rotate2d(x, theta), inputs, (w) => ref.numericGradient(dense, inputs, w), 2e-4);
  });
});

test('rotate2d: gradients in the maps and in the angles agree with finite differences (float64)', async () => {
  // Angles away from quarter turns (where the snap to exact cos/sin sits) and from the kinks of
  // the bilinear patches (a random angle puts no sample within eps of a pixel centre).
  const error = await gradCheck((x, theta) => T.rotate2d(x, theta), [input([2, 2, 6, 6], 31), { shape: [2], values: Float64Array.of(0.7, -2.5) }], { eps: 1e-6, tol: 1e-5 });
  expect(error).toBeLessThan(1e-5);
  // Non-square maps and a single sample.
  await gradCheck((x, theta) => T.rotate2d(x, theta), [input([1, 1, 5, 8], 32), { shape: [1], values: Float64Array.of(2.0) }], { eps: 1e-6, tol: 1e-5 });
});

test('rotate2d: the angle gradient near a quarter turn is the exact derivative (the snap is not differentiated)', async () => {
  // At θ = π/2 exactly, d/dθ of the output is −(∂out/∂u)·dy·… : compare with a one-sided finite
  // difference taken just past the tolerance, on a linear ramp (where the bilinear patch is exact).
  await T.withBackend(reference, async () => {
    const size = 8;
    const ramp = new Float64Array(size * size);
    for (let r = 0; r < size; r++) for (let q = 0; q < size; q++) ramp[r * size + q] = 0.1 * q + 0.05 * r;
    const x = T.tensor(ramp, [1, 1, size, size]);
    const theta = T.tensor([Math.PI / 2]).requireGrad();
    const mask = T.tensor(Float64Array.from({ length: size * size }, (_, i) => (Math.hypot((i % size) + 0.5 - size / 2, Math.floor(i / size) + 0.5 - size / 2) < 3 ? 1 : 0)), [1, 1, size, size]);
    const [g] = T.grad(T.sum(T.mul(T.rotate2d(x, theta), mask)), [theta]);
    const value = async (t: number) => (await T.sum(T.mul(T.rotate2d(x, T.tensor([t])), mask)).data64())[0];
    const h = 1e-3;
    const numeric = ((await value(Math.PI / 2 + h)) - (await value(Math.PI / 2 - h))) / (2 * h);
    expect(Math.abs((await g.data64())[0] - numeric)).toBeLessThan(1e-6);
  });
});

test('rotate2d: refuses maps that are not [N, C, H, W] and angles that are not one per sample', () => {
  expect(() => T.rotate2d(T.zeros([2, 4, 4]), T.zeros([2]))).toThrow(/rotate2d: maps must be \[N, C, H, W\], got \[2, 4, 4\]/);
  expect(() => T.rotate2d(T.zeros([2, 1, 4, 4]), T.zeros([3]))).toThrow(/angles must be \[N\] = \[2\].*got \[3\]/);
  expect(() => T.rotate2d(T.zeros([2, 1, 4, 4]), T.zeros([2, 1]))).toThrow(/got \[2, 1\]/);
});
