// The actions of SO(2) and C_n against their closed form, on every backend. ρ(g) is written here
// from cos and sin of k·θ for the configured frequencies k (θ an angle for SO(2), 2πj/n for the
// element j of C_n), as a block-diagonal matrix: the identity on the invariant part, then one
// rotation R(k_b·θ) = [[cos, −sin], [sin, cos]] per varying block, the frequencies cycled over the
// blocks. The action on latent vectors, on the channels of skip and feature maps (the same ρ(g) at
// every pixel) and the group law of C_n are compared with it; and a group configured with other
// frequencies is shown to act differently, so that the frequencies in use are the configured ones.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { describeEachBackend, expectClose, randomValues } from '@maga/tensor/testing';
import { ChannelAction, groupOf, parseGroup, vectorAction, type GroupConfig } from '../index.ts';

/** ρ(θ) for `invariant` untouched components then one 2×2 rotation per frequency, row-major. */
function closedForm(theta: number, invariant: number, frequencies: readonly number[]): number[][] {
  const size = invariant + 2 * frequencies.length;
  const rho = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (__, j): number => (i === j && i < invariant ? 1 : 0)));
  frequencies.forEach((k, b) => {
    const o = invariant + 2 * b;
    const [c, s] = [Math.cos(k * theta), Math.sin(k * theta)];
    rho[o][o] = c;
    rho[o][o + 1] = -s;
    rho[o + 1][o] = s;
    rho[o + 1][o + 1] = c;
  });
  return rho;
}

const apply = (rho: number[][], u: ArrayLike<number>, offset = 0, stride = 1) => rho.map((row) => row.reduce((acc, r, j) => acc + r * u[offset + j * stride], 0));

/** The angle of a group element: θ itself for SO(2), 2πj/n for j in C_n. */
const angleOf = (group: GroupConfig, g: number) => (group.kind === 'cyclic' ? (2 * Math.PI * g) / group.n : g);

/** The frequency of each of `blocks` blocks: the configured list, cycled. */
const cycled = (group: GroupConfig, blocks: number) => Array.from({ length: blocks }, (_, b) => (group.kind === 'so3' ? 0 : group.frequencies[b % group.frequencies.length]));

const groups: GroupConfig[] = [parseGroup({ kind: 'so2', frequencies: [1, 2, 3] }), parseGroup({ kind: 'cyclic', n: 5, frequencies: [1, 3] }), parseGroup({ kind: 'cyclic', n: 4, frequencies: [2] })];
const elementsFor = (group: GroupConfig): number[] => (group.kind === 'cyclic' ? Array.from({ length: group.n }, (_, j) => j) : [0, 0.3, -1.7, 2.9, Math.PI]);
const label = (group: GroupConfig) => JSON.stringify(group);

describeEachBackend('SO(2) and C_n against ρ(g) built from cos and sin of k·θ', () => {
  for (const group of groups) {
    test(`${label(group)}: the action on latent vectors is ρ(g)·u, the invariant part untouched`, async () => {
      const [invariant, blocks] = [3, 4];
      const action = vectorAction(group, invariant, blocks);
      const g = elementsFor(group);
      const size = invariant + 2 * blocks;
      expect(action.size).toBe(size);
      const u = randomValues(g.length * size, 1);
      const moved = await action.act(T.tensor(g, [g.length]), T.tensor(u, [g.length, size])).data64();
      const expected = g.flatMap((e, n) => apply(closedForm(angleOf(group, e), invariant, cycled(group, blocks)), u, n * size));
      expectClose(moved, expected, 1e-5);
      action.dispose();
    });

    test(`${label(group)}: the action on the channels of feature maps is ρ(g) at every pixel`, async () => {
      const [channels, invariant, h, w] = [8, 2, 3, 2];
      const maps = new ChannelAction(group, channels, invariant);
      const g = elementsFor(group).slice(0, 3);
      const x = randomValues(g.length * channels * h * w, 2);
      const moved = await maps.act(T.tensor(g, [g.length]), T.tensor(x, [g.length, channels, h, w])).data64();
      const expected = new Float64Array(x.length);
      g.forEach((e, n) => {
        const rho = closedForm(angleOf(group, e), invariant, cycled(group, (channels - invariant) / 2));
        for (let p = 0; p < h * w; p++) {
          const out = apply(rho, x, n * channels * h * w + p, h * w);
          out.forEach((v, c) => (expected[(n * channels + c) * h * w + p] = v));
        }
      });
      expectClose(moved, expected, 1e-5);
      maps.dispose();
    });
  }

  test('C_n: e = 0, g₂·g₁ = (g₂ + g₁) mod n, g⁻¹ = (n − g) mod n, and ρ(g₂·g₁) = ρ(g₂)ρ(g₁) in the closed form', async () => {
    const group = parseGroup({ kind: 'cyclic', n: 5, frequencies: [1, 2] });
    const action = vectorAction(group, 0, 2);
    const g1 = [0, 1, 2, 3, 4, 4, 2];
    const g2 = [3, 4, 4, 1, 0, 2, 2];
    expect(Array.from(await action.identity(3).data())).toEqual([0, 0, 0]);
    const product = Array.from(await action.compose(T.tensor(g2, [7]), T.tensor(g1, [7])).data());
    expect(product).toEqual(g1.map((a, i) => (a + g2[i]) % 5));
    expect(Array.from(await action.inverse(T.tensor(g1, [7])).data())).toEqual(g1.map((a) => (5 - a) % 5));
    for (let i = 0; i < 7; i++) {
      const [r1, r2, r12] = [g1[i], g2[i], product[i]].map((e) => closedForm(angleOf(group, e), 0, [1, 2]));
      const composed = r2.map((row) => r1[0].map((_, j) => row.reduce((acc, v, k) => acc + v * r1[k][j], 0)));
      expectClose(composed.flat(), r12.flat(), 1e-12);
    }
    action.dispose();
  });

  test('the configured frequencies are the ones used: other frequencies act differently', async () => {
    const u = T.tensor(randomValues(3 * 6, 3), [3, 6]);
    for (const [a, b, g] of [
      [{ kind: 'so2', frequencies: [1] }, { kind: 'so2', frequencies: [2] }, [0.4, 1.3, -2]],
      [{ kind: 'cyclic', n: 6, frequencies: [1] }, { kind: 'cyclic', n: 6, frequencies: [2] }, [1, 2, 4]],
      [{ kind: 'so2', frequencies: [1, 2] }, { kind: 'so2', frequencies: [2, 1] }, [0.4, 1.3, -2]],
    ] as const) {
      const [first, second] = [vectorAction(parseGroup(a), 0, 3), vectorAction(parseGroup(b), 0, 3)];
      const gt = T.tensor([...g], [3]);
      const [x, y] = await Promise.all([first.act(gt, u).data64(), second.act(gt, u).data64()]);
      let differ = 0;
      for (let i = 0; i < x.length; i++) differ = Math.max(differ, Math.abs(x[i] - y[i]));
      expect(differ).toBeGreaterThan(0.1);
      first.dispose();
      second.dispose();
    }
  });
});

test('the law of each Group (identity, compose, inverse on host elements) is a homomorphism into the closed form: ρ(e) = I, ρ(g₂·g₁) = ρ(g₂)ρ(g₁), ρ(g⁻¹) = ρ(g)ᵀ', () => {
  const product = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((acc, v, k) => acc + v * b[k][j], 0)));
  for (const config of groups) {
    const group = groupOf(config);
    const rho = (g: number[]) => closedForm(angleOf(config, g[0]), 1, cycled(config, 3));
    const identity = rho(group.identity());
    expectClose(identity.flat(), closedForm(0, 1, [0, 0, 0]).flat(), 1e-12);
    const elements = elementsFor(config).map((g) => [g]);
    for (const g1 of elements) {
      for (const g2 of elements) expectClose(rho(group.compose(g2, g1)).flat(), product(rho(g2), rho(g1)).flat(), 1e-9);
      const transposed = rho(g1).map((row, i) => row.map((_, j) => rho(g1)[j][i]));
      expectClose(rho(group.inverse(g1)).flat(), transposed.flat(), 1e-9);
    }
  }
});

test('the closed form itself: ρ(θ) is orthogonal with determinant 1 and R(k·θ) turns e₁ by k·θ', () => {
  const rho = closedForm(0.7, 1, [2, -1]);
  const gram = rho.map((row, i) => rho.map((other) => row.reduce((acc, v, k) => acc + v * other[k], 0) - (i === rho.indexOf(other) ? 1 : 0)));
  expect(Math.max(...gram.flat().map(Math.abs))).toBeLessThan(1e-12);
  expectClose(apply(rho, [0, 1, 0, 0, 0]), [0, Math.cos(1.4), Math.sin(1.4), 0, 0], 1e-15);
  expectClose(apply(rho, [0, 0, 0, 1, 0]), [0, 0, 0, Math.cos(-0.7), Math.sin(-0.7)], 1e-15);
});
