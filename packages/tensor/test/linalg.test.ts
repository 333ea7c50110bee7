import { describe, expect, test } from 'bun:test';
import * as T from '../index.ts';
import { inverse, logAbsDet, lu, triangularSolve, type TriangularSolveOptions } from '../src/ops/linalg.ts';
import { cpu, describeEachBackend, expectClose, expectConforms, expectGradientsConform, gradCheck, type Input, input, ref, reference } from '../testing.ts';

// ---- test matrices and float64 references written independently of the ops -------------------

/** Random entries in [-1, 1] plus c on the diagonal: diagonally dominant, so well conditioned. */
function wellConditioned(shape: number[], seed: number): Input {
  const m = input(shape, seed);
  const c = shape[shape.length - 1];
  for (let o = 0; o < m.values.length; o += c * c) for (let i = 0; i < c; i++) m.values[o + i * c + i] += c;
  return m;
}

/** A well-conditioned matrix with its rows reversed and zeros on the diagonal: it needs pivoting. */
function needsPivoting(c: number, seed: number): Input {
  const m = wellConditioned([c, c], seed);
  const values = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) values[i * c + j] = m.values[(c - 1 - i) * c + j];
  for (let i = 0; i < c; i++) if (i !== c - 1 - i) values[i * c + i] = 0;
  return { shape: [c, c], values };
}

/** det by Laplace expansion along the first row (small c only). */
function laplaceDet(m: number[][]): number {
  const c = m.length;
  if (c === 1) return m[0][0];
  let det = 0;
  for (let j = 0; j < c; j++) {
    const minor = m.slice(1).map((row) => row.filter((_, k) => k !== j));
    det += (j % 2 === 0 ? 1 : -1) * m[0][j] * laplaceDet(minor);
  }
  return det;
}

/** det by Gaussian elimination with partial pivoting, in float64. */
function eliminationDet(m: number[][]): number {
  const a = m.map((row) => [...row]);
  const c = a.length;
  let det = 1;
  for (let k = 0; k < c; k++) {
    let p = k;
    for (let i = k + 1; i < c; i++) if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
    if (a[p][k] === 0) return 0;
    if (p !== k) {
      [a[p], a[k]] = [a[k], a[p]];
      det = -det;
    }
    det *= a[k][k];
    for (let i = k + 1; i < c; i++) {
      const f = a[i][k] / a[k][k];
      for (let j = k; j < c; j++) a[i][j] -= f * a[k][j];
    }
  }
  return det;
}

function matrices(values: ArrayLike<number>, c: number): number[][][] {
  const out: number[][][] = [];
  for (let o = 0; o < values.length; o += c * c) out.push(Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => values[o + i * c + j])));
  return out;
}

/** The triangle that triangularSolve reads, as a full matrix (the other triangle zero; ones on the diagonal when unit). */
function triangleOf(values: Float64Array, c: number, lower: boolean, unit: boolean): Float64Array {
  const out = new Float64Array(values.length);
  for (let o = 0; o < values.length; o += c * c) {
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        if (i === j) out[o + i * c + j] = unit ? 1 : values[o + i * c + j];
        else if (lower ? j < i : j > i) out[o + i * c + j] = values[o + i * c + j];
      }
    }
  }
  return out;
}

const sizes = [1, 3, 5, 17];
const solveCases: TriangularSolveOptions[] = [];
for (const lower of [true, false]) for (const unitDiagonal of [false, true]) for (const transpose of [false, true]) solveCases.push({ lower, unitDiagonal, transpose });
const describeSolve = (o: TriangularSolveOptions) => `${o.lower ? 'lower' : 'upper'}${o.unitDiagonal ? ' unit' : ''}${o.transpose ? ' transposed' : ''}`;

// ---- forward results on every backend ---------------------------------------------------------

describeEachBackend('linalg', (backend) => {
  const cases: { name: string; m: Input }[] = [
    ...sizes.map((c) => ({ name: `${c}×${c}`, m: wellConditioned([c, c], 10 + c) })),
    { name: 'batch [2, 3]×4×4', m: wellConditioned([2, 3, 4, 4], 5) },
    { name: '5×5 that needs pivoting', m: needsPivoting(5, 6) },
    { name: '17×17 that needs pivoting', m: needsPivoting(17, 7) },
  ];

  for (const { name, m } of cases) {
    test(`lu ${name}: P·L·U reconstructs A, with L unit lower, U upper and P a permutation`, async () => {
      const c = m.shape[m.shape.length - 1];
      const a = T.tensor(m.values, m.shape);
      const { P, L, U } = lu(a);
      for (const t of [P, L, U]) expect(t.shape).toEqual(m.shape);
      expectClose(await T.matmul(P, T.matmul(L, U)).data(), m.values, 1e-5 * c);
      const [p, l, u] = await Promise.all([P.data(), L.data(), U.data()]);
      for (let o = 0; o < p.length; o += c * c) {
        for (let i = 0; i < c; i++) {
          let rowOnes = 0;
          let colOnes = 0;
          for (let j = 0; j < c; j++) {
            if (j > i) expect(l[o + i * c + j]).toBe(0);
            if (j === i) expect(l[o + i * c + j]).toBe(1);
            if (j < i) expect(u[o + i * c + j]).toBe(0);
            expect([0, 1]).toContain(p[o + i * c + j]);
            rowOnes += p[o + i * c + j];
            colOnes += p[o + j * c + i];
          }
          expect(rowOnes).toBe(1);
          expect(colOnes).toBe(1);
        }
      }
      if (name.includes('pivoting')) expect(p[0]).toBe(0);
      const expected = ref.lu(m);
      await expectConforms(backend, (x) => lu(x).U, [m], expected.U, 1e-4);
      await expectConforms(backend, (x) => lu(x).L, [m], expected.L, 1e-4);
      await expectConforms(backend, (x) => lu(x).P, [m], expected.P, 0);
    });

    test(`inverse ${name}: A⁻¹·A = I and matches Gauss–Jordan`, async () => {
      const c = m.shape[m.shape.length - 1];
      const a = T.tensor(m.values, m.shape);
      const product = await T.matmul(inverse(a), a).data();
      const identity = new Float64Array(product.length).map((_, i) => (Math.floor(i / c) % c === i % c ? 1 : 0));
      expectClose(product, identity, 1e-5 * c);
      await expectConforms(backend, inverse, [m], ref.inverse(m), 1e-4);
    });

    test(`logAbsDet ${name} matches a naive float64 determinant`, async () => {
      const c = m.shape[m.shape.length - 1];
      const y = logAbsDet(T.tensor(m.values, m.shape));
      expect(y.shape).toEqual(m.shape.slice(0, -2));
      const expected = matrices(m.values, c).map((mat) => Math.log(Math.abs(c <= 6 ? laplaceDet(mat) : eliminationDet(mat))));
      expectClose(await y.data(), expected, 1e-5);
      await expectConforms(backend, logAbsDet, [m], ref.logAbsDet(m), 1e-5);
    });
  }

  for (const o of solveCases) {
    for (const c of sizes) {
      test(`triangularSolve ${describeSolve(o)} ${c}×${c} agrees with inverse·B and with substitution`, async () => {
        const m = wellConditioned([c, c], 20 + c);
        const b = input([c, 3], 30 + c);
        const x = await triangularSolve(T.tensor(m.values, m.shape), T.tensor(b.values, b.shape), o).data();
        const tri = T.tensor(triangleOf(m.values, c, o.lower, o.unitDiagonal), [c, c]);
        const viaInverse = T.matmul(inverse(o.transpose ? T.transpose(tri) : tri), T.tensor(b.values, b.shape));
        expectClose(x, await viaInverse.data(), 1e-5);
        await expectConforms(backend, (a, rhs) => triangularSolve(a, rhs, o), [m, b], ref.triangularSolve(m, b, o), 1e-5);
      });
    }
  }

  test('triangularSolve broadcasts batch dimensions like matmul', async () => {
    const o = { lower: true, unitDiagonal: false };
    for (const [m, b] of [[wellConditioned([2, 1, 4, 4], 3), input([3, 4, 2], 4)], [wellConditioned([4, 4], 3), input([2, 4, 5], 4)]]) {
      await expectConforms(backend, (a, rhs) => triangularSolve(a, rhs, o), [m, b], ref.triangularSolve(m, b, o), 1e-5);
    }
    const a = T.tensor(wellConditioned([2, 1, 4, 4], 3).values, [2, 1, 4, 4]);
    expect(triangularSolve(a, T.zeros([3, 4, 2]), o).shape).toEqual([2, 3, 4, 2]);
  });

  for (const c of [3, 17]) {
    test(`gradients of inverse and logAbsDet ${c}×${c} match finite differences of the reference loops`, async () => {
      const m = wellConditioned([c, c], 40 + c);
      await expectGradientsConform(backend, inverse, [m], (w) => ref.numericGradient(ref.inverse, [m], w));
      const batch = wellConditioned([2, c, c], 50 + c);
      await expectGradientsConform(backend, logAbsDet, [batch], (w) => ref.numericGradient(ref.logAbsDet, [batch], w));
    });
    for (const o of solveCases) {
      test(`gradients of triangularSolve ${describeSolve(o)} ${c}×${c} match finite differences of substitution`, async () => {
        const inputs = [wellConditioned([c, c], 60 + c), input([2, c, 2], 70 + c)];
        await expectGradientsConform(backend, (a, b) => triangularSolve(a, b, o), inputs, (w) => ref.numericGradient((a, b) => ref.triangularSolve(a, b, o), inputs, w));
      });
    }
  }

  test('gradient of inverse of a matrix that needs pivoting matches finite differences of Gauss–Jordan', async () => {
    const m = needsPivoting(5, 8);
    await expectGradientsConform(backend, inverse, [m], (w) => ref.numericGradient(ref.inverse, [m], w));
  });

  test('a singular matrix has log|det| = -Infinity', async () => {
    const singular = T.tensor([1, 2, 2, 4, 0, 0, 0, 0, 3, 0, 0, 2], [3, 2, 2]);
    const values = await logAbsDet(singular).data();
    expect(values[0]).toBe(-Infinity);
    expect(values[1]).toBe(-Infinity);
    expect(values[2]).toBeCloseTo(Math.log(6), 5);
  });

  test('lu of a singular matrix still reconstructs it', async () => {
    const m = [1, 2, 3, 2, 4, 6, 1, 0, 1];
    const { P, L, U } = lu(T.tensor(m, [3, 3]));
    expectClose(await T.matmul(P, T.matmul(L, U)).data(), m, 1e-6);
  });

  test('errors name the op and the shapes', () => {
    const vector = T.zeros([3]);
    const wide = T.zeros([2, 3]);
    const square = T.zeros([3, 3]);
    expect(() => lu(vector)).toThrow(/lu: .*\[3\]/);
    expect(() => inverse(wide)).toThrow(/inverse: .*\[2, 3\]/);
    expect(() => logAbsDet(wide)).toThrow(/logAbsDet: .*\[2, 3\]/);
    expect(() => inverse(T.zeros([0, 0]))).toThrow(/inverse: .*\[0, 0\]/);
    expect(() => triangularSolve(wide, square, { lower: true, unitDiagonal: false })).toThrow(/triangularSolve: .*\[2, 3\]/);
    expect(() => triangularSolve(square, wide, { lower: true, unitDiagonal: false })).toThrow(/triangularSolve: B must be \[\.\.\., 3, k\].*\[2, 3\]/);
    expect(() => triangularSolve(square, vector, { lower: true, unitDiagonal: false })).toThrow(/triangularSolve: B/);
    expect(() => triangularSolve(T.zeros([2, 3, 3]), T.zeros([4, 3, 1]), { lower: true, unitDiagonal: false })).toThrow(/triangularSolve: shapes/);
  });
});

// ---- gradients against finite differences (float64 cpu) ------------------------------------

describe('linalg gradients match finite differences', () => {
  const shapes = [[1, 1], [3, 3], [5, 5], [2, 3, 3]];

  for (const shape of shapes) {
    test(`inverse ${JSON.stringify(shape)}`, async () => {
      await gradCheck(inverse, [wellConditioned(shape, 80 + shape.length)]);
    });
    test(`logAbsDet ${JSON.stringify(shape)}`, async () => {
      await gradCheck(logAbsDet, [wellConditioned(shape, 90 + shape.length)]);
    });
  }

  test('inverse and logAbsDet of a matrix that needs pivoting, with a negative determinant', async () => {
    // Reversing 3 rows is one swap, so the determinant of this diagonally dominant matrix turns negative.
    const m = needsPivoting(3, 3);
    expect(eliminationDet(matrices(m.values, 3)[0])).toBeLessThan(0);
    await gradCheck(inverse, [m]);
    await gradCheck(logAbsDet, [m]);
  });

  for (const o of solveCases) {
    for (const c of [1, 3, 5]) {
      test(`triangularSolve ${describeSolve(o)} ${c}×${c}, in A and B`, async () => {
        await gradCheck((a, b) => triangularSolve(a, b, o), [wellConditioned([c, c], 100 + c), input([c, 2], 110 + c)]);
      });
    }
    test(`triangularSolve ${describeSolve(o)} with broadcast batch dimensions`, async () => {
      await gradCheck((a, b) => triangularSolve(a, b, o), [wellConditioned([2, 1, 3, 3], 120), input([3, 3, 2], 121)]);
      await gradCheck((a, b) => triangularSolve(a, b, o), [wellConditioned([3, 3], 122), input([2, 3, 4], 123)]);
    });
  }

  test('only the triangle that is read gets a gradient (and no diagonal when unit)', async () => {
    const m = wellConditioned([3, 3], 130);
    const b = input([3, 2], 131);
    await T.withBackend(reference, async () => {
      for (const o of solveCases) {
        const a = T.tensor(m.values, [3, 3]).requireGrad();
        const [g] = T.grad(T.sum(triangularSolve(a, T.tensor(b.values, [3, 2]), o)), [a]);
        const values = await g.data64();
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            const read = i === j ? !o.unitDiagonal : o.lower ? j < i : j > i;
            if (!read) expect(values[i * 3 + j]).toBe(0);
            else expect(values[i * 3 + j]).not.toBe(0);
          }
        }
      }
    });
  });

  test('lu is not differentiable', () => {
    T.withBackend(cpu, () => {
      const a = T.tensor(wellConditioned([3, 3], 1).values, [3, 3]).requireGrad();
      const { P, L, U } = lu(a);
      for (const t of [P, L, U]) expect(t.requiresGrad).toBe(false);
    });
  });
});
