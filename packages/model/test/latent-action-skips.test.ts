// Issue 24's properties of the latent-action model: the skip path cannot leak x (the decoder's
// input depends on g only through what g acts on), the 'spatial' skips move x's features where g
// moves them, a configuration's frequencies are the action's, and the relative equivariance term
// (and skip consistency) cannot be lowered by rescaling the encoder's output.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { LATENT_ACTION_DEFAULTS, LatentAction, SkipAction, parseModelConfig, squaredError, type GroupConfig, type LatentActionConfig, type LatentCode, type SkipMode } from '../index.ts';
import { cpu, describeEachBackend, maxDifference } from '@maga/tensor/testing';
import { randomValues } from '@maga/tensor/testing';

const SO2: GroupConfig = { kind: 'so2', frequencies: [1, 2, 3] };
const C4: GroupConfig = { kind: 'cyclic', n: 4, frequencies: [1, 2, 3] };
const SIZE = 16;

function tinyModel(group: GroupConfig, skips: SkipMode, seed = 1, extra: Partial<LatentActionConfig> = {}): LatentAction {
  return new LatentAction({ ...LATENT_ACTION_DEFAULTS, imageSize: SIZE, widths: [4, 8, 8], headDim: 4, invariant: 3, blocks: 3, group, skips, ...extra }, new T.Rng(seed));
}

/** The code with everything g acts on set to 0: the latent's varying part, each skip map's acted channels. */
function varyingZeroed(model: LatentAction, code: LatentCode): LatentCode {
  const zeroAfter = (t: T.Tensor, keep: number) => T.concat([T.slice(t, 1, 0, keep), T.zerosLike(T.slice(t, 1, keep))], 1);
  return { z: zeroAfter(code.z, model.config.invariant), skips: code.skips.map((s, i) => zeroAfter(s, model.skipActions[i].invariant)) };
}

const images = (n: number, seed: number) => T.tensor(randomValues(n * SIZE * SIZE, seed, 0, 1), [n, 1, SIZE, SIZE]);
const elementsOf = (group: GroupConfig, values: number[]) => T.tensor(group.kind === 'cyclic' ? values.map((v) => Math.abs(Math.round(v * 10)) % group.n) : values, [values.length]);

describeEachBackend('latent-action skips', () => {
  for (const group of [SO2, C4]) {
    for (const mode of ['channels', 'invariant', 'spatial', 'none'] as const) {
      test(`${group.kind}, skips ${mode}: with the varying parts zeroed, D(g, x) = D(e, x) for every g (nothing of x bypasses the action)`, async () => {
        const model = tinyModel(group, mode);
        const code = model.encodeAll(images(3, 2));
        const still = varyingZeroed(model, code);
        const e = model.action.identity(3);
        const atIdentity = model.transformLogits(e, still);
        for (const values of [[0.7, -2.1, 3.0], [1.3, 0.2, -0.9]]) {
          const g = elementsOf(group, values);
          expect(await maxDifference(model.transformLogits(g, still), atIdentity)).toBeLessThan(1e-6);
          // The property can fail: with the varying parts in place, g changes the output.
          expect(await maxDifference(model.transformLogits(g, code), model.transformLogits(e, code))).toBeGreaterThan(1e-4);
        }
        model.dispose();
      });
    }
  }

  test("C4, skips 'spatial': the acted skip maps are the maps' varying channels turned by j quarter turns, bit for bit, the invariant channels untouched", async () => {
    const model = tinyModel(C4, 'spatial');
    const code = model.encodeAll(images(4, 3));
    const g = T.tensor([0, 1, 2, 3]);
    const acted = model.act(g, code);
    for (let m = 0; m < 2; m++) {
      const map = code.skips[m];
      const [n, c, h, w] = map.shape;
      const inv = model.skipActions[m].invariant;
      const [before, after] = [await map.data(), await acted.skips[m].data()];
      for (let s = 0; s < n; s++) {
        for (let ch = 0; ch < c; ch++) {
          for (let r = 0; r < h; r++) {
            for (let q = 0; q < w; q++) {
              // j counter-clockwise quarter turns: (r, q) shows the source at R_{−jπ/2}.
              let [sr, sq] = [r, q];
              if (ch >= inv) for (let t = 0; t < s; t++) [sr, sq] = [sq, w - 1 - sr];
              expect(after[((s * c + ch) * h + r) * w + q]).toBe(before[((s * c + ch) * h + sr) * w + sq]);
            }
          }
        }
      }
    }
    model.dispose();
  });

  test("SO(2), skips 'spatial': the acted maps' varying channels are rotate2d of the maps by θ", async () => {
    const model = tinyModel(SO2, 'spatial');
    const code = model.encodeAll(images(2, 4));
    const theta = T.tensor([0.6, -2.2]);
    const acted = model.act(theta, code);
    const inv = model.skipActions[0].invariant;
    expect(await maxDifference(T.slice(acted.skips[0], 1, inv), T.rotate2d(T.slice(code.skips[0], 1, inv), theta))).toBe(0);
    expect(await maxDifference(T.slice(acted.skips[0], 1, 0, inv), T.slice(code.skips[0], 1, 0, inv))).toBe(0);
    model.dispose();
  });
});

test("a configuration's frequencies are the action's: block b of the latent (and channel pair b of a 'channels' skip map) turns by k_b·θ", async () => {
  await T.withBackend(cpu, async () => {
    for (const frequencies of [[1, 2, 3], [1, 2, 3, 4], [2, 5]]) {
      const model = tinyModel({ kind: 'so2', frequencies }, 'channels', 1, { blocks: 5 });
      const theta = 0.37;
      const size = model.latentSize;
      for (let b = 0; b < 5; b++) {
        const u = new Float32Array(size);
        u[3 + 2 * b] = 1; // the first coordinate of block b
        const moved = await model.action.act(T.tensor([theta]), T.tensor(u, [1, size])).data();
        const k = frequencies[b % frequencies.length];
        expect(moved[3 + 2 * b]).toBeCloseTo(Math.cos(k * theta), 6);
        expect(moved[3 + 2 * b + 1]).toBeCloseTo(Math.sin(k * theta), 6);
      }
      // The skip map's channel pairs cycle through the same list.
      const skip = new SkipAction({ kind: 'so2', frequencies }, 'channels', 12);
      for (let b = 0; b < 3; b++) {
        const map = new Float32Array(12);
        map[6 + 2 * b] = 1;
        const moved = await skip.act(T.tensor([theta]), T.tensor(map, [1, 12, 1, 1])).data();
        const k = frequencies[b % frequencies.length];
        expect(moved[6 + 2 * b]).toBeCloseTo(Math.cos(k * theta), 6);
        expect(moved[6 + 2 * b + 1]).toBeCloseTo(Math.sin(k * theta), 6);
      }
      skip.dispose();
      model.dispose();
    }
  });
});

test('the relative equivariance term is unchanged when the encoder rescales z (the absolute one scales by c²); so is the skip consistency', async () => {
  await T.withBackend(cpu, async () => {
    for (const scale of ['relative', 'absolute'] as const) {
      const model = tinyModel(SO2, 'spatial', 5, { equivarianceScale: scale, betaSkip: 1 });
      const batch = { x: images(4, 6), gx: images(4, 7), g: T.tensor([0.3, 1.9, -2.5, 4.0]) };
      const before = await model.lossTerms(batch).equivariance.item();
      // z = toLatent(·): scaling its weight and bias by c scales z(x) and z(g·x) by c.
      const c = 3;
      for (const p of [model.toLatent.weight, model.toLatent.bias!]) T.assign(p, (await p.data()).map((v) => v * c));
      const after = await model.lossTerms(batch).equivariance.item();
      if (scale === 'relative') expect(Math.abs(after / before - 1)).toBeLessThan(1e-5);
      else expect(after / before).toBeCloseTo(c * c, 4);
      model.dispose();
    }
    // The helper itself: relative error is invariant to a common scale, absolute is not.
    const [a, b] = [T.tensor(randomValues(24, 8), [2, 3, 2, 2]), T.tensor(randomValues(24, 9), [2, 3, 2, 2])];
    const r = await squaredError(a, b, true).item();
    expect(Math.abs((await squaredError(a.mul(7), b.mul(7), true).item()) / r - 1)).toBeLessThan(1e-5);
    expect((await squaredError(a.mul(7), b.mul(7), false).item()) / (await squaredError(a, b, false).item())).toBeCloseTo(49, 3);
  });
});

test('the skip consistency is 0 where the encoder is exactly equivariant, and enters the loss with its weight', async () => {
  await T.withBackend(cpu, async () => {
    // g = e: ρ(e)·s(x) = s(x) = s(e·x) for every mode, so every consistency term vanishes.
    for (const mode of ['channels', 'invariant', 'spatial'] as const) {
      const model = tinyModel(C4, mode, 2, { betaSkip: 2 });
      const x = images(3, 10);
      const terms = model.lossTerms({ x, gx: x, g: T.tensor([0, 0, 0]) });
      expect(await terms.skipConsistency.item()).toBeLessThan(1e-10);
      const moved = model.lossTerms({ x, gx: images(3, 11), g: T.tensor([1, 2, 3]) });
      const [loss, rec, id, eq, skip] = await Promise.all(['loss', 'reconstruction', 'identity', 'equivariance', 'skipConsistency'].map((k) => moved[k].item()));
      expect(skip).toBeGreaterThan(0);
      expect(loss).toBeCloseTo(rec + id + eq + 2 * skip, 2);
      model.dispose();
    }
  });
});

test('configurations: skips take the four modes (and the booleans of runs written before them); spatial is refused for SO(3)', () => {
  const base = { ...LATENT_ACTION_DEFAULTS };
  expect((parseModelConfig({ ...base, skips: true }) as LatentActionConfig).skips).toBe('channels');
  expect((parseModelConfig({ ...base, skips: false }) as LatentActionConfig).skips).toBe('none');
  expect((parseModelConfig({ ...base, skips: 'spatial' }) as LatentActionConfig).skips).toBe('spatial');
  expect(() => parseModelConfig({ ...base, skips: 'sideways' })).toThrow(/skips must be one of none, channels, invariant, spatial, got "sideways"/);
  expect(() => parseModelConfig({ ...base, skips: 'spatial', group: { kind: 'so3', degrees: [1] } })).toThrow(/skips 'spatial' .* SO\(3\)/);
  // Older runs have neither field: the absolute term, no skip consistency.
  const { equivarianceScale: _s, betaSkip: _b, ...old } = base;
  expect(parseModelConfig(old)).toMatchObject({ equivarianceScale: 'absolute', betaSkip: 0 });
  expect(() => parseModelConfig({ ...base, equivarianceScale: 'loose' })).toThrow(/equivarianceScale must be one of relative, absolute/);
  expect(() => parseModelConfig({ ...base, betaSkip: -1 })).toThrow(/betaSkip must be a non-negative number, got -1/);
});
