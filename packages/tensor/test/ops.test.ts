// Conformance of binary, reduction, movement, matmul and loss ops: every backend against the
// float64 cpu reference (and matmul against a naive loop), on odd sizes; gradients against
// finite differences.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, expectMatchesReference, gradCheck, input, randomValues } from '../testing.ts';

const binaryOps: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor][] = [
  ['add', T.add],
  ['sub', T.sub],
  ['mul', T.mul],
  ['div', T.div],
  ['maximum', T.maximum],
  ['minimum', T.minimum],
];
const broadcastPairs: [number[], number[]][] = [
  [[17], [17]],
  [[3, 17], [17]],
  [[3, 1, 5], [4, 1]],
  [[1], [2, 3]],
  [[65, 3], [65, 1]],
  [[2, 3, 4, 5], [1, 3, 1, 5]],
  [[], [3]],
];

describeEachBackend('binary ops with broadcasting', (backend) => {
  for (const [name, f] of binaryOps) {
    for (const [a, b] of broadcastPairs) {
      test(`${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`, async () => {
        // Denominators kept away from zero for div.
        await expectMatchesReference(backend, f, [input(a, 1), input(b, 2, 0.5, 2)]);
      });
    }
  }
  test('shapes that do not broadcast throw, naming the op and the shapes', () => {
    expect(() => T.add(T.zeros([2, 3]), T.zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => T.mul(T.zeros([2, 3]), T.zeros([3, 2]))).toThrow(/mul: shapes \[2, 3\] and \[3, 2\]/);
  });
});

test('binary gradients (with broadcasting) match finite differences', async () => {
  for (const [, f] of binaryOps) {
    for (const [a, b] of broadcastPairs.slice(0, 6)) {
      const x = input(a, 3);
      const y = input(b, 4, 0.5, 2);
      await gradCheck(f, [x, y]);
    }
  }
});

describeEachBackend('reductions', (backend) => {
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[17], undefined, false],
    [[3, 17], 1, false],
    [[3, 17], 0, true],
    [[2, 3, 4, 5], [0, 2], false],
    [[2, 3, 4, 5], [1, 3], true],
    [[65, 63], undefined, false],
    [[1, 1, 1], 1, false],
    [[300000], undefined, false],
    [[7, 40000], 1, false],
    [[40000, 7], 0, false],
  ];
  for (const [shape, axes, keep] of cases) {
    const label = `${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepDims ${keep}`;
    test(`sum ${label}`, () => expectMatchesReference(backend, (x) => T.sum(x, axes, keep), [input(shape, 5)], 1e-4));
    test(`mean ${label}`, () => expectMatchesReference(backend, (x) => T.mean(x, axes, keep), [input(shape, 6)], 1e-4));
    test(`max ${label}`, () => expectMatchesReference(backend, (x) => T.max(x, axes, keep), [input(shape, 7)], 1e-6));
  }
  test('the sum of 300,000 ones is exact', async () => {
    expect(await T.sum(T.ones([300000])).item()).toBe(300000);
  });
  test('bad axes throw', () => {
    expect(() => T.sum(T.zeros([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
    expect(() => T.sum(T.zeros([2, 3]), [1, -1])).toThrow(/repeated axis/);
  });
});

test('reduction gradients match finite differences', async () => {
  await gradCheck((x) => T.sum(x, [0, 2]), [input([3, 4, 5], 1)]);
  await gradCheck((x) => T.mean(x, 1, true), [input([3, 4, 5], 2)]);
  await gradCheck((x) => T.max(x, 1), [input([3, 17], 3)]);
  await gradCheck((x) => T.max(x), [input([5, 5], 4)]);
  await gradCheck((x) => T.broadcastTo(x, [4, 3, 5]), [input([3, 1], 5)]);
});

describeEachBackend('movement ops', (backend) => {
  test('reshape is a view and infers -1', async () => {
    const x = T.arange(12);
    const y = T.reshape(x, [3, -1]);
    expect([...y.shape]).toEqual([3, 4]);
    expect(await y.array()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(() => T.reshape(x, [5, -1])).toThrow(/reshape: cannot infer -1 in \[5, -1\]/);
    expect(() => T.reshape(x, [5, 2])).toThrow(/reshape: cannot view \[12\]/);
  });
  test('permute and transpose', async () => {
    await expectMatchesReference(backend, (x) => T.permute(x, [2, 0, 3, 1]), [input([2, 3, 5, 7], 1)]);
    await expectMatchesReference(backend, (x) => T.transpose(x), [input([3, 17, 65], 2)]);
    expect(() => T.permute(T.zeros([2, 3]), [0, 0])).toThrow(/not a permutation/);
  });
  test('slice, pad, concat, split', async () => {
    await expectMatchesReference(backend, (x) => T.slice(x, 1, 2, -3), [input([3, 17, 5], 3)]);
    await expectMatchesReference(backend, (x) => T.pad(x, [[1, 2], [0, 3], [2, 0]]), [input([3, 4, 5], 4)]);
    await expectMatchesReference(backend, (a, b, c) => T.concat([a, b, c], 1), [input([2, 3, 4], 5), input([2, 1, 4], 6), input([2, 17, 4], 7)]);
    const parts = T.split(T.arange(10), [3, 7]);
    expect(await parts[1].array()).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(() => T.slice(T.zeros([4]), 0, 3, 9)).toThrow(/slice: range \[3, 9\) is outside axis 0 of length 4/);
    expect(() => T.concat([T.zeros([2, 3]), T.zeros([3, 3])], 1)).toThrow(/concat: shapes \[2, 3\], \[3, 3\] differ outside axis 1/);
  });
  test('concat of more inputs than a shader can bind', async () => {
    const parts = Array.from({ length: 11 }, (_, i) => T.full([2, 1], i));
    expect(await T.concat(parts, 1).array()).toEqual([Array.from({ length: 11 }, (_, i) => i), Array.from({ length: 11 }, (_, i) => i)]);
  });
  test('indexSelect', async () => {
    await expectMatchesReference(backend, (x) => T.indexSelect(x, 1, [4, 0, 4, 2]), [input([3, 5, 2], 8)]);
    expect(() => T.indexSelect(T.zeros([3, 5]), 1, [5])).toThrow(/indexSelect: index 5 at position 0 is outside \[0, 5\)/);
  });
  test('squeeze2d matches the definition and unsqueeze2d inverts it', async () => {
    const values = randomValues(2 * 3 * 4 * 6, 9);
    const x = T.tensor(values, [2, 3, 4, 6]);
    const y = await T.squeeze2d(x).data();
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 4; h++)
          for (let w = 0; w < 6; w++) {
            const out = ((n * 12 + c * 4 + (h % 2) * 2 + (w % 2)) * 2 + (h >> 1)) * 3 + (w >> 1);
            expect(y[out]).toBe(Math.fround(values[((n * 3 + c) * 4 + h) * 6 + w]));
          }
    expectClose(await T.unsqueeze2d(T.squeeze2d(x)).data(), Float32Array.from(values), 0);
  });
});

test('movement gradients match finite differences', async () => {
  await gradCheck((x) => T.permute(x, [1, 2, 0]), [input([2, 3, 4], 1)]);
  await gradCheck((x) => T.slice(x, 1, 1, 3), [input([2, 4, 3], 2)]);
  await gradCheck((x) => T.pad(x, [[1, 0], [2, 1]]), [input([2, 3], 3)]);
  await gradCheck((a, b) => T.concat([a, b], 0), [input([2, 3], 4), input([1, 3], 5)]);
  await gradCheck((x) => T.indexSelect(x, 0, [2, 0, 2, 2]), [input([3, 4], 6)]);
  await gradCheck((x) => T.squeeze2d(x), [input([1, 2, 4, 4], 7)]);
  await gradCheck((x) => T.mul(T.split(x, 2, 1)[0], T.split(x, 2, 1)[1]), [input([2, 4], 8)]);
});

/** C = A·B by the textbook triple loop in float64. */
function naiveMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

describeEachBackend('matmul', (backend) => {
  for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [17, 3, 65], [63, 65, 17], [65, 1, 63], [130, 66, 129]]) {
    test(`${m}×${k} · ${k}×${n} matches the naive loop`, async () => {
      const a = input([m, k], m + k);
      const b = input([k, n], k + n);
      expectClose(await T.matmul(T.tensor(a.values, [m, k]), T.tensor(b.values, [k, n])).data(), naiveMatmul(a.values, b.values, m, k, n), 1e-4);
    });
  }
  test('batched and broadcast batch dimensions', async () => {
    await expectMatchesReference(backend, T.matmul, [input([4, 3, 5], 1), input([4, 5, 2], 2)]);
    await expectMatchesReference(backend, T.matmul, [input([2, 1, 3, 5], 3), input([3, 5, 7], 4)]);
  });
  test('gradients match the float64 reference', async () => {
    await expectMatchesReference(
      backend,
      (a, b) => {
        const [ga, gb] = T.grad(T.sum(T.sin(T.matmul(a.requireGrad(), b.requireGrad()))), [a, b]);
        return T.concat([T.reshape(ga, [-1]), T.reshape(gb, [-1])]);
      },
      [input([2, 17, 9], 5), input([9, 13], 6)],
    );
  });
  test('mismatched inner dimensions throw', () => {
    expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] · \[4, 5\] \(3 ≠ 4\)/);
    expect(() => T.matmul(T.zeros([3]), T.zeros([3, 5]))).toThrow(/matmul: expected tensors of rank ≥ 2/);
  });
});

test('matmul gradients match finite differences', async () => {
  await gradCheck(T.matmul, [input([3, 4], 1), input([4, 5], 2)]);
  await gradCheck(T.matmul, [input([2, 3, 4], 3), input([4, 2], 4)]);
  await gradCheck(T.matmul, [input([1, 3, 4], 5), input([2, 4, 2], 6)]);
});

describeEachBackend('losses', (backend) => {
  test('bceWithLogits equals the naive formula, without overflow for large logits', async () => {
    const logits = T.tensor([-200, -3, 0, 2.5, 200], [5]);
    const targets = T.tensor([0, 1, 0.5, 0, 1], [5]);
    const values = await T.bceWithLogits(logits, targets, 'none').data();
    const naive = [-200, -3, 0, 2.5, 200].map((x, i) => {
      const t = [0, 1, 0.5, 0, 1][i];
      return Math.abs(x) > 50 ? Math.max(x, 0) - x * t : -(t * Math.log(1 / (1 + Math.exp(-x))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-x))));
    });
    expectClose(values, naive, 1e-5);
  });
  test('reductions of losses match the reference', async () => {
    await expectMatchesReference(backend, (x, t) => T.bceWithLogits(x, t, 'sum'), [input([4, 17], 1, -5, 5), input([4, 17], 2, 0, 1)]);
    await expectMatchesReference(backend, (a, b) => T.mse(a, b), [input([3, 5], 3), input([3, 5], 4)]);
    await expectMatchesReference(backend, (a, b) => T.l1(a, b, 'sum'), [input([3, 5], 5), input([3, 5], 6)]);
    await expectMatchesReference(backend, (m, v) => T.gaussianKl(m, v, 'none'), [input([3, 5], 7), input([3, 5], 8)]);
  });
  test('KL of N(0, 1) from N(0, 1) is zero', async () => {
    expect(await T.gaussianKl(T.zeros([4, 10]), T.zeros([4, 10])).item()).toBe(0);
  });
});

test('loss gradients match finite differences', async () => {
  await gradCheck((x, t) => T.bceWithLogits(x, t, 'sum'), [input([3, 5], 1, -4, 4), input([3, 5], 2, 0, 1)]);
  await gradCheck((x, t) => T.bceWithLogits(x, t, 'mean'), [input([2, 5], 3, -4, 4), input([5], 4, 0, 1)]);
  await gradCheck((a, b) => T.mse(a, b), [input([3, 5], 5), input([3, 5], 6)]);
  await gradCheck((a, b) => T.l1(a, b, 'sum'), [input([3, 5], 7), input([3, 5], 8)]);
  await gradCheck((m, v) => T.gaussianKl(m, v), [input([3, 5], 9), input([3, 5], 10)]);
});

describeEachBackend('linear', (backend) => {
  test('equals x·wᵀ + b, for 2-D and batched inputs', async () => {
    await expectMatchesReference(backend, (x, w, b) => T.linear(x, w, b), [input([17, 5], 1), input([3, 5], 2), input([3], 3)]);
    await expectMatchesReference(backend, (x, w) => T.sub(T.linear(x, w), T.matmul(x, T.transpose(w))), [input([2, 4, 5], 4), input([3, 5], 5)]);
  });
  test('wrong feature count throws', () => {
    expect(() => T.linear(T.zeros([2, 4]), T.zeros([3, 5]))).toThrow(/linear: input \[2, 4\] has 4 features, weight \[3, 5\] expects 5/);
  });
});

test('linear gradients match finite differences', async () => {
  await gradCheck((x, w, b) => T.linear(x, w, b), [input([4, 3], 1), input([2, 3], 2), input([2], 3)]);
  await gradCheck((x, w) => T.linear(x, w), [input([2, 3, 3], 4), input([5, 3], 5)]);
});
