// The SO(3) group in the models (issue 12): the group configuration { kind: 'so3', degrees }, its
// elements (unit quaternions [N, 4], elementSize 4), the channel action on skip maps (ℓ = 1 triples
// of channels rotated by R at every position, checked against a float64 host loop), and the
// latent-action model built on it: codes, decoding, the group laws in the latent, training steps
// that lower the loss, and the errors for what it cannot take.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import {
  ChannelAction,
  LATENT_ACTION_DEFAULTS,
  checkElements,
  configure,
  createModel,
  elementSize,
  elements,
  parseGroup,
  parseModelConfig,
  quaternion,
  trainStep,
  uploadPairs,
  varyingSize,
  vectorAction,
  FLOW_ACTION_DEFAULTS,
  type GroupConfig,
  type GroupPairBatch,
  type LatentActionConfig,
} from '../index.ts';
import { cpu, describeEachBackend, maxDifference, randomValues } from '@maga/tensor/testing';
import { randomQuaternions as unitQuaternions } from './fixtures/quaternions.ts';

const SO3: GroupConfig = { kind: 'so3', degrees: [1, 1, 2] };

/** Unit quaternions rounded to float32, as the tensors hold them. */
const randomQuaternions = (n: number, seed: number) => unitQuaternions(n, seed, { float32: true });

test('the so3 group configuration: degrees per block, element size 4, varying sizes 2ℓ + 1', () => {
  expect(parseGroup({ kind: 'so3', degrees: [1, 2] })).toEqual({ kind: 'so3', degrees: [1, 2] });
  expect(() => parseGroup({ kind: 'so3', degrees: [1, 3] })).toThrow(/group\.degrees must each be 1 or 2 .* got 3 in \[1,3\]/);
  expect(() => parseGroup({ kind: 'so3', degrees: [] })).toThrow(/group\.degrees must be a non-empty list/);
  expect(elementSize(SO3)).toBe(4);
  expect(elementSize({ kind: 'so2', frequencies: [1] })).toBe(1);
  // Degrees cycle over the blocks: 1, 1, 2, 1, 1 → 3 + 3 + 5 + 3 + 3.
  expect(varyingSize(SO3, 5)).toBe(17);
  expect(varyingSize({ kind: 'cyclic', n: 4, frequencies: [1, 2] }, 5)).toBe(10);
  T.withBackend(cpu, () => {
    const action = vectorAction(SO3, 4, 5);
    expect(action.size).toBe(4 + 17);
    action.dispose();
  });
  // flow-action's flow channels come in 2-D blocks: SO(3) is refused, naming why.
  expect(() => parseModelConfig({ ...FLOW_ACTION_DEFAULTS, group: SO3 })).toThrow(/flow-action takes the groups so2 and cyclic, not so3/);
});

test('bad elements: a quaternion that is not unit or not finite is refused, naming the element and its value', () => {
  expect(() => checkElements(SO3, [1, 0, 0, 0, 0.5, 0.5, 0.5, 0], 'batch')).toThrow(/batch: quaternion 1 = \(0\.5, 0\.5, 0\.5, 0\) has norm 0\.866\d*, not 1/);
  expect(() => checkElements(SO3, [1, 0, 0, 0, NaN, 0, 0, 1], 'batch')).toThrow(/batch: quaternion 1 = \(NaN, 0, 0, 1\) is not finite/);
  expect(() => checkElements(SO3, [1, 0, 0], 'batch')).toThrow(/4 numbers \(w, x, y, z\) each, got 3/);
  expect(() => checkElements(SO3, [Math.SQRT1_2, 0, Math.SQRT1_2, 0], 'batch')).not.toThrow();
  const size = 2;
  const batch: GroupPairBatch = { size, x: new Float32Array(size * 3 * 8 * 8), gx: new Float32Array(size * 3 * 8 * 8), g: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0) };
  T.withBackend(cpu, () => {
    const up = uploadPairs(batch, [3, 8, 8], SO3);
    expect(up.g.shape).toEqual([2, 4]);
    expect(() => uploadPairs({ ...batch, g: Float32Array.of(1, 0, 0, 0) }, [3, 8, 8], SO3)).toThrow(/pair batch: g holds 4 values, expected 8 for 2 pairs of 4 numbers per SO\(3\) element/);
    expect(() => uploadPairs({ ...batch, g: Float32Array.of(1, 0, 0, 0, 2, 0, 0, 0) }, [3, 8, 8], SO3)).toThrow(/pair batch for SO\(3\): quaternion 1 = \(2, 0, 0, 0\) has norm 2, not 1/);
    expect(() => elements(SO3, T.zeros([2, 1]))).toThrow(/SO\(3\) elements must be \[N, 4\] \(a unit quaternion \(w, x, y, z\) per element\), got \[2, 1\]/);
    expect(() => elements({ kind: 'so2', frequencies: [1] }, T.zeros([2, 4]))).toThrow(/SO\(2\) elements must be \[N, 1\]/);
  });
});

describeEachBackend('SO(3) on skip maps: ℓ = 1 triples of channels rotated by R at every position', () => {
  test('a homomorphism, invariant channels untouched, and each position rotated as a float64 host loop rotates it', async () => {
    const [n, c, h, w] = [3, 11, 2, 3]; // 11 channels: 5 invariant, two 3-vectors
    const invariant = ChannelAction.split(SO3, 12) - 1; // split(12) = 6: check the rule, then use 5 of 11
    expect(ChannelAction.split(SO3, 12)).toBe(6);
    expect(ChannelAction.split(SO3, 8)).toBe(5);
    expect(ChannelAction.split({ kind: 'so2', frequencies: [1] }, 8)).toBe(4);
    const maps = new ChannelAction(SO3, c, invariant);
    const values = randomValues(n * c * h * w, 7);
    const f = T.tensor(values, [n, c, h, w]);
    const [q1, q2] = [randomQuaternions(n, 1), randomQuaternions(n, 2)];
    const [g1, g2] = [T.tensor(q1, [n, 4]), T.tensor(q2, [n, 4])];
    expect(await maxDifference(maps.act(g2, maps.act(g1, f)), maps.act(maps.compose(g2, g1), f))).toBeLessThan(1e-5);
    expect(await maxDifference(maps.act(maps.inverse(g1), maps.act(g1, f)), f)).toBeLessThan(1e-5);
    expect(await maxDifference(maps.act(maps.identity(n), f), f)).toBeLessThan(1e-6);
    const acted = maps.act(g1, f);
    const out = await acted.data();
    // The reference: for each sample, each 3-vector v of channels (5 + 3k .. 7 + 3k) at each position, R·v in float64.
    const expected = Float64Array.from(values);
    for (let s = 0; s < n; s++) {
      const r = quaternion.toMatrix([q1[4 * s], q1[4 * s + 1], q1[4 * s + 2], q1[4 * s + 3]]);
      for (let k = 0; k < 2; k++) {
        for (let p = 0; p < h * w; p++) {
          const at = (i: number) => ((s * c + invariant + 3 * k + i) * h * w) + p;
          const v = [values[at(0)], values[at(1)], values[at(2)]];
          for (let i = 0; i < 3; i++) expected[at(i)] = r[3 * i] * v[0] + r[3 * i + 1] * v[1] + r[3 * i + 2] * v[2];
        }
      }
    }
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(await maxDifference(T.slice(acted, 1, 0, invariant), T.slice(f, 1, 0, invariant))).toBe(0);
    expect(await maxDifference(acted, f)).toBeGreaterThan(1e-2);
    // One element broadcasts over the batch.
    const one = T.tensor(q1.slice(0, 4), [1, 4]);
    const each = T.tensor(Array.from({ length: n }, () => q1.slice(0, 4)).flat(), [n, 4]);
    expect(await maxDifference(maps.act(one, f), maps.act(each, f))).toBeLessThan(1e-6);
    expect(() => maps.act(T.zeros([n]), f)).toThrow(/SO\(3\) elements must be unit quaternions \[3 or 1, 4\], got \[3\]/);
    expect(() => new ChannelAction(SO3, 8, 4)).toThrow(/8 channels with 4 invariant leave 4 varying, which must be a positive multiple of 3 for SO\(3\)/);
    maps.dispose();
  });
});

const TINY: LatentActionConfig = { ...LATENT_ACTION_DEFAULTS, imageSize: 16, channels: 3, group: SO3, widths: [8, 8, 16], headDim: 8, invariant: 6, blocks: 3 };

/** Colour pairs with a known rotation: a blob of three colours at the projection of three points rotated by g. */
function blobPairs(size: number, seed: number): GroupPairBatch {
  const S = 16;
  const u = randomValues(size * 4, seed, 0, 1);
  const g = Float32Array.from(randomQuaternions(size, seed + 1));
  const x = new Float32Array(size * 3 * S * S);
  const gx = new Float32Array(size * 3 * S * S);
  const points: [number, number, number][] = [[0.6, 0, 0], [0, 0.6, 0], [0, 0, 0.6]];
  const paint = (into: Float32Array, offset: number, r: Float64Array) => {
    points.forEach((p, ch) => {
      const [px, py] = [r[0] * p[0] + r[1] * p[1] + r[2] * p[2], r[3] * p[0] + r[4] * p[1] + r[5] * p[2]];
      for (let y = 0; y < S; y++) for (let xx = 0; xx < S; xx++) {
        const [cx, cy] = [(xx + 0.5) / S * 2 - 1, 1 - (y + 0.5) / S * 2];
        into[offset + ch * S * S + y * S + xx] = Math.exp(-((cx - px) ** 2 + (cy - py) ** 2) / 0.05);
      }
    });
  };
  for (let i = 0; i < size; i++) {
    const base = quaternion.randomRotation({ next: (() => { let k = 0; return () => u[4 * i + (k++ % 4)]; })() } as never);
    const q: quaternion.Quaternion = [g[4 * i], g[4 * i + 1], g[4 * i + 2], g[4 * i + 3]];
    paint(x, i * 3 * S * S, quaternion.toMatrix(base));
    paint(gx, i * 3 * S * S, quaternion.toMatrix(quaternion.multiply(q, base)));
  }
  return { size, x, gx, g };
}

describeEachBackend('latent-action under SO(3) on colour images', () => {
  test('codes are identity quaternions; D(e) = the prepared decode of the identity; the latent action obeys the laws; training lowers the loss', async () => {
    const model = await createModel(TINY, 3);
    expect(model.codeDim).toBe(4);
    expect(model.latentParts!()).toEqual({ invariant: 6, varying: 3 + 3 + 5 });
    const batch = blobPairs(4, 11);
    const up = uploadPairs(batch, [3, 16, 16], SO3);
    const code = model.code(up.x, null);
    expect(code.shape).toEqual([4, 4]);
    expect(Array.from(await code.data())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    const prepared = model.prepare(up.x);
    const atIdentity = prepared.decode(code);
    expect(atIdentity.shape).toEqual([4, 3, 16, 16]);
    const laws = model.groupLaws!(up.x, up.g, T.tensor(randomQuaternions(4, 5), [4, 4]));
    expect(await maxDifference(laws.identity.broadcastTo([4, 3, 16, 16]), atIdentity)).toBeLessThan(1e-5);
    const moved = prepared.decode(up.g);
    expect(await maxDifference(moved, atIdentity)).toBeGreaterThan(1e-4); // g reaches the decoder
    prepared.dispose();
    // Training on a fixed batch lowers the loss, all terms finite.
    const optimizer = T.adam(model.parameters(), { lr: 3e-3, clipNorm: 1 });
    const rng = new T.Rng(0);
    const losses: number[] = [];
    for (let step = 0; step < 12; step++) {
      const terms = T.tidy(() => trainStep(model, uploadPairs(batch, [3, 16, 16], SO3), optimizer, rng));
      for (const t of Object.values(terms)) expect(Number.isFinite(await t.item())).toBe(true);
      losses.push(await terms.loss.item());
      for (const t of Object.values(terms)) t.dispose();
    }
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.9);
    optimizer.dispose();
    model.dispose();
  });

  test('configure: the registry sizes take the so3 group, codeDim 4 from the config alone', () => {
    const config = configure('latent-action', 'tiny', { group: SO3, imageSize: 64, channels: 3 }) as LatentActionConfig;
    expect(config).toMatchObject({ imageSize: 64, channels: 3, group: SO3 });
  });
});
