// The data-space baselines of issue 24: Winter et al.'s model (an invariant embedding and a rotation
// ψ(x), the canonical image turned in pixel space) and rotate-x (no model: x's pixels turned by g).
// Winter's encoder is exactly invariant / equivariant under its orbit's quarter turns, so its
// data-space law and group laws hold to float rounding there; rotate-x is the data sets' own
// rotation bit for bit under C₄; atan2 (composed from core ops) matches Math.atan2 and its gradient.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { atan2, configure, createModel, openGroupDataset, parseModelConfig, evaluationSet, rotateImage, RotateX, trainStep, Winter, type GroupConfig, type WinterConfig } from '../index.ts';
import { cpu, describeEachBackend, reference, maxDifference } from '@maga/tensor/testing';
import { gradCheck, randomValues } from '@maga/tensor/testing';

const C4: GroupConfig = { kind: 'cyclic', n: 4, frequencies: [1] };
const SO2: GroupConfig = { kind: 'so2', frequencies: [1] };
const SIZE = 16;

const images = (n: number, seed: number) => T.tensor(randomValues(n * SIZE * SIZE, seed, 0, 1), [n, 1, SIZE, SIZE]);
const tinyWinter = (group: GroupConfig, seed = 1) => new Winter({ ...(configure('winter', 'tiny', { imageSize: SIZE, group }) as WinterConfig) }, new T.Rng(seed));
/** The angle a − b wrapped to (−π, π]. */
const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));

describeEachBackend('winter', () => {
  test('the orbit-averaged encoder: emb(R_{jπ/2}x) = emb(x), ψ(R_{jπ/2}x) = ψ(x) + jπ/2', async () => {
    const model = tinyWinter(C4);
    const x = images(2, 1);
    const code = model.encodeCode(x);
    const psi = await model.angle(code).data();
    for (const j of [1, 2, 3]) {
      const turned = T.rotate2d(x, T.full([2], Math.fround((j * Math.PI) / 2)));
      const other = model.encodeCode(turned);
      expect(await maxDifference(other.embedding, code.embedding)).toBeLessThan(1e-5);
      const psiTurned = await model.angle(other).data();
      for (let i = 0; i < 2; i++) expect(Math.abs(wrap(psiTurned[i] - psi[i] - (j * Math.PI) / 2))).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  test('the data-space law: D(g, x) = R_g·D(e, x) for quarter turns; group laws on images hold to float rounding there', async () => {
    const model = tinyWinter(C4);
    const x = images(1, 2);
    const batch = (j: number) => ({ x, gx: x, g: T.tensor([j]) });
    const atIdentity = model.predictPixels(batch(0));
    for (const j of [1, 2, 3]) {
      const turned = T.rotate2d(atIdentity, T.tensor([Math.fround((j * Math.PI) / 2)]));
      expect(await maxDifference(model.predictPixels(batch(j)), turned)).toBeLessThan(1e-5);
    }
    // Re-encoding D(g₁, x) = R_{g₁}·D(e, x) finds D(e, x)'s embedding and its ψ + g₁ (the encoder's
    // exact C₄ equivariance), so the laws hold against D(e, x) re-encoded: D(g₂, D(g₁, x)) =
    // D(g₂g₁, D(e, x)) and D(g₁⁻¹, D(g₁, x)) = D(e, D(e, x)).
    const laws = model.groupLaws(x, T.tensor([[1]]), T.tensor([[2]]));
    const again = model.encodeCode(atIdentity);
    expect(await maxDifference(laws.sequential, model.decodeWith(T.tensor([3]), again))).toBeLessThan(1e-4);
    expect(await maxDifference(laws.roundTrip, model.decodeWith(T.tensor([0]), again))).toBeLessThan(1e-4);
    // (Against x itself they are the autoencoder's error, not a law: an untrained model is far off.)
    expect(await maxDifference(laws.sequential, laws.combined)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  test('a continuous g turns the canonical image by θ + ψ(x): D(g, x) = rotate2d(canonical, θ + ψ)', async () => {
    const model = tinyWinter(SO2);
    const x = images(2, 3);
    const code = model.encodeCode(x);
    const theta = T.tensor([0.4, -1.7]);
    const expected = T.rotate2d(model.canonical(code), theta.add(model.angle(code)));
    expect(await maxDifference(model.predictPixels({ x, gx: x, g: theta }), expected)).toBeLessThan(1e-6);
    model.dispose();
  });
});

test('atan2 from core ops matches Math.atan2 in every quadrant and near the negative x axis; its gradient matches finite differences', async () => {
  await T.withBackend(reference, async () => {
    const points: [number, number][] = [[1, 0], [0, 1], [-1, 1e-3], [-1, -1e-3], [-2, 0.5], [0.3, -4], [-0.7, -0.7], [5, 5], [1e-4, 1]];
    for (let i = 0; i < 50; i++) points.push([Math.cos(i * 0.37) * (1 + i), Math.sin(i * 0.37) * (1 + i)]);
    const [x, y] = [T.tensor(points.map((p) => p[0])), T.tensor(points.map((p) => p[1]))];
    const got = await atan2(y, x).data64();
    points.forEach(([px, py], i) => expect(Math.abs(wrap(got[i] - Math.atan2(py, px)))).toBeLessThan(1e-7));
    await gradCheck((a, b) => atan2(a, b), [{ shape: [6], values: Float64Array.of(0.3, -0.8, 2.0, 0.01, -1.5, 0.7) }, { shape: [6], values: Float64Array.of(1.0, 0.4, -0.5, -2.0, -0.2, 3.0) }], { tol: 1e-6 });
  });
});

test('winter learns: ψ receives the loss’s gradient through the turn, and the loss falls on a fixed batch of turned blobs', async () => {
  await T.withBackend(cpu, async () => {
    const model = await createModel(configure('winter', 'tiny', { imageSize: SIZE, group: SO2 }), 0);
    const blob = (angle: number) => {
      const out = new Float32Array(SIZE * SIZE);
      for (let r = 0; r < SIZE; r++)
        for (let q = 0; q < SIZE; q++) {
          const [dx, dy] = [q + 0.5 - SIZE / 2, r + 0.5 - SIZE / 2];
          const [u, v] = [Math.cos(angle) * dx + Math.sin(angle) * dy, -Math.sin(angle) * dx + Math.cos(angle) * dy];
          out[r * SIZE + q] = Math.exp(-((u - 3) ** 2) / 2 - v ** 2 / 8);
        }
      return out;
    };
    const bases = [0.3, 1.4, 2.9, 4.4, 5.5, 0.9, 2.2, 3.7];
    const gs = [1.1, -0.6, 2.4, 0.2, -2.8, 1.9, -1.3, 0.7];
    const batch = {
      x: T.tensor(Float32Array.from(bases.flatMap((b) => [...blob(b)])), [8, 1, SIZE, SIZE]),
      gx: T.tensor(Float32Array.from(bases.flatMap((b, i) => [...blob(b + gs[i])])), [8, 1, SIZE, SIZE]),
      g: T.tensor(gs),
    };
    const rng = new T.Rng(0);
    // The head's direction outputs (its last two rows) get gradient only through ψ and the turn.
    const winter = model as Winter;
    const [grad] = T.grad(model.lossTerms(batch, rng).loss, [winter.head.weight]);
    const g = await grad.data();
    const [rows, cols] = winter.head.weight.shape;
    let direction = 0;
    for (let i = (rows - 2) * cols; i < rows * cols; i++) direction += Math.abs(g[i]);
    expect(direction).toBeGreaterThan(1e-3);
    const optimizer = T.adam(model.parameters(), { lr: 3e-3, clipNorm: 1 });
    const losses: number[] = [];
    for (let s = 0; s < 120; s++) {
      const terms = trainStep(model, batch, optimizer, rng);
      losses.push(await terms.loss.item());
      for (const t of Object.values(terms)) t.dispose();
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]);
    optimizer.dispose();
    model.dispose();
  });
}, 300_000);

describeEachBackend('rotate-x', () => {
  test('under C₄ it is the data set’s rotation of x bit for bit (rotation.ts’s rotateImage)', async () => {
    const model = new RotateX({ model: 'rotate-x', imageSize: 32, channels: 1, group: C4 });
    const values = Float32Array.from(randomValues(4 * 1024, 5, 0, 1));
    const out = await model.predictPixels({ x: T.tensor(values, [4, 1, 32, 32]), gx: T.zeros([4, 1, 32, 32]), g: T.tensor([0, 1, 2, 3]) }).data();
    for (let j = 0; j < 4; j++) {
      const expected = rotateImage(values.subarray(j * 1024, (j + 1) * 1024), 32, (2 * Math.PI * j) / 4);
      for (let i = 0; i < 1024; i++) expect(out[j * 1024 + i]).toBe(expected[i]);
    }
    expect(model.parameterCount()).toBe(0);
    // Its group laws are exact under C₄ (index permutations).
    const laws = model.groupLaws(T.tensor(values.subarray(0, 1024), [1, 1, 32, 32]), T.tensor([[1]]), T.tensor([[3]]));
    expect(await maxDifference(laws.sequential, laws.combined)).toBe(0);
    expect(await maxDifference(laws.roundTrip, laws.input)).toBe(0);
    expect(await maxDifference(laws.identity, laws.input)).toBe(0);
    model.dispose();
  });
});

test('rotate-x on rotated-mnist c4 pairs: the quarter turn of x, rendered by the data set at φ + jπ/2, differs from g·x only by float32 rounding', async () => {
  const data = await openGroupDataset('rotated-mnist', 'c4');
  const set = evaluationSet(data, { pairs: 16, seed: 0 });
  const host = data.renderPairs(set.specs);
  const model = new RotateX({ model: 'rotate-x', imageSize: 32, channels: 1, group: C4 });
  const out = await T.withBackend(cpu, () => model.predictPixels({ x: T.tensor(host.x, [16, 1, 32, 32]), gx: T.tensor(host.gx, [16, 1, 32, 32]), g: T.tensor(host.g) }).data());
  for (let j = 0; j < 16; j++) {
    const expected = rotateImage(host.x.subarray(j * 1024, (j + 1) * 1024), 32, (2 * Math.PI * host.g[j]) / 4);
    for (let i = 0; i < 1024; i++) expect(out[j * 1024 + i]).toBe(expected[i]);
  }
  let worst = 0;
  for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - host.gx[i]));
  expect(worst).toBeLessThan(1e-5);
  model.dispose();
});

test('bad configurations: winter and rotate-x take SO(2) and C_n only', () => {
  expect(() => parseModelConfig({ model: 'rotate-x', imageSize: 32, channels: 1, group: { kind: 'so3', degrees: [1] } })).toThrow(/rotate-x takes the groups so2 and cyclic/);
  expect(() => parseModelConfig({ model: 'winter', imageSize: 32, channels: 1, group: { kind: 'so3', degrees: [1] }, widths: [4, 4, 4], embedding: 4, orbit: 4 })).toThrow(/winter takes the groups so2 and cyclic/);
  expect(() => parseModelConfig({ model: 'winter', imageSize: 30, channels: 1, group: SO2, widths: [4, 4, 4], embedding: 4, orbit: 4 })).toThrow(/divisible by 8/);
  expect(() => parseModelConfig({ model: 'winter', imageSize: 32, channels: 1, group: SO2, widths: [4, 4], embedding: 4, orbit: 4 })).toThrow(/widths must be 3 integers/);
});
