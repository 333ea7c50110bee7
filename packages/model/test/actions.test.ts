// Group laws: the representations of SO(2) and C_n, and the decoder's action on images:
// D(e, x) = x, D(g₂, D(g₁, x)) = D(g₂·g₁, x), D(g⁻¹, D(g, x)) = x, on random inputs and weights.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { CyclicAction, FlowDecoder, Glow, RotationAction, TranslationAction, type RotationLayout } from '../index.ts';
import { describeEachBackend, expectClose, maxDifference, randomValues } from '@maga/tensor/testing';

const layout: RotationLayout = { invariant: 3, frequencies: [1, 2, -3] };

describeEachBackend('SO(2) and C_n representations', () => {
  test('ρ(g₂)ρ(g₁) = ρ(g₂·g₁), ρ(e) = I, ρ(g⁻¹) = ρ(g)ᵀ, and act agrees with ρ', async () => {
    const so2 = new RotationAction(layout);
    const [g1, g2] = [T.tensor(randomValues(4, 1, -4, 4), [4]), T.tensor(randomValues(4, 2, -4, 4), [4])];
    const product = T.matmul(so2.representation(g2), so2.representation(g1));
    expect(await maxDifference(product, so2.representation(so2.compose(g2, g1)))).toBeLessThan(1e-5);
    expect(await maxDifference(so2.representation(so2.identity(4)), T.broadcastTo(T.eye(so2.size), [4, so2.size, so2.size]))).toBeLessThan(1e-6);
    expect(await maxDifference(so2.representation(so2.inverse(g1)), T.transpose(so2.representation(g1)))).toBeLessThan(1e-5);
    const u = T.tensor(randomValues(4 * so2.size, 3), [4, so2.size]);
    const viaMatrix = T.reshape(T.matmul(so2.representation(g1), T.reshape(u, [4, so2.size, 1])), [4, so2.size]);
    expect(await maxDifference(so2.act(g1, u), viaMatrix)).toBeLessThan(1e-5);
    // The invariant part is untouched and norms of the rotated blocks are kept.
    const moved = await so2.act(g1, u).data();
    const original = await u.data();
    for (let n = 0; n < 4; n++) for (let i = 0; i < 3; i++) expect(moved[n * so2.size + i]).toBe(original[n * so2.size + i]);
    so2.dispose();
  });
  test('C_n: composition wraps around, the inverse undoes, g^n = e', async () => {
    const c5 = new CyclicAction(5, layout);
    const g = T.tensor([0, 1, 2, 3, 4, 4], [6]);
    const h = T.tensor([3, 4, 4, 1, 0, 2], [6]);
    expect(Array.from(await c5.compose(g, h).data())).toEqual([3, 0, 1, 4, 4, 1]);
    expect(Array.from(await c5.compose(g, c5.inverse(g)).data())).toEqual([0, 0, 0, 0, 0, 0]);
    let power = c5.identity(6);
    for (let k = 0; k < 5; k++) power = c5.compose(g, power);
    expect(Array.from(await power.data())).toEqual([0, 0, 0, 0, 0, 0]);
    const rhoProduct = T.matmul(c5.representation(g), c5.representation(h));
    expect(await maxDifference(rhoProduct, c5.representation(c5.compose(g, h)))).toBeLessThan(1e-5);
    c5.dispose();
  });
  test('bad elements and layouts are refused', () => {
    const so2 = new RotationAction(layout);
    expect(() => so2.act(T.zeros([2]), T.zeros([2, 5]))).toThrow(/latent must be \[N, 9\]/);
    expect(() => new RotationAction({ invariant: 0, frequencies: [1.5] })).toThrow(/integers/);
    expect(() => new CyclicAction(0, layout)).toThrow(/order must be a positive integer/);
    so2.dispose();
  });
});

/** A MAGANet-style decoder with random (not identity-like) weights. */
async function randomDecoder(seed: number): Promise<FlowDecoder> {
  const rng = new T.Rng(seed);
  const flow = await Glow.create({ channels: 1, levels: 3, steps: 2, coupling: 'affine', hidden: 8 }, rng);
  const decoder = new FlowDecoder(flow, new TranslationAction(6, 64 * 64, rng), 1e-3);
  flow.initialize(T.tensor(randomValues(4 * 4096, seed, 0, 1), [4, 1, 64, 64]));
  let k = seed * 100;
  for (const p of flow.parameters().values()) T.assign(p, randomValues(p.size, k++, -0.1, 0.1));
  return decoder;
}

describeEachBackend('the flow decoder is a group action', () => {
  test('D(e, x) = x; D(g₂, D(g₁, x)) = D(g₂ + g₁, x); D(−g, D(g, x)) = x', async () => {
    const decoder = await randomDecoder(5);
    const action = decoder.action;
    const x = T.tensor(randomValues(3 * 4096, 6, 0.05, 0.95), [3, 1, 64, 64]);
    const [g1, g2] = [T.tensor(randomValues(18, 7, -1, 1), [3, 6]), T.tensor(randomValues(18, 8, -1, 1), [3, 6])];
    const decode = (g: T.Tensor, image: T.Tensor) => T.noGrad(() => decoder.decode(g, image));
    expect(await maxDifference(decode(action.identity(3), x), x)).toBeLessThan(1e-4);
    const sequential = decode(g2, decode(g1, x));
    const combined = decode(action.compose(g2, g1), x);
    expect(await maxDifference(sequential, combined)).toBeLessThan(1e-3);
    expect(await maxDifference(decode(action.inverse(g1), decode(g1, x)), x)).toBeLessThan(1e-3);
    // And the action is not trivial: g moves the image.
    expect(await maxDifference(decode(g1, x), x)).toBeGreaterThan(1e-2);
    decoder.dispose();
  });
  test('a pivot batch of one broadcasts against many group elements', async () => {
    const decoder = await randomDecoder(9);
    const pivot = T.tensor(randomValues(4096, 10, 0.05, 0.95), [1, 1, 64, 64]);
    const g = T.tensor(randomValues(5 * 6, 11), [5, 6]);
    const batched = T.noGrad(() => decoder.decode(g, pivot));
    expect([...batched.shape]).toEqual([5, 1, 64, 64]);
    const one = T.noGrad(() => decoder.decode(T.slice(g, 0, 2, 3), pivot));
    expectClose((await batched.data()).subarray(2 * 4096, 3 * 4096), await one.data(), 1e-4);
    decoder.dispose();
  });
});

describeEachBackend('MAGANet group laws with saturated logits', () => {
  test('hold when D produces logits far beyond float32 σ saturation (|logit| > 30)', async () => {
    const { Maganet, MAGANET_DEFAULTS, dsprites } = await import('../index.ts');
    const model = await Maganet.create({ ...MAGANET_DEFAULTS, encoder: { width: 8, hidden: 16 }, glow: { levels: 2, steps: 1, coupling: 'additive', hidden: 'half' } }, new T.Rng(4));
    const pivot = T.tensor(dsprites.render(dsprites.FIXED_PIVOT.index), [1, 1, 64, 64]);
    model.initialize(T.tensor(dsprites.renderBatch([0, 1000, 2000, 3000]), [4, 1, 64, 64]));
    // A large M moves the flow latent far: decoded logits reach values where σ(y) == 1 in float32.
    const m = model.decoder.action.parameters().get('M.weight')!;
    T.assign(m, randomValues(m.size, 12, -8, 8));
    const [z1, z2] = [T.tensor(randomValues(10, 13, -2, 2), [1, 10]), T.tensor(randomValues(10, 14, -2, 2), [1, 10])];
    const logits = await T.noGrad(() => model.decodeLogits(z1, pivot)).data();
    expect(Math.max(...logits.map(Math.abs))).toBeGreaterThan(30);
    const laws = T.noGrad(() => model.groupLaws(pivot, z1, z2));
    expect(await maxDifference(laws.identity, laws.input)).toBeLessThan(1e-5);
    expect(await maxDifference(laws.sequential, laws.combined)).toBeLessThan(1e-3);
    expect(await maxDifference(laws.roundTrip, laws.input)).toBeLessThan(1e-3);
    model.dispose();
  });
});
