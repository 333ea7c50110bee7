// The SO(3) action on latents: a representation (ρ(q₂)ρ(q₁) = ρ(q₂q₁), ρ(e) = I, ρ(q⁻¹) = ρ(q)ᵀ) on
// random rotations, checked against float64 host references: the ℓ = 1 block against the quaternion's
// rotation matrix, the ℓ = 2 block against degree-2 harmonics evaluated at rotated points; the
// invariant part untouched; bad quaternions refused with the value named.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { DEGREE2_BASIS, SO3Action, quaternion } from '../index.ts';
import { describeEachBackend, gradCheck, input, maxDifference, randomValues, reference } from '@maga/tensor/testing';
import { UniformStream } from '../src/data/random.ts';
import { randomQuaternions } from './fixtures/quaternions.ts';


const layout = { invariant: 2, vectors: 2, tensors: 2 };
const N = 6;

describeEachBackend('SO(3) representation (ℓ = 1 and ℓ = 2)', () => {
  test('ρ(q₂)ρ(q₁) = ρ(q₂q₁), ρ(e) = I, ρ(q⁻¹) = ρ(q)ᵀ, and act agrees with ρ', async () => {
    const so3 = new SO3Action(layout);
    expect(so3.size).toBe(2 + 6 + 10);
    const [q1, q2] = [so3.elements(randomQuaternions(N, 1)), so3.elements(randomQuaternions(N, 2))];
    const product = T.matmul(so3.representation(q2), so3.representation(q1));
    expect(await maxDifference(product, so3.representation(so3.compose(q2, q1)))).toBeLessThan(1e-5);
    expect(await maxDifference(so3.representation(so3.identity(N)), T.broadcastTo(T.eye(so3.size), [N, so3.size, so3.size]))).toBeLessThan(1e-6);
    expect(await maxDifference(so3.representation(so3.inverse(q1)), T.transpose(so3.representation(q1)))).toBeLessThan(1e-5);
    // q and −q are one rotation.
    expect(await maxDifference(so3.representation(q1.neg()), so3.representation(q1))).toBeLessThan(1e-6);
    const u = T.tensor(randomValues(N * so3.size, 3), [N, so3.size]);
    const viaMatrix = T.reshape(T.matmul(so3.representation(q1), T.reshape(u, [N, so3.size, 1])), [N, so3.size]);
    expect(await maxDifference(so3.act(q1, u), viaMatrix)).toBeLessThan(1e-5);
    // Not the identity: the rotations move the varying part.
    expect(await maxDifference(so3.act(q1, u), u)).toBeGreaterThan(0.1);
    so3.dispose();
  });

  test('the ℓ = 1 block is R(q) and the ℓ = 2 block is the degree-2 harmonics rotated: y(R·x) = D²(R)·y(x)', async () => {
    const so3 = new SO3Action({ invariant: 0, vectors: 1, tensors: 1 });
    const values = randomQuaternions(N, 7);
    const rho = await so3.representation(so3.elements(values)).data();
    const points = randomValues(3 * 5, 8);
    const harmonics = (x: number[]) => DEGREE2_BASIS.map((b) => x.reduce((acc, xi, i) => acc + x.reduce((inner, xj, j) => inner + xi * b[3 * i + j] * xj, 0), 0));
    for (let n = 0; n < N; n++) {
      const q = values.slice(4 * n, 4 * n + 4) as unknown as quaternion.Quaternion;
      const r = quaternion.toMatrix(q);
      const block = (row: number, col: number) => rho[n * 64 + row * 8 + col];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(block(i, j) - r[3 * i + j])).toBeLessThan(1e-5);
      // Off-diagonal blocks are zero: the degrees do not mix.
      for (let i = 0; i < 3; i++) for (let j = 3; j < 8; j++) expect(Math.abs(block(i, j)) + Math.abs(block(j, i))).toBeLessThan(1e-6);
      for (let p = 0; p < 5; p++) {
        const x = [points[3 * p], points[3 * p + 1], points[3 * p + 2]];
        const rx = [0, 1, 2].map((i) => r[3 * i] * x[0] + r[3 * i + 1] * x[1] + r[3 * i + 2] * x[2]);
        const [before, after] = [harmonics(x), harmonics(rx)];
        for (let m = 0; m < 5; m++) {
          const predicted = before.reduce((acc, y, k) => acc + block(3 + m, 3 + k) * y, 0);
          expect(Math.abs(predicted - after[m])).toBeLessThan(1e-5);
        }
      }
    }
    so3.dispose();
  });

  test('the invariant part is untouched, norms are kept, and one element broadcasts over a batch', async () => {
    const so3 = new SO3Action(layout);
    const u = T.tensor(randomValues(N * so3.size, 4), [N, so3.size]);
    const one = so3.elements(randomQuaternions(1, 5));
    const moved = await so3.act(one, u).data();
    const original = await u.data();
    const each = await so3.act(so3.elements(Array.from({ length: N }, () => randomQuaternions(1, 5)).flat()), u).data();
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < 2; i++) expect(moved[n * so3.size + i]).toBe(original[n * so3.size + i]);
      for (const [start, width] of [[2, 3], [5, 3], [8, 5], [13, 5]]) {
        const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from({ length: width }, (_, k) => v[n * so3.size + start + k]));
        expect(Math.abs(norm(moved) - norm(original))).toBeLessThan(1e-5);
      }
    }
    for (let i = 0; i < moved.length; i++) expect(Math.abs(moved[i] - each[i])).toBeLessThan(1e-6);
    so3.dispose();
  });

  test("R(q) for q = (cos θ/2, sin θ/2·n) is the rotation by θ about n, in Rodrigues' form cos θ·I + sin θ·[n]ₓ + (1 − cos θ)·n·nᵀ", async () => {
    const so3 = new SO3Action({ invariant: 0, vectors: 1 });
    const axes = randomValues(3 * N, 31);
    const angles = randomValues(N, 32, -Math.PI, Math.PI);
    const q: number[] = [];
    const expected: number[] = [];
    for (let k = 0; k < N; k++) {
      const length = Math.hypot(axes[3 * k], axes[3 * k + 1], axes[3 * k + 2]);
      const [x, y, z] = [axes[3 * k] / length, axes[3 * k + 1] / length, axes[3 * k + 2] / length];
      const [c, s] = [Math.cos(angles[k]), Math.sin(angles[k])];
      q.push(Math.cos(angles[k] / 2), ...[x, y, z].map((v) => v * Math.sin(angles[k] / 2)));
      const cross = [0, -z, y, z, 0, -x, -y, x, 0];
      const n = [x, y, z];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expected.push((i === j ? c : 0) + s * cross[3 * i + j] + (1 - c) * n[i] * n[j]);
      // The host conversion too.
      const host = quaternion.toMatrix(quaternion.fromAxisAngle([x, y, z], angles[k]));
      for (let i = 0; i < 9; i++) expect(Math.abs(host[i] - expected[9 * k + i])).toBeLessThan(1e-12);
    }
    const matrices = await so3.rotationMatrix(so3.elements(q)).data64();
    for (let i = 0; i < expected.length; i++) expect(Math.abs(matrices[i] - expected[i])).toBeLessThan(1e-5);
    // The ℓ = 1 block of ρ is that matrix: act moves e₁ to its first column.
    const moved = await so3.act(so3.elements(q), T.tensor(Array.from({ length: N }, () => [1, 0, 0]).flat(), [N, 3])).data64();
    for (let k = 0; k < N; k++) for (let i = 0; i < 3; i++) expect(Math.abs(moved[3 * k + i] - expected[9 * k + 3 * i])).toBeLessThan(1e-5);
    so3.dispose();
  });

  test('bad quaternions, elements and layouts are refused, naming the value', () => {
    const so3 = new SO3Action(layout);
    expect(() => so3.elements([1, 0, 0, 0, 0.5, 0.5, 0.5, 0])).toThrow(/quaternion 1 = \(0\.5, 0\.5, 0\.5, 0\) has norm 0\.866/);
    expect(() => so3.elements([NaN, 0, 0, 1])).toThrow(/quaternion 0 = \(NaN, 0, 0, 1\) is not finite/);
    expect(() => so3.elements([1, 0, 0, Infinity])).toThrow(/is not finite/);
    expect(() => so3.elements([1, 0, 0])).toThrow(/4 numbers \(w, x, y, z\) each, got 3/);
    expect(() => so3.act(T.zeros([2, 3]), T.zeros([2, so3.size]))).toThrow(/unit quaternions \[N, 4\]/);
    expect(() => so3.act(so3.identity(2), T.zeros([2, 5]))).toThrow(/latent must be \[N, 18\]/);
    expect(() => so3.act(so3.identity(2), T.zeros([3, so3.size]))).toThrow(/2 elements cannot act on 3 latents/);
    expect(() => new SO3Action({ invariant: 1, vectors: 0 })).toThrow(/varying part is empty/);
    expect(() => new SO3Action({ invariant: -1, vectors: 1 })).toThrow(/invariant must be a non-negative integer, got -1/);
    so3.dispose();
  });
});

test('act differentiates in the latent and in the quaternion (finite differences, float64)', async () => {
  // Its constants live on the float64 reference backend, where gradCheck runs.
  const so3 = T.withBackend(reference, () => new SO3Action({ invariant: 1, vectors: 1, tensors: 1 }));
  const q = randomQuaternions(2, 11);
  const error = await gradCheck((g, u) => so3.act(g, u), [{ shape: [2, 4], values: Float64Array.from(q) }, input([2, so3.size], 12)]);
  expect(error).toBeLessThan(1e-6);
  so3.dispose();
});

test('host quaternions: the Hamilton product matches matrix products, Euler angles round-trip, random rotations are unit', () => {
  const { multiply, toMatrix, toEuler, fromEuler, randomRotation, conjugate, rotationAngle } = quaternion;
  const q = randomQuaternions(20, 21);
  for (let i = 0; i < 10; i++) {
    const a = q.slice(8 * i, 8 * i + 4) as unknown as quaternion.Quaternion;
    const b = q.slice(8 * i + 4, 8 * i + 8) as unknown as quaternion.Quaternion;
    const [ma, mb, mab] = [toMatrix(a), toMatrix(b), toMatrix(multiply(a, b))];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(Math.abs(mab[3 * r + c] - (ma[3 * r] * mb[c] + ma[3 * r + 1] * mb[3 + c] + ma[3 * r + 2] * mb[6 + c]))).toBeLessThan(1e-12);
    const back = toMatrix(fromEuler(toEuler(a)));
    for (let k = 0; k < 9; k++) expect(Math.abs(back[k] - ma[k])).toBeLessThan(1e-9);
    expect(rotationAngle(multiply(a, conjugate(a)))).toBeLessThan(1e-7);
  }
  for (let i = 0; i < 50; i++) {
    const r = randomRotation(new UniformStream(3, i));
    expect(Math.abs(Math.hypot(...r) - 1)).toBeLessThan(1e-12);
    expect(r[0]).toBeGreaterThanOrEqual(0);
  }
});
