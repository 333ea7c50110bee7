// Glow: exact inverse, log-determinant against a brute-force Jacobian, layer gradients.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { ActNorm, Coupling, FlowStep, Glow, InvConv1x1, type CouplingKind } from '../index.ts';
import { describeEachBackend, gradCheck, input, maxDifference, randomValues, reference } from '@maga/tensor/testing';

/** Moves every parameter away from its (identity-like) initialisation, so inverses are really tested. */
function perturb(module: { parameters(): Map<string, T.Tensor> }, seed: number, scale = 0.2): void {
  let k = seed;
  for (const p of module.parameters().values()) {
    T.assign(p, randomValues(p.size, k++, -scale, scale));
  }
}

describeEachBackend('Glow', () => {
  for (const coupling of ['additive', 'affine'] as CouplingKind[]) {
    test(`${coupling}: f⁻¹(f(x)) = x and f(f⁻¹(u)) = u within 1e-4`, async () => {
      const glow = await Glow.create({ channels: 1, levels: 3, steps: 2, coupling, hidden: 8 }, new T.Rng(1));
      const x = T.tensor(randomValues(2 * 64 * 64, 2, -2, 2), [2, 1, 64, 64]);
      glow.initialize(x);
      perturb(glow, 10, 0.1);
      const u = T.noGrad(() => glow.forward(x).y);
      expect([...u.shape]).toEqual([2, 64, 8, 8]);
      expect(await maxDifference(T.noGrad(() => glow.inverse(u)), x)).toBeLessThan(1e-4);
      const v = T.tensor(randomValues(2 * 64 * 8 * 8, 3, -2, 2), [2, 64, 8, 8]);
      expect(await maxDifference(T.noGrad(() => glow.forward(glow.inverse(v)).y), v)).toBeLessThan(1e-4);
      glow.dispose();
    });
  }
  test('the flow latent keeps the dimension C·H·W', async () => {
    const glow = await Glow.create({ channels: 1, levels: 2, steps: 1, coupling: 'additive', hidden: 'half' }, new T.Rng(2));
    expect(glow.latentShape([5, 1, 64, 64])).toEqual([5, 16, 16, 16]);
    expect(() => glow.latentShape([1, 1, 6, 6])).toThrow(/not divisible by 2\^levels = 4/);
    glow.dispose();
  });
  test('bad configurations are refused', async () => {
    await expect(Glow.create({ channels: 1, levels: 0, steps: 1, coupling: 'additive', hidden: 4 }, new T.Rng(0))).rejects.toThrow(/levels must be a positive integer/);
    await expect(Glow.create({ channels: 1, levels: 1, steps: 1, coupling: 'spline' as CouplingKind, hidden: 4 }, new T.Rng(0))).rejects.toThrow(/coupling must be 'additive' or 'affine'/);
  });
});

/** log|det J| of f at x, from the full Jacobian built by autodiff (one backward per output), in float64. */
async function bruteForceLogDet(f: (x: T.Tensor) => T.Tensor, x0: Float64Array, shape: number[]): Promise<number> {
  const n = x0.length;
  const jacobian: number[][] = [];
  for (let row = 0; row < n; row++) {
    const x = T.tensor(x0, shape).requireGrad();
    const seed = new Float64Array(n);
    seed[row] = 1;
    const y = f(x);
    if (y.size !== n) throw new Error(`the flow changed the dimension: ${n} → ${y.size}`);
    const [g] = T.grad(T.sum(T.mul(y, T.tensor(seed, y.shape))), [x]);
    jacobian.push(Array.from(await g.data64()));
  }
  // log|det| by Gaussian elimination with partial pivoting.
  let logDet = 0;
  const a = jacobian.map((r) => [...r]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
    [a[k], a[p]] = [a[p], a[k]];
    logDet += Math.log(Math.abs(a[k][k]));
    for (let i = k + 1; i < n; i++) {
      const m = a[i][k] / a[k][k];
      for (let j = k; j < n; j++) a[i][j] -= m * a[k][j];
    }
  }
  return logDet;
}

test('log|det ∂f/∂x| equals the brute-force Jacobian on a 1×4×4 input (float64)', async () => {
  await T.withBackend(reference, async () => {
    for (const coupling of ['affine', 'additive'] as CouplingKind[]) {
      const glow = await Glow.create({ channels: 1, levels: 2, steps: 2, coupling, hidden: 4 }, new T.Rng(3));
      const x0 = randomValues(16, 4, -1, 1);
      glow.initialize(T.tensor(randomValues(3 * 16, 5, -1, 1), [3, 1, 4, 4]));
      perturb(glow, 20, 0.3);
      const { logDet } = T.noGrad(() => glow.forward(T.tensor(x0, [1, 1, 4, 4]), true));
      const expected = await bruteForceLogDet((x) => glow.forward(x).y, x0, [1, 1, 4, 4]);
      const got = (await logDet!.data64())[0];
      expect(Math.abs(got - expected)).toBeLessThan(1e-8);
      // Additive coupling is volume preserving: the log-determinant is ActNorm's and InvConv's alone.
      if (coupling === 'affine') expect(Math.abs(expected)).toBeGreaterThan(1e-3);
      glow.dispose();
    }
  });
});

test('flow layers: gradients match finite differences (float64)', async () => {
  await T.withBackend(reference, async () => {
    const rng = new T.Rng(7);
    const actNorm = new ActNorm(4);
    actNorm.initialize(T.tensor(randomValues(2 * 4 * 9, 1, -1, 1), [2, 4, 3, 3]));
    await gradCheck((x) => actNorm.forward(x).y, [input([2, 4, 3, 3], 2)]);
    await gradCheck((x) => actNorm.inverse(x), [input([2, 4, 3, 3], 3)]);
    const inv = await InvConv1x1.create(4, rng);
    perturb(inv, 30, 0.2);
    await gradCheck((x) => inv.forward(x).y, [input([1, 4, 2, 3], 4)]);
    await gradCheck((x) => inv.inverse(x), [input([1, 4, 2, 3], 5)]);
    // Gradient with respect to the LU parameters flows through W and W⁻¹.
    await gradCheck(
      (lower) => {
        T.assign(inv.lower, [0, 0, 0, 0, 0.1, 0, 0, 0, -0.2, 0.3, 0, 0, 0.05, 0.1, -0.1, 0]);
        const l = lower;
        const w = inv.permutation.matmul(l.add(T.eye(4))).matmul(inv.upper.add(T.eye(4).mul(inv.sign.mul(inv.logS.exp()))));
        return T.conv2d(T.tensor(randomValues(4 * 6, 9, -1, 1), [1, 4, 2, 3]), T.inverse(w).reshape([4, 4, 1, 1]));
      },
      [{ shape: [4, 4], values: Float64Array.from([0, 0, 0, 0, 0.1, 0, 0, 0, -0.2, 0.3, 0, 0, 0.05, 0.1, -0.1, 0]) }],
    );
    for (const kind of ['additive', 'affine'] as CouplingKind[]) {
      const coupling = new Coupling(4, 3, kind, rng);
      perturb(coupling, 40, 0.3);
      await gradCheck((x) => coupling.forward(x).y, [input([1, 4, 3, 3], 6)]);
      await gradCheck((x) => coupling.inverse(x), [input([1, 4, 3, 3], 7)]);
    }
    const step = await FlowStep.create(4, 3, 'affine', rng);
    step.actNorm.initialize(T.tensor(randomValues(4 * 4, 11, -1, 1), [1, 4, 2, 2]));
    perturb(step, 50, 0.2);
    await gradCheck((x) => step.inverse(step.forward(x).y.mul(1.5)), [input([1, 4, 2, 2], 8)], { tol: 1e-5 });
  });
});

test('a flow step (ActNorm and the 1×1 convolution fused into one convolution) equals the layers one after the other (float64)', async () => {
  await T.withBackend(reference, async () => {
    const rng = new T.Rng(12);
    for (const [c, kind] of [[4, 'affine'], [6, 'additive']] as [number, CouplingKind][]) {
      const step = await FlowStep.create(c, 5, kind, rng);
      step.actNorm.initialize(T.tensor(randomValues(2 * c * 15, 13, -1, 1), [2, c, 3, 5]));
      perturb(step, 60, 0.3);
      const x = T.tensor(randomValues(2 * c * 15, 14, -2, 2), [2, c, 3, 5]);
      const sequential = (input: T.Tensor) => {
        const a = step.actNorm.forward(input, true);
        const b = step.invConv.forward(a.y, true);
        const o = step.coupling.forward(b.y, true);
        return { y: o.y, logDet: a.logDet!.add(b.logDet!).add(o.logDet ?? T.zeros([2])) };
      };
      const fused = step.forward(x, true);
      const plain = sequential(x);
      expect(await maxDifference(fused.y, plain.y)).toBeLessThan(1e-12);
      expect(await maxDifference(fused.logDet!, plain.logDet)).toBeLessThan(1e-9);
      const y = T.tensor(randomValues(2 * c * 15, 15, -2, 2), [2, c, 3, 5]);
      const back = step.actNorm.inverse(step.invConv.inverse(step.coupling.inverse(y)));
      expect(await maxDifference(step.inverse(y), back)).toBeLessThan(1e-12);
      // The parameters' gradients through the fused path are those through the layers.
      const params = [...step.parameters().values()];
      const loss = (out: T.Tensor, inv: T.Tensor) => out.square().sum().add(inv.mul(0.7).exp().sum());
      const gFused = T.grad(loss(step.forward(x).y, step.inverse(y)), params);
      const gPlain = T.grad(loss(sequential(x).y, back), params);
      for (let i = 0; i < params.length; i++) expect(await maxDifference(gFused[i], gPlain[i])).toBeLessThan(1e-9);
    }
  });
});
