// conv2d, its fused relu and convTranspose2d on every backend against direct sums over the taps
// (testing/reference.ts: the forward sum, and its adjoints in x and w for the gradients), then
// against the float64 cpu backend; autodiff against finite differences in float64.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, expectConforms, expectGradientsConform, gradCheck, input, ref, type Input } from '../testing.ts';

const cases = [
  { x: [2, 3, 7, 7], w: [4, 3, 3, 3], stride: 1, pad: 1 },
  { x: [1, 1, 5, 6], w: [1, 1, 1, 1], stride: 1, pad: 0 },
  { x: [3, 2, 8, 8], w: [5, 2, 4, 4], stride: 2, pad: 1 },
  { x: [2, 3, 9, 7], w: [2, 3, 3, 3], stride: 2, pad: 0 },
  { x: [1, 2, 6, 5], w: [3, 2, 3, 2], stride: 3, pad: 2 },
  { x: [2, 17, 5, 5], w: [3, 17, 5, 5], stride: 1, pad: 2 },
];
type Case = (typeof cases)[number];

/**
 * The gradients of Σ conv2d(x, w, b)·weights (through max(·, 0) when `relu`) from the adjoint sums:
 * dy = weights (masked where the convolution is not positive), dx and dw the adjoints of the
 * direct sum, db the sum of dy over batch and pixels.
 */
function convGradients(c: Case, [x, w, b]: Input[], weights: Float64Array, relu: boolean): ref.Dense[] {
  const y = ref.conv2d(x, w, b, c.stride, c.pad);
  const dy = { shape: y.shape, values: weights.map((v, i) => (!relu || y.values[i] > 0 ? v : 0)) };
  return [ref.conv2dInputGrad(dy, w, x.shape, c.stride, c.pad), ref.conv2dWeightGrad(x, dy, w.shape, c.stride, c.pad), ref.reduce('sum', dy, [0, 2, 3])];
}

test('the reference adjoint sums equal finite differences of the reference convolution', () => {
  for (const c of [cases[2], cases[4]]) {
    const inputs = [input(c.x, 31), input(c.w, 32), input([c.w[0]], 33)];
    const y = ref.conv2d(inputs[0], inputs[1], inputs[2], c.stride, c.pad);
    const weights = input([...y.shape], 34).values;
    const adjoint = convGradients(c, inputs, weights, false);
    const numeric = ref.numericGradient((x, w, b) => ref.conv2d(x, w, b, c.stride, c.pad), inputs, weights);
    for (let k = 0; k < 3; k++) expectClose(adjoint[k].values, numeric[k].values, 1e-7);
  }
});

const transposeCases = [
  { x: [2, 4, 4, 4], w: [4, 3, 4, 4], stride: 2, pad: 1, out: 0 },
  { x: [1, 3, 5, 3], w: [3, 2, 3, 3], stride: 2, pad: 1, out: 1 },
  { x: [2, 2, 3, 3], w: [2, 5, 3, 3], stride: 1, pad: 0, out: 0 },
];

describeEachBackend('conv2d', (backend) => {
  for (const c of cases) {
    const label = `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.stride} p${c.pad}`;
    test(`${label} matches the direct sum`, async () => {
      const inputs = [input(c.x, 1), input(c.w, 2), input([c.w[0]], 3)];
      const expected = ref.conv2d(inputs[0], inputs[1], inputs[2], c.stride, c.pad);
      await expectConforms(backend, (x, w, b) => T.conv2d(x, w, b, { stride: c.stride, padding: c.pad }), inputs, expected);
    });
    test(`${label} gradients match the adjoint sums`, async () => {
      const inputs = [input(c.x, 4), input(c.w, 5), input([c.w[0]], 6)];
      await expectGradientsConform(backend, (x, w, b) => T.conv2d(x, w, b, { stride: c.stride, padding: c.pad }), inputs, (weights) => convGradients(c, inputs, weights, false), 2e-4);
    });
  }
  test('convTranspose2d output size and values match the scatter sum', async () => {
    for (const c of transposeCases) {
      const f = (x: T.Tensor, w: T.Tensor, b: T.Tensor) => T.convTranspose2d(x, w, b, { stride: c.stride, padding: c.pad, outputPadding: c.out });
      const inputs = [input(c.x, 8), input(c.w, 9), input([c.w[1]], 10)];
      await expectConforms(backend, f, inputs, ref.convTranspose2d(inputs[0], inputs[1], inputs[2], c.stride, c.pad, c.out));
      const y = T.tidy(() => f(T.zeros(c.x), T.zeros(c.w), T.zeros([c.w[1]])));
      expect(y.shape[2]).toBe((c.x[2] - 1) * c.stride - 2 * c.pad + c.w[2] + c.out);
    }
  });
  test('convTranspose2d gradients match finite differences of the scatter sum', async () => {
    for (const c of transposeCases) {
      const inputs = [input(c.x, 11), input(c.w, 12), input([c.w[1]], 13)];
      const loops = (x: ref.Dense, w: ref.Dense, b: ref.Dense) => ref.convTranspose2d(x, w, b, c.stride, c.pad, c.out);
      await expectGradientsConform(backend, (x, w, b) => T.convTranspose2d(x, w, b, { stride: c.stride, padding: c.pad, outputPadding: c.out }), inputs, (weights) => ref.numericGradient(loops, inputs, weights), 2e-4);
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
// native backend), against the direct sum followed by max(·, 0), and its gradients (masked by
// the output) against the adjoint sums.
describeEachBackend('conv2d with relu', (backend) => {
  for (const c of cases) {
    const label = `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.stride} p${c.pad}`;
    test(`${label} equals relu of the direct sum`, async () => {
      const inputs = [input(c.x, 11), input(c.w, 12), input([c.w[0]], 13)];
      const sums = ref.conv2d(inputs[0], inputs[1], inputs[2], c.stride, c.pad);
      // Both signs occur, so the relu is really exercised.
      expect(sums.values.some((v) => v < -1e-3) && sums.values.some((v) => v > 1e-3)).toBe(true);
      const expected = ref.map((v) => Math.max(v, 0), sums);
      await expectConforms(backend, (x, w, b) => T.conv2d(x, w, b, { stride: c.stride, padding: c.pad, relu: true }), inputs, expected);
    });
    test(`${label} gradients match the adjoint sums, masked where the convolution is not positive`, async () => {
      const inputs = [input(c.x, 14), input(c.w, 15), input([c.w[0]], 16)];
      await expectGradientsConform(backend, (x, w, b) => T.conv2d(x, w, b, { stride: c.stride, padding: c.pad, relu: true }), inputs, (weights) => convGradients(c, inputs, weights, true), 2e-4);
    });
  }
});

test('conv2d with relu: gradients match finite differences', async () => {
  await gradCheck((x, w, b) => T.conv2d(x, w, b, { stride: 2, padding: 1, relu: true }), [input([1, 2, 6, 6], 21), input([2, 2, 4, 4], 22), input([2], 23)]);
});
