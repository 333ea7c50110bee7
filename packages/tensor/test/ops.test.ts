// Conformance of binary, reduction, movement, matmul, loss and linear ops on every backend: against
// the independent float64 loops of testing/reference.ts (then against the float64 cpu backend), on
// odd sizes; their gradients on every backend against finite differences of those loops, and
// autodiff against finite differences of the ops themselves in float64.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, expectConforms, expectGradientsConform, gradCheck, input, randomValues, ref, type Input } from '../testing.ts';

const binaryOps: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor, (a: number, b: number) => number][] = [
  ['add', T.add, (a, b) => a + b],
  ['sub', T.sub, (a, b) => a - b],
  ['mul', T.mul, (a, b) => a * b],
  ['div', T.div, (a, b) => a / b],
  ['maximum', T.maximum, Math.max],
  ['minimum', T.minimum, Math.min],
];
const comparisons: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor, (a: number, b: number) => number][] = [
  ['greater', T.greater, (a, b) => Number(a > b)],
  ['greaterEqual', T.greaterEqual, (a, b) => Number(a >= b)],
  ['lessEqual', T.lessEqual, (a, b) => Number(a <= b)],
  ['equal', T.equal, (a, b) => Number(a === b)],
];
/** Values on a grid of quarters in [-1, 1], so that comparisons meet ties. */
const quarters = (shape: number[], seed: number): Input => {
  const x = input(shape, seed);
  x.values.forEach((v, i) => (x.values[i] = Math.round(v * 4) / 4));
  return x;
};
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
  for (const [name, f, formula] of binaryOps) {
    for (const [a, b] of broadcastPairs) {
      test(`${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`, async () => {
        // Denominators kept away from zero for div.
        const inputs = [input(a, 1), input(b, 2, 0.5, 2)];
        await expectConforms(backend, f, inputs, ref.map(formula, ...inputs));
      });
    }
    test(`${name}: gradients (with broadcasting) match finite differences of its formula`, async () => {
      for (const [a, b] of broadcastPairs.slice(0, 6)) {
        const inputs = [input(a, 3), input(b, 4, 0.5, 2)];
        await expectGradientsConform(backend, f, inputs, (w) => ref.numericGradient((...v) => ref.map(formula, ...v), inputs, w));
      }
    });
  }
  for (const [name, f, formula] of comparisons) {
    test(`${name} (1 or 0, with ties)`, async () => {
      for (const [a, b] of broadcastPairs) {
        const inputs = [quarters(a, 5), quarters(b, 6)];
        await expectConforms(backend, f, inputs, ref.map(formula, ...inputs), 0);
      }
    });
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
    for (const [kind, op, seed, tol] of [['sum', T.sum, 5, 1e-4], ['mean', T.mean, 6, 1e-4], ['max', T.max, 7, 1e-6]] as const) {
      test(`${kind} ${label}`, () => {
        const x = input(shape, seed);
        return expectConforms(backend, (t) => op(t, axes, keep), [x], ref.reduce(kind, x, axes, keep), tol);
      });
    }
  }
  test('gradients of sum, mean, max and broadcastTo match finite differences of the loops', async () => {
    const cases: [(x: T.Tensor) => T.Tensor, (x: ref.Dense) => ref.Dense, Input][] = [
      [(x) => T.sum(x, [0, 2]), (x) => ref.reduce('sum', x, [0, 2]), input([3, 4, 5], 1)],
      [(x) => T.mean(x, 1, true), (x) => ref.reduce('mean', x, 1, true), input([3, 4, 5], 2)],
      [(x) => T.max(x, 1), (x) => ref.reduce('max', x, 1), input([3, 17], 3)],
      [(x) => T.max(x), (x) => ref.reduce('max', x), input([5, 5], 4)],
      [(x) => T.broadcastTo(x, [4, 3, 5]), (x) => ref.broadcastTo(x, [4, 3, 5]), input([3, 1], 5)],
    ];
    for (const [f, loops, x] of cases) await expectGradientsConform(backend, f, [x], (w) => ref.numericGradient(loops, [x], w));
  });
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
  await gradCheck((x) => T.sumTo(x, [1, 4, 1]), [input([3, 4, 5], 6)]);
});

describeEachBackend('creation', (backend) => {
  test('arange, eye, full, zeros and ones hold their definitions', async () => {
    await expectConforms(backend, () => T.arange(7), [], ref.dense([7], [0, 1, 2, 3, 4, 5, 6]), 0);
    await expectConforms(backend, () => T.eye(3), [], ref.dense([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]), 0);
    await expectConforms(backend, () => T.full([2, 3], 2.5), [], ref.dense([2, 3], [2.5, 2.5, 2.5, 2.5, 2.5, 2.5]), 0);
    await expectConforms(backend, () => T.add(T.zeros([2, 2]), T.ones([2])), [], ref.dense([2, 2], [1, 1, 1, 1]), 0);
  });
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
    const x = input([2, 3, 5, 7], 1);
    await expectConforms(backend, (t) => T.permute(t, [2, 0, 3, 1]), [x], ref.permute(x, [2, 0, 3, 1]));
    const y = input([3, 17, 65], 2);
    await expectConforms(backend, (t) => T.transpose(t), [y], ref.transpose(y));
    expect(() => T.permute(T.zeros([2, 3]), [0, 0])).toThrow(/not a permutation/);
  });
  test('slice, pad, concat, split', async () => {
    const x = input([3, 17, 5], 3);
    await expectConforms(backend, (t) => T.slice(t, 1, 2, -3), [x], ref.slice(x, 1, 2, -3));
    const y = input([3, 4, 5], 4);
    await expectConforms(backend, (t) => T.pad(t, [[1, 2], [0, 3], [2, 0]]), [y], ref.pad(y, [[1, 2], [0, 3], [2, 0]]));
    const pieces = [input([2, 3, 4], 5), input([2, 1, 4], 6), input([2, 17, 4], 7)];
    await expectConforms(backend, (a, b, c) => T.concat([a, b, c], 1), pieces, ref.concat(pieces, 1));
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
    const x = input([3, 5, 2], 8);
    await expectConforms(backend, (t) => T.indexSelect(t, 1, [4, 0, 4, 2]), [x], ref.indexSelect(x, 1, [4, 0, 4, 2]));
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
    const z = input([2, 8, 3, 5], 10);
    await expectConforms(backend, T.unsqueeze2d, [z], ref.unsqueeze2d(z), 1e-7);
  });
  test('gradients match finite differences of the loops', async () => {
    const one = (f: (x: T.Tensor) => T.Tensor, loops: (x: ref.Dense) => ref.Dense, x: Input) => expectGradientsConform(backend, f, [x], (w) => ref.numericGradient(loops, [x], w));
    await one((x) => T.permute(x, [1, 2, 0]), (x) => ref.permute(x, [1, 2, 0]), input([2, 3, 4], 1));
    await one((x) => T.slice(x, 1, 1, 3), (x) => ref.slice(x, 1, 1, 3), input([2, 4, 3], 2));
    await one((x) => T.pad(x, [[1, 0], [2, 1]]), (x) => ref.pad(x, [[1, 0], [2, 1]]), input([2, 3], 3));
    await one((x) => T.indexSelect(x, 0, [2, 0, 2, 2]), (x) => ref.indexSelect(x, 0, [2, 0, 2, 2]), input([3, 4], 6));
    await one(T.squeeze2d, ref.squeeze2d, input([1, 2, 4, 4], 7));
    await one(T.unsqueeze2d, ref.unsqueeze2d, input([1, 8, 2, 3], 9));
    const parts = [input([2, 3], 4), input([1, 3], 5)];
    await expectGradientsConform(backend, (a, b) => T.concat([a, b], 0), parts, (w) => ref.numericGradient((a, b) => ref.concat([a, b], 0), parts, w));
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
  await gradCheck((x) => T.unsqueeze2d(x), [input([1, 8, 2, 3], 9)]);
  await gradCheck((x) => T.transpose(x), [input([2, 3, 4], 10)]);
  await gradCheck((x) => T.reshape(x, [4, -1]), [input([2, 3, 4], 11)]);
  await gradCheck((x) => T.flatten(x), [input([2, 3, 4], 12)]);
});

describeEachBackend('matmul', (backend) => {
  for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [17, 3, 65], [63, 65, 17], [65, 1, 63], [130, 66, 129]]) {
    test(`${m}×${k} · ${k}×${n} matches the triple loop`, async () => {
      const inputs = [input([m, k], m + k), input([k, n], k + n)];
      await expectConforms(backend, T.matmul, inputs, ref.matmul(inputs[0], inputs[1]));
    });
  }
  test('batched and broadcast batch dimensions', async () => {
    for (const inputs of [[input([4, 3, 5], 1), input([4, 5, 2], 2)], [input([2, 1, 3, 5], 3), input([3, 5, 7], 4)]]) {
      await expectConforms(backend, T.matmul, inputs, ref.matmul(inputs[0], inputs[1]));
    }
  });
  test('gradients match finite differences of the triple loop', async () => {
    const inputs = [input([2, 17, 9], 5), input([9, 13], 6)];
    await expectGradientsConform(backend, T.matmul, inputs, (w) => ref.numericGradient(ref.matmul, inputs, w));
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

type Loss = (a: T.Tensor, b: T.Tensor) => T.Tensor;
const lossCases: [Loss, (a: ref.Dense, b: ref.Dense) => ref.Dense, Input[]][] = [
  [(x, t) => T.bceWithLogits(x, t, 'sum'), (x, t) => ref.bceWithLogits(x, t, 'sum'), [input([4, 17], 1, -5, 5), input([4, 17], 2, 0, 1)]],
  [(x, t) => T.bceWithLogits(x, t, 'mean'), (x, t) => ref.bceWithLogits(x, t, 'mean'), [input([2, 5], 3, -4, 4), input([5], 4, 0, 1)]],
  [(x, t) => T.bceWithLogits(x, t, 'none'), (x, t) => ref.bceWithLogits(x, t, 'none'), [input([3, 4], 5, -4, 4), input([3, 4], 6, 0, 1)]],
  [(a, b) => T.mse(a, b), (a, b) => ref.mse(a, b), [input([3, 5], 3), input([3, 5], 4)]],
  [(a, b) => T.mse(a, b, 'none'), (a, b) => ref.mse(a, b, 'none'), [input([3, 5], 13), input([3, 5], 14)]],
  [(a, b) => T.l1(a, b, 'sum'), (a, b) => ref.l1(a, b, 'sum'), [input([3, 5], 5), input([3, 5], 6)]],
  [(a, b) => T.l1(a, b), (a, b) => ref.l1(a, b), [input([3, 5], 15), input([3, 5], 16)]],
  [(m, v) => T.gaussianKl(m, v, 'none'), (m, v) => ref.gaussianKl(m, v, 'none'), [input([3, 5], 7), input([3, 5], 8)]],
  [(m, v) => T.gaussianKl(m, v), (m, v) => ref.gaussianKl(m, v), [input([3, 5], 9), input([3, 5], 10)]],
];

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
  test('losses and their reductions match their formulas', async () => {
    for (const [f, loops, inputs] of lossCases) await expectConforms(backend, f, inputs, loops(inputs[0], inputs[1]));
  });
  test('gradients match finite differences of their formulas', async () => {
    for (const [f, loops, inputs] of lossCases) await expectGradientsConform(backend, f, inputs, (w) => ref.numericGradient(loops, inputs, w));
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
    const withBias = [input([17, 5], 1), input([3, 5], 2), input([3], 3)];
    await expectConforms(backend, (x, w, b) => T.linear(x, w, b), withBias, ref.linear(withBias[0], withBias[1], withBias[2]));
    const batched = [input([2, 4, 5], 4), input([3, 5], 5)];
    await expectConforms(backend, (x, w) => T.linear(x, w), batched, ref.linear(batched[0], batched[1]));
  });
  test('gradients match finite differences of x·wᵀ + b', async () => {
    const inputs = [input([4, 3], 1), input([2, 3], 2), input([2], 3)];
    await expectGradientsConform(backend, (x, w, b) => T.linear(x, w, b), inputs, (w) => ref.numericGradient((x, m, b) => ref.linear(x, m, b), inputs, w));
    const batched = [input([2, 3, 3], 4), input([5, 3], 5)];
    await expectGradientsConform(backend, (x, w) => T.linear(x, w), batched, (w) => ref.numericGradient((x, m) => ref.linear(x, m), batched, w));
  });
  test('wrong feature count throws', () => {
    expect(() => T.linear(T.zeros([2, 4]), T.zeros([3, 5]))).toThrow(/linear: input \[2, 4\] has 4 features, weight \[3, 5\] expects 5/);
  });
});

test('linear gradients match finite differences', async () => {
  await gradCheck((x, w, b) => T.linear(x, w, b), [input([4, 3], 1), input([2, 3], 2), input([2], 3)]);
  await gradCheck((x, w) => T.linear(x, w), [input([2, 3, 3], 4), input([5, 3], 5)]);
});
