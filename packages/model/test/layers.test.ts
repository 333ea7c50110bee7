// Every layer against loops written apart from it, on every backend: the plain layers and the flow
// layers (ActNorm, the LU-parameterised 1×1 convolution, both couplings) forward, inverse and
// log-determinant, from their formulas in the Glow paper computed with the float64 reference loops
// of @maga/tensor/testing on the layer's own parameter values. And every layer's gradients, with
// respect to its input and to each of its parameters, against finite differences in float64.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { describeEachBackend, expectClose, gradCheck, gradCheckParameters, input, randomValues, ref, reference } from '@maga/tensor/testing';
import { ActNorm, ChannelAction, Conv2d, ConvEncoder, ConvTranspose2d, Coupling, CyclicAction, FlowDecoder, Glow, InvConv1x1, Linear, RotationAction, SelfAttention, SkipDecoder, TranslationAction, type CouplingKind, type Module } from '../index.ts';

/** Moves every parameter away from its (identity-like) initialisation. */
function perturb(module: Module, seed: number, scale = 0.3): void {
  let k = seed;
  for (const p of module.parameters().values()) T.assign(p, randomValues(p.size, k++, -scale, scale));
}

/** A parameter's values as the reference loops take them. */
async function values(t: T.Tensor): Promise<ref.Dense> {
  return ref.dense(t.shape, await t.data64());
}

async function expectTensor(actual: T.Tensor, expected: ref.Dense, tol = 1e-4): Promise<void> {
  expect([...actual.shape]).toEqual([...expected.shape]);
  expectClose(await actual.data64(), expected.values, tol);
}

const relu = (x: ref.Dense) => ref.map((v) => Math.max(v, 0), x);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describeEachBackend('layers against loops written apart', () => {
  test('Linear, Conv2d (with its fused relu) and ConvTranspose2d', async () => {
    const rng = new T.Rng(1);
    const x = input([3, 5], 1);
    const linear = new Linear(5, 4, rng);
    await expectTensor(linear.forward(T.tensor(x.values, x.shape)), ref.linear(x, await values(linear.weight), await values(linear.bias!)));
    const image = input([2, 3, 8, 7], 2);
    const conv = new Conv2d(3, 4, 3, rng, { stride: 2, padding: 1 });
    const sums = ref.conv2d(image, await values(conv.weight), await values(conv.bias!), 2, 1);
    await expectTensor(conv.forward(T.tensor(image.values, image.shape)), sums);
    await expectTensor(conv.forward(T.tensor(image.values, image.shape), { relu: true }), relu(sums));
    const up = new ConvTranspose2d(3, 2, 4, rng, { stride: 2, padding: 1 });
    await expectTensor(up.forward(T.tensor(image.values, image.shape)), ref.convTranspose2d(image, await values(up.weight), await values(up.bias!), 2, 1));
  });

  test('SelfAttention: y = x + W_o·softmax(Q·Kᵀ/√d)·V + b_o, the softmax along each query\'s row of keys', async () => {
    const [n, l, dim, head] = [2, 3, 4, 3];
    const attention = new SelfAttention(dim, head, new T.Rng(7));
    perturb(attention, 70, 0.6);
    const x = input([n, l, dim], 8);
    const [wq, bq, wk, bk, wv, bv, wo, bo] = await Promise.all([attention.query, attention.key, attention.value, attention.output].flatMap((m) => [m.weight.data64(), m.bias!.data64()]));
    // An affine map row by row: w is [out, in], y = w·v + b.
    const affine = (w: Float64Array, b: Float64Array, v: ArrayLike<number>) => Array.from(b, (bias, o) => Array.from(v).reduce((acc, vi, i) => acc + w[o * v.length + i] * vi, bias));
    const expected = new Float64Array(n * l * dim);
    const rows = new Float64Array(n * l * l);
    for (let s = 0; s < n; s++) {
      const tokens = Array.from({ length: l }, (_, i) => x.values.subarray((s * l + i) * dim, (s * l + i + 1) * dim));
      const [q, k, v] = [[wq, bq], [wk, bk], [wv, bv]].map(([w, b]) => tokens.map((t) => affine(w, b, t)));
      for (let i = 0; i < l; i++) {
        const scores = k.map((kj) => kj.reduce((acc, kjd, d) => acc + q[i][d] * kjd, 0) / Math.sqrt(head));
        const total = scores.reduce((acc, sc) => acc + Math.exp(sc), 0);
        const weights = scores.map((sc) => Math.exp(sc) / total);
        weights.forEach((a, j) => (rows[(s * l + i) * l + j] = a));
        const mixed = Array.from({ length: head }, (_, d) => weights.reduce((acc, a, j) => acc + a * v[j][d], 0));
        affine(wo, bo, mixed).forEach((y, d) => (expected[(s * l + i) * dim + d] = tokens[i][d] + y));
      }
    }
    const xt = T.tensor(x.values, x.shape);
    await expectTensor(attention.weights(xt), ref.dense([n, l, l], rows));
    await expectTensor(attention.forward(xt), ref.dense(x.shape, expected));
  });

  test('ActNorm: y = (x + b)·e^s per channel, log|det| = H·W·Σ s, and its inverse', async () => {
    const actNorm = new ActNorm(3);
    actNorm.initialize(T.tensor(randomValues(2 * 3 * 20, 3), [2, 3, 4, 5]));
    perturb(actNorm, 10);
    const [s, b] = [await values(actNorm.logScale), await values(actNorm.bias)];
    const x = input([2, 3, 4, 5], 4);
    const out = actNorm.forward(T.tensor(x.values, x.shape), true);
    await expectTensor(out.y, ref.map((v, sc, bc) => (v + bc) * Math.exp(sc), x, s, b));
    await expectTensor(out.logDet!, ref.dense([2], Array(2).fill(20 * s.values.reduce((a, v) => a + v, 0))));
    await expectTensor(actNorm.inverse(T.tensor(x.values, x.shape)), ref.map((v, sc, bc) => v * Math.exp(-sc) - bc, x, s, b));
  });

  test('InvConv1x1: W = P·(L + I)·(U + diag(sign·e^{logS})) applied per pixel, log|det| = H·W·log|det W|, and W⁻¹', async () => {
    const c = 4;
    const inv = await InvConv1x1.create(c, new T.Rng(5));
    perturb(inv, 20, 0.2);
    const [p, l, u, sign, logS] = await Promise.all([inv.permutation, inv.lower, inv.upper, inv.sign, inv.logS].map(values));
    // The weight from its factors, each written out entry by entry.
    const lower = ref.dense([c, c], Array.from({ length: c * c }, (_, k) => (Math.floor(k / c) === k % c ? 1 : k % c < Math.floor(k / c) ? l.values[k] : 0)));
    const upper = ref.dense([c, c], Array.from({ length: c * c }, (_, k) => (Math.floor(k / c) === k % c ? sign.values[k % c] * Math.exp(logS.values[k % c]) : k % c > Math.floor(k / c) ? u.values[k] : 0)));
    const w = ref.matmul(ref.matmul(p, lower), upper);
    const perPixel = (m: ref.Dense, image: ref.Dense) => ref.conv2d(image, ref.dense([c, c, 1, 1], m.values), null, 1, 0);
    const x = input([2, c, 3, 2], 6);
    const out = inv.forward(T.tensor(x.values, x.shape), true);
    await expectTensor(out.y, perPixel(w, x));
    await expectTensor(out.logDet!, ref.dense([2], Array(2).fill(6 * ref.logAbsDet(w).values[0])));
    await expectTensor(inv.inverse(T.tensor(x.values, x.shape)), perPixel(ref.inverse(w), x), 1e-4);
  });

  for (const kind of ['additive', 'affine'] as CouplingKind[]) {
    test(`${kind} coupling: the active half shifted${kind === 'affine' ? ' and scaled by σ(raw + 2)' : ''} by a network of the passive half, and back`, async () => {
      const coupling = new Coupling(5, 3, kind, new T.Rng(7));
      perturb(coupling, 30);
      const convs = [coupling.conv1, coupling.conv2, coupling.conv3];
      const params = await Promise.all(convs.map(async (conv) => ({ w: await values(conv.weight), b: await values(conv.bias!), pad: conv.padding })));
      const network = (passive: ref.Dense) => {
        const h1 = relu(ref.conv2d(passive, params[0].w, params[0].b, 1, params[0].pad));
        const h2 = relu(ref.conv2d(h1, params[1].w, params[1].b, 1, params[1].pad));
        return ref.conv2d(h2, params[2].w, params[2].b, 1, params[2].pad);
      };
      const x = input([2, 5, 3, 3], 8);
      const passive = ref.slice(x, 1, 0, 2);
      const active = ref.slice(x, 1, 2, 5);
      const h = network(passive);
      const shift = kind === 'affine' ? ref.slice(h, 1, 0, 3) : h;
      const scale = kind === 'affine' ? ref.map((r) => sigmoid(r + 2), ref.slice(h, 1, 3, 6)) : ref.map(() => 1, shift);
      const out = coupling.forward(T.tensor(x.values, x.shape), true);
      await expectTensor(out.y, ref.concat([passive, ref.map((a, t, s) => (a + t) * s, active, shift, scale)], 1));
      if (kind === 'affine') await expectTensor(out.logDet!, ref.reduce('sum', ref.map(Math.log, scale), [1, 2, 3]));
      else expect(out.logDet).toBeNull();
      await expectTensor(coupling.inverse(T.tensor(x.values, x.shape)), ref.concat([passive, ref.map((a, t, s) => a / s - t, active, shift, scale)], 1));
    });
  }
});

test('every layer: gradients with respect to its input and its parameters match finite differences (float64)', async () => {
  await T.withBackend(reference, async () => {
    const rng = new T.Rng(11);
    const check = async (module: Module, f: (x: T.Tensor) => T.Tensor, x: ReturnType<typeof input>) => {
      await gradCheck(f, [x]);
      const fixed = T.keep(T.tensor(x.values, x.shape));
      await gradCheckParameters(module.parameters(), () => f(fixed));
      fixed.dispose();
    };
    const linear = new Linear(4, 3, rng);
    await check(linear, (x) => linear.forward(x), input([2, 4], 1));
    const conv = new Conv2d(2, 3, 3, rng, { stride: 2, padding: 1 });
    await check(conv, (x) => conv.forward(x), input([2, 2, 5, 4], 2));
    await check(conv, (x) => conv.forward(x, { relu: true }), input([1, 2, 5, 4], 3));
    const up = new ConvTranspose2d(2, 3, 4, rng, { stride: 2, padding: 1 });
    await check(up, (x) => up.forward(x), input([2, 2, 3, 3], 4));

    const actNorm = new ActNorm(3);
    actNorm.initialize(T.tensor(randomValues(2 * 3 * 4, 5), [2, 3, 2, 2]));
    await check(actNorm, (x) => actNorm.forward(x).y, input([2, 3, 2, 2], 6));
    await check(actNorm, (x) => actNorm.inverse(x), input([2, 3, 2, 2], 7));
    const inv = await InvConv1x1.create(3, rng);
    perturb(inv, 40, 0.2);
    await check(inv, (x) => inv.forward(x).y, input([1, 3, 2, 2], 8));
    await check(inv, (x) => inv.inverse(x), input([1, 3, 2, 2], 9));
    for (const kind of ['additive', 'affine'] as CouplingKind[]) {
      const coupling = new Coupling(4, 3, kind, rng);
      perturb(coupling, 50);
      await check(coupling, (x) => coupling.forward(x).y, input([1, 4, 3, 3], 10));
      await check(coupling, (x) => coupling.inverse(x), input([1, 4, 3, 3], 11));
      await gradCheck((x) => coupling.forward(x, true).logDet ?? x.sum([1, 2, 3]), [input([2, 4, 2, 2], 12)]);
    }
    const glow = await Glow.create({ channels: 1, levels: 1, steps: 1, coupling: 'affine', hidden: 2 }, rng);
    glow.initialize(T.tensor(randomValues(2 * 16, 13), [2, 1, 4, 4]));
    perturb(glow, 60, 0.2);
    await check(glow, (x) => glow.forward(x).y, input([1, 1, 4, 4], 14));
    await check(glow, (x) => glow.inverse(x), input([1, 4, 2, 2], 15));
    await gradCheck((x) => glow.forward(x, true).logDet!, [input([2, 1, 4, 4], 16)]);
    // MAGANet's decoder D(g, x) = ℓ⁻¹(f⁻¹(f(ℓ(x)) + M·g)), in g, in the pivot's pixels and in its parameters.
    const flowDecoder = new FlowDecoder(glow, new TranslationAction(2, 16, rng), 1e-3);
    perturb(flowDecoder.action, 61, 0.2);
    await gradCheck((g, x) => flowDecoder.decode(g, x), [input([1, 2], 62), input([1, 1, 4, 4], 63, 0.1, 0.9)]);
    const [code, pivot] = [T.keep(T.tensor([0.3, -0.5], [1, 2])), T.keep(T.tensor(randomValues(16, 64, 0.1, 0.9), [1, 1, 4, 4]))];
    await gradCheckParameters(flowDecoder.parameters(), () => flowDecoder.decode(code, pivot));

    const encoder = new ConvEncoder({ channels: 1, imageSize: 16, width: 2, hidden: 3, latentDim: 2 }, rng);
    await check(encoder, (x) => T.concat([encoder.forward(x).mu, encoder.forward(x).logVar], 1), input([1, 1, 16, 16], 17, 0, 1));
    const attention = new SelfAttention(4, 3, rng);
    await check(attention, (x) => attention.forward(x), input([2, 3, 4], 18));
    const decoder = new SkipDecoder({ imageSize: 8, channels: 1, widths: [2, 2, 2], latentSize: 2, skipChannels: [2, 2] }, rng);
    const skips = [T.keep(T.tensor(randomValues(2 * 2 * 16, 19), [2, 2, 4, 4])), T.keep(T.tensor(randomValues(2 * 2 * 4, 20), [2, 2, 2, 2]))];
    await check(decoder, (z) => decoder.forward(z, skips), input([2, 2], 21));

    // The group actions: in the latent, and in the angle for SO(2) (C_n's elements are integers).
    const translation = new TranslationAction(2, 3, rng);
    const shift = T.keep(T.tensor([0.4, -0.7, 1.1, 0.2], [2, 2]));
    await check(translation, (u) => translation.act(shift, u), input([2, 3], 22));
    await gradCheck((g, u) => translation.act(g, u), [input([2, 2], 23), input([2, 3], 24)]);
    const so2 = new RotationAction({ invariant: 1, frequencies: [1, -2] });
    await gradCheck((g, u) => so2.act(g, u), [input([3], 25, -3, 3), input([3, 5], 26)]);
    const c5 = new CyclicAction(5, { invariant: 2, frequencies: [3] });
    await gradCheck((u) => c5.act(T.tensor([0, 2, 4], [3]), u), [input([3, 4], 27)]);
    for (const group of [{ kind: 'so2', frequencies: [1, 2] }, { kind: 'cyclic', n: 4, frequencies: [1] }] as const) {
      const maps = new ChannelAction({ ...group, frequencies: [...group.frequencies] }, 6, 2);
      await gradCheck((f) => maps.act(T.tensor([1, 3], [2]), f), [input([2, 6, 2, 2], 28)]);
      maps.dispose();
    }
  });
});
