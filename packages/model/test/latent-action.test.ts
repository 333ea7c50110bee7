// The latent-action model (Jin et al.) and its data-space baseline flow-action: ρ is a group
// homomorphism on latents and feature maps (SO(2) and C_n) leaving the invariant part alone; the
// flow baseline obeys the group laws exactly; the attention and skip-decoder layers' gradients
// match finite differences; both models learn rotations of synthetic bars; training is
// deterministic; inputs a model cannot take are refused with the reason.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import {
  ChannelAction,
  FLOW_ACTION_DEFAULTS,
  FlowAction,
  Inference,
  LATENT_ACTION_DEFAULTS,
  LatentAction,
  SelfAttention,
  SkipDecoder,
  configure,
  createModel,
  groupFromName,
  parseModelConfig,
  softmax,
  trainStep,
  uploadPairs,
  vectorAction,
  type FlowActionConfig,
  type GroupConfig,
  type GroupPairBatch,
  type LatentActionConfig,
  type Model,
} from '../index.ts';
import { cpu, describeEachBackend, expectClose, gradCheck, input, maxDifference, randomValues, reference } from '@maga/tensor/testing';

const SO2: PlanarGroup = { kind: 'so2', frequencies: [1, 2, 3] };
const C4: PlanarGroup = { kind: 'cyclic', n: 4, frequencies: [1, 2, 3] };

/** Group elements of `group`: angles in (−π, π) for SO(2), integers in [0, n) for C_n. */
/** The groups of this file: SO(2) and C_n (SO(3) has its own tests, so3-latent.test.ts). */
type PlanarGroup = Exclude<GroupConfig, { kind: 'so3' }>;

function elementsOf(group: PlanarGroup, n: number, seed: number): T.Tensor {
  const u = randomValues(n, seed, 0, 1);
  return T.tensor(group.kind === 'so2' ? u.map((v) => (v - 0.5) * 2 * Math.PI) : u.map((v) => Math.floor(v * group.n)), [n]);
}

describeEachBackend('ρ is a homomorphism on latents and feature maps', () => {
  for (const group of [SO2, C4]) {
    test(`${group.kind}: ρ(g₂)ρ(g₁) = ρ(g₂g₁), ρ(e) = I, ρ(g⁻¹) = ρ(g)⁻¹; the invariant part is untouched`, async () => {
      const action = vectorAction(group, 5, 6); // frequencies cycle 1, 2, 3, 1, 2, 3
      const u = T.tensor(randomValues(4 * 17, 1), [4, 17]);
      const [g1, g2] = [elementsOf(group, 4, 2), elementsOf(group, 4, 3)];
      expect(await maxDifference(action.act(g2, action.act(g1, u)), action.act(action.compose(g2, g1), u))).toBeLessThan(1e-5);
      expect(await maxDifference(action.act(action.identity(4), u), u)).toBeLessThan(1e-6);
      expect(await maxDifference(action.act(action.inverse(g1), action.act(g1, u)), u)).toBeLessThan(1e-5);
      const moved = action.act(g1, u);
      expect(await maxDifference(T.slice(moved, 1, 0, 5), T.slice(u, 1, 0, 5))).toBe(0);
      expect(await maxDifference(moved, u)).toBeGreaterThan(1e-2); // and g really acts
      if (group.kind === 'cyclic') {
        // n steps of the generator are the identity.
        let v = u;
        for (let k = 0; k < group.n; k++) v = action.act(T.ones([4]), v);
        expect(await maxDifference(v, u)).toBeLessThan(1e-5);
      }
      // On feature maps: the same laws, invariant channels untouched, and each position acted on
      // exactly as the vector action acts on that position's channels.
      const maps = new ChannelAction(group, 8, 2);
      const f = T.tensor(randomValues(4 * 8 * 3 * 3, 4), [4, 8, 3, 3]);
      expect(await maxDifference(maps.act(g2, maps.act(g1, f)), maps.act(maps.compose(g2, g1), f))).toBeLessThan(1e-5);
      expect(await maxDifference(maps.act(maps.inverse(g1), maps.act(g1, f)), f)).toBeLessThan(1e-5);
      const acted = maps.act(g1, f);
      expect(await maxDifference(T.slice(acted, 1, 0, 2), T.slice(f, 1, 0, 2))).toBe(0);
      const position = (t: T.Tensor) => T.permute(T.slice(T.slice(t, 2, 1, 2), 3, 2, 3), [0, 2, 3, 1]).reshape([4, 8]);
      expect(await maxDifference(position(acted), maps.vector.act(g1, position(f)))).toBeLessThan(1e-6);
      action.dispose();
      maps.dispose();
    });
  }

  test('the latent-action model: ρ on (z, skips) leaves the invariant parts alone and composes', async () => {
    const model = new LatentAction({ ...LATENT_ACTION_DEFAULTS, imageSize: 16, widths: [4, 4, 8], headDim: 4, invariant: 3, blocks: 2, group: C4 }, new T.Rng(1));
    const code = model.encodeAll(T.tensor(randomValues(2 * 256, 5, 0, 1), [2, 1, 16, 16]));
    const [g1, g2] = [T.tensor([1, 3], [2]), T.tensor([2, 2], [2])];
    const once = model.act(g1, code);
    expect(await maxDifference(T.slice(once.z, 1, 0, 3), T.slice(code.z, 1, 0, 3))).toBe(0);
    for (let i = 0; i < 2; i++) expect(await maxDifference(T.slice(once.skips[i], 1, 0, 2), T.slice(code.skips[i], 1, 0, 2))).toBe(0);
    const twice = model.act(g2, once);
    const combined = model.act(model.action.compose(g2, g1), code);
    expect(await maxDifference(twice.z, combined.z)).toBeLessThan(1e-5);
    expect(await maxDifference(twice.skips[1], combined.skips[1])).toBeLessThan(1e-5);
    expect(model.latentParts()).toEqual({ invariant: 3, varying: 4 });
    model.dispose();
  });
});

test('layers: attention and the skip decoder match finite differences (float64)', async () => {
  await T.withBackend(reference, async () => {
    const rng = new T.Rng(3);
    const attention = new SelfAttention(6, 4, rng);
    await gradCheck((x) => attention.forward(x), [input([2, 5, 6], 1)]);
    // The weights against a naive loop: softmax_j (q_i · k_j / √d).
    const x = T.tensor(randomValues(5 * 6, 2), [1, 5, 6]);
    const w = await attention.weights(x).data64();
    const q = await attention.query.forward(x.reshape([5, 6])).data64();
    const k = await attention.key.forward(x.reshape([5, 6])).data64();
    const naive: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = Array.from({ length: 5 }, (_, j) => Array.from({ length: 4 }, (_, c) => q[i * 4 + c] * k[j * 4 + c]).reduce((a, b) => a + b, 0) / 2);
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const total = e.reduce((a, b) => a + b, 0);
      naive.push(...e.map((v) => v / total));
    }
    expectClose(w, naive, 1e-12);
    await gradCheck((s) => softmax(s), [input([3, 4], 3, -3, 3)]);
    // The skip decoder, with respect to its latent and both (acted) skip maps.
    const decoder = new SkipDecoder({ imageSize: 8, channels: 1, widths: [2, 2, 4], skipChannels: [2, 2], latentSize: 3 }, rng);
    await gradCheck((z, s1, s2) => decoder.forward(z, [s1, s2]), [input([2, 3], 4), input([2, 2, 4, 4], 5), input([2, 2, 2, 2], 6)], { tol: 1e-5 });
    // And through ρ on the skips, with respect to the map (the angle is data).
    const maps = new ChannelAction(SO2, 4, 2);
    await gradCheck((f) => maps.act(T.tensor([0.3, -1.2], [2]), f), [input([2, 4, 2, 2], 7)]);
    maps.dispose();
  });
});

describeEachBackend('flow-action obeys the group laws exactly', () => {
  for (const group of [SO2, C4]) {
    test(`${group.kind}: D(e, x) = x, D(g₂, D(g₁, x)) = D(g₂g₁, x), D(g⁻¹, D(g, x)) = x`, async () => {
      const config: FlowActionConfig = { ...FLOW_ACTION_DEFAULTS, imageSize: 16, group, glow: { levels: 2, steps: 1, coupling: 'affine', hidden: 8 }, varying: 6 };
      const model = await FlowAction.create(config, new T.Rng(6));
      const x = T.tensor(randomValues(3 * 256, 7, 0.05, 0.95), [3, 1, 16, 16]);
      model.initializeFromData({ x, gx: x, g: T.zeros([3]) });
      let k = 700;
      for (const p of model.parameters().values()) T.assign(p, randomValues(p.size, k++, -0.1, 0.1));
      for (let i = 0; i < 3; i++) {
        const pivot = T.slice(x, 0, i, i + 1);
        const [z1, z2] = [elementsOf(group, 1, 10 + i).reshape([1, 1]), elementsOf(group, 1, 20 + i).reshape([1, 1])];
        const laws = T.noGrad(() => model.groupLaws(pivot, z1, z2));
        expect(await maxDifference(laws.identity, laws.input)).toBeLessThan(1e-4);
        expect(await maxDifference(laws.sequential, laws.combined)).toBeLessThan(1e-3);
        expect(await maxDifference(laws.roundTrip, laws.input)).toBeLessThan(1e-3);
      }
      // The swap keeps the invariant channels of one flow latent and the varying of the other, exactly.
      const [a, b] = [T.slice(x, 0, 0, 1), T.slice(x, 0, 1, 2)];
      const swapped = T.noGrad(() => model.swapParts(a, b));
      const [us, ua, ub] = T.noGrad(() => [swapped, a, b].map((t) => model.decoder.flowLatent(t)));
      const cut = model.action.invariant;
      expect(await maxDifference(T.slice(us, 1, 0, cut), T.slice(ua, 1, 0, cut))).toBeLessThan(1e-3);
      expect(await maxDifference(T.slice(us, 1, cut), T.slice(ub, 1, cut))).toBeLessThan(1e-3);
      expect(await maxDifference(T.noGrad(() => model.swapParts(a, a)), a)).toBeLessThan(1e-4);
      // Not trivially: a non-identity element changes the image.
      const moved = T.noGrad(() => model.prepare(T.slice(x, 0, 0, 1)).decode(T.tensor([group.kind === 'so2' ? 1.3 : 1], [1, 1])));
      expect(await maxDifference(moved, T.slice(x, 0, 0, 1))).toBeGreaterThan(1e-2);
      model.dispose();
    });
  }
});

// ---- learning on synthetic rotated bars ------------------------------------------------------

const SIZE = 16;

/** A bar through the centre at angle φ, of half-length `length` and half-width `width` (anti-aliased), in [0, 1]. */
function bar(phi: number, length: number, width: number): Float32Array {
  const out = new Float32Array(SIZE * SIZE);
  const c = (SIZE - 1) / 2;
  const [dx, dy] = [Math.cos(phi), Math.sin(phi)];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const [px, py] = [x - c, y - c];
      const along = Math.abs(px * dx + py * dy);
      const across = Math.abs(-px * dy + py * dx);
      out[y * SIZE + x] = Math.min(1, Math.max(0, 1 + Math.min(length - along, width - across)));
    }
  }
  return out;
}

/** Pairs (x, g·x) of bars: g rotates the bar (exactly, by drawing it again), the length and width stay. */
function barPairs(group: PlanarGroup, size: number, seed: number): GroupPairBatch {
  const u = randomValues(size * 4, seed, 0, 1);
  const x = new Float32Array(size * SIZE * SIZE);
  const gx = new Float32Array(size * SIZE * SIZE);
  const g = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const phi = u[4 * i] * Math.PI;
    g[i] = group.kind === 'so2' ? u[4 * i + 1] * 2 * Math.PI : Math.floor(u[4 * i + 1] * group.n);
    const theta = group.kind === 'so2' ? g[i] : (2 * Math.PI * g[i]) / group.n;
    const [length, width] = [3 + 4 * u[4 * i + 2], 0.8 + 1.2 * u[4 * i + 3]];
    x.set(bar(phi, length, width), i * SIZE * SIZE);
    gx.set(bar(phi + theta, length, width), i * SIZE * SIZE);
  }
  return { size, x, gx, g };
}

const TINY_LATENT: LatentActionConfig = { ...(configure('latent-action', 'tiny') as LatentActionConfig), imageSize: SIZE };
const TINY_FLOW: FlowActionConfig = { ...(configure('flow-action', 'tiny') as FlowActionConfig), imageSize: SIZE };

/**
 * Loss curve of `steps` steps on a fixed pool of 64 bar pairs, batches of 16 in turn, with the
 * reconstruction term's curve (D(g, x) against g·x) and, after training, the squared error per
 * image of D(g, x) and of x itself against g·x on the pool and on 64 held-out pairs.
 */
async function curve(config: LatentActionConfig | FlowActionConfig, steps: number, seed: number, lr: number) {
  const model: Model = await createModel(config, seed);
  const group = config.group as PlanarGroup;
  const pool = [0, 1, 2, 3].map((b) => barPairs(group, 16, 100 + b));
  const upload = (b: GroupPairBatch) => uploadPairs(b, [1, SIZE, SIZE], config.group);
  T.tidy(() => model.initializeFromData(upload(pool[0])));
  const optimizer = T.adam(model.parameters(), { lr, clipNorm: 1 });
  const rng = new T.Rng(seed + 1);
  const losses: number[] = [];
  const reconstruction: number[] = [];
  for (let step = 0; step < steps; step++) {
    const terms = T.tidy(() => trainStep(model, upload(pool[step % pool.length]), optimizer, rng));
    losses.push(await terms.loss.item());
    reconstruction.push(await terms.reconstruction.item());
    for (const t of Object.values(terms)) t.dispose();
  }
  const errors = async (b: GroupPairBatch) => {
    const p = await T.noGrad(() => T.tidy(() => T.sigmoid(model.predictLogits(upload(b))))).data();
    let [decoded, copied] = [0, 0];
    for (let i = 0; i < p.length; i++) [decoded, copied] = [decoded + (p[i] - b.gx[i]) ** 2, copied + (b.x[i] - b.gx[i]) ** 2];
    return { decoded: decoded / b.size, copied: copied / b.size };
  };
  const train = await errors(pool[0]);
  const heldOut = await errors(barPairs(group, 64, 999));
  optimizer.dispose();
  model.dispose();
  return { losses, reconstruction, train, heldOut };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

for (const [name, config, lr] of [
  ['latent-action', TINY_LATENT, 3e-3],
  ['flow-action', TINY_FLOW, 3e-3],
] as const) {
  test(`${name} lowers its loss clearly in 200 steps on rotated bars (cpu); same seed, same curve`, async () => {
    await T.withBackend(cpu, async () => {
      const { losses, reconstruction, train, heldOut } = await curve(config, 200, 0, lr);
      const [first, last] = [mean(losses.slice(0, 10)), mean(losses.slice(-10))];
      const [firstR, lastR] = [mean(reconstruction.slice(0, 10)), mean(reconstruction.slice(-10))];
      console.log(
        `${name}: loss ${first.toFixed(2)} → ${last.toFixed(2)}, reconstruction of g·x ${firstR.toFixed(2)} → ${lastR.toFixed(2)} (first / last 10 steps); ` +
          `squared error per image of D(g, x) | x against g·x: pool ${train.decoded.toFixed(2)} | ${train.copied.toFixed(2)}, held out ${heldOut.decoded.toFixed(2)} | ${heldOut.copied.toFixed(2)}`,
      );
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(last).toBeLessThan(0.6 * first);
      expect(lastR).toBeLessThan(0.6 * firstR);
      // It uses g: its output is nearer g·x than the input x is (held out for the latent model;
      // on the training pool for the flow, which overfits 64 pairs in 200 steps).
      if (name === 'latent-action') expect(heldOut.decoded).toBeLessThan(0.75 * heldOut.copied);
      else expect(train.decoded).toBeLessThan(0.75 * train.copied);
      const again = await curve(config, 5, 0, lr);
      expect(again.losses).toEqual(losses.slice(0, 5));
      const other = await curve(config, 5, 1, lr);
      expect(other.losses).not.toEqual(losses.slice(0, 5));
    });
  }, 600_000);
}

test('the trained-model operations work for a known g: D(g, x) through Inference', async () => {
  await T.withBackend(cpu, async () => {
    const model = await createModel(TINY_LATENT, 2);
    const pairs = barPairs(C4, 3, 9);
    const images = { shape: [1, SIZE, SIZE] as const, render: (indices: readonly number[]) => Float32Array.from(indices.flatMap((i) => Array.from(pairs.x.subarray(i * 256, (i + 1) * 256)))) };
    const inference = new Inference(model, images);
    expect(inference.codeDim).toBe(1);
    const decoded = await inference.decode(1, Float32Array.of(0, 2));
    const direct = await T.noGrad(() => T.sigmoid((model as LatentAction).transformLogits(T.tensor([0, 2], [2]), (model as LatentAction).encodeAll(T.tensor(pairs.x.subarray(256, 512), [1, 1, SIZE, SIZE]))))).data();
    expectClose(decoded, direct, 1e-6);
    const { z } = await inference.reconstruct(0, [0, 2]);
    expect(Array.from(z)).toEqual([0, 0]); // the identity element: x is what g acts on
    const laws = await inference.groupLaws(0, Float32Array.of(1), Float32Array.of(3));
    for (const e of [laws.identityError, laws.compositionError, laws.inverseError]) expect(Number.isFinite(e)).toBe(true);
    await expect(inference.transfer({ pivot: 0, varying: 1 }, [2])).rejects.toThrow(/latent-action model has no transformation to carry over/);
    // Swapping an image's parts with its own is its reconstruction at g = e; with another's, not.
    const same = await inference.swap([[1, 1]]);
    expectClose(same.aWithB, decoded.subarray(0, 256), 1e-6);
    const mixed = await inference.swap([[1, 2]]);
    expect(Math.max(...mixed.aWithB.map((v, i) => Math.abs(v - same.aWithB[i])))).toBeGreaterThan(1e-4);
    inference.dispose();
    model.dispose();
  });
});

test('bad input: groups and batches a model cannot take are refused with the reason', async () => {
  const base = { ...LATENT_ACTION_DEFAULTS };
  expect(() => parseModelConfig({ ...base, group: { kind: 'so4', frequencies: [1] } })).toThrow(/group\.kind must be one of so2, cyclic, so3, got "so4"/);
  expect(() => parseModelConfig({ ...base, group: { kind: 'so3', frequencies: [1] } })).toThrow(/config: missing group\.degrees/);
  expect(() => parseModelConfig({ ...base, group: { kind: 'cyclic', n: 1, frequencies: [1] } })).toThrow(/group\.n must be at least 2 .* got 1/);
  expect(() => parseModelConfig({ ...base, group: { kind: 'so2', frequencies: [1.5] } })).toThrow(/group\.frequencies must be a non-empty list of integers/);
  expect(() => parseModelConfig({ ...base, imageSize: 28 })).toThrow(/imageSize must be divisible by 8 for latent-action .* got 28/);
  expect(() => parseModelConfig({ ...FLOW_ACTION_DEFAULTS, varying: 7 })).toThrow(/varying must be an even number of flow-latent channels, at most C·4\^levels = 64, got 7/);
  expect(() => groupFromName('so4', [1])).toThrow(/group "so4" is not one of: so2, so3, c<n>/);
  expect(groupFromName('so3', [1])).toEqual({ kind: 'so3', degrees: [1, 1, 1, 2] });
  expect(groupFromName('c4', [1, 2])).toEqual({ kind: 'cyclic', n: 4, frequencies: [1, 2] });
  const pairs = barPairs(C4, 2, 3);
  expect(() => uploadPairs({ ...pairs, g: Float32Array.of(1, 0.5) }, [1, SIZE, SIZE], C4)).toThrow(/pair batch for C_4: g\[1\] = 0.5 is not an integer in \[0, 4\)/);
  expect(() => uploadPairs({ ...pairs, g: Float32Array.of(1, Number.NaN) }, [1, SIZE, SIZE], SO2)).toThrow(/g\[1\] = NaN is not a finite angle in radians/);
  expect(() => uploadPairs(pairs, [1, 32, 32], C4)).toThrow(/x holds 512 values, expected 2048 for 2 pairs of 1×32×32 images/);
  await T.withBackend(cpu, async () => {
    const model = await createModel(TINY_LATENT, 0);
    const dsprites = { pivot: null, varying: T.zeros([1, 1, SIZE, SIZE]) };
    expect(() => model.lossTerms(dsprites, new T.Rng(0))).toThrow(/latent-action trains on pairs \(x, g·x\) with a known g, not on dSprites images/);
    expect(() => model.encode(T.zeros([1, 1, 32, 32]))).toThrow(/latent-action: images must be \[N, 1, 16, 16\], got \[1, 1, 32, 32\]/);
    model.dispose();
  });
});
