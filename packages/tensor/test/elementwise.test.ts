import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectMatchesReference, gradCheck, input } from '../testing.ts';

type Case = { name: string; f: (x: T.Tensor) => T.Tensor; lo?: number; hi?: number };

const unaryCases: Case[] = [
  { name: 'neg', f: T.neg },
  { name: 'exp', f: T.exp },
  { name: 'log', f: T.log, lo: 0.1, hi: 3 },
  { name: 'sqrt', f: T.sqrt, lo: 0.1, hi: 3 },
  { name: 'abs', f: T.abs },
  { name: 'relu', f: T.relu },
  { name: 'leakyRelu', f: (x) => T.leakyRelu(x, 0.2) },
  { name: 'sigmoid', f: T.sigmoid, lo: -6, hi: 6 },
  { name: 'tanh', f: T.tanh, lo: -3, hi: 3 },
  { name: 'softplus', f: T.softplus, lo: -30, hi: 30 },
  { name: 'logSigmoid', f: T.logSigmoid, lo: -30, hi: 30 },
  { name: 'clamp', f: (x) => T.clamp(x, -0.5, 0.25) },
  { name: 'pow 3', f: (x) => T.pow(x, 3) },
  { name: 'pow 2.5', f: (x) => T.pow(x, 2.5), lo: 0.1, hi: 2 },
  { name: 'pow -1', f: (x) => T.pow(x, -1), lo: 0.5, hi: 2 },
  { name: 'square', f: T.square },
  { name: 'sin', f: T.sin },
  { name: 'cos', f: T.cos },
  { name: 'add scalar', f: (x) => T.add(x, 1.5) },
  { name: 'mul scalar', f: (x) => T.mul(x, -2.25) },
  { name: 'scalar minus', f: (x) => T.sub(3, x) },
  { name: 'scalar over', f: (x) => T.div(2, x), lo: 0.5, hi: 2 },
];

describeEachBackend('unary ops', (backend) => {
  for (const c of unaryCases) {
    for (const shape of [[1], [3, 17], [65]]) {
      test(`${c.name} ${JSON.stringify(shape)} matches the float64 reference`, async () => {
        await expectMatchesReference(backend, c.f, [input(shape, 7 + shape.length, c.lo, c.hi)]);
      });
    }
  }
});

test('unary gradients match finite differences', async () => {
  for (const c of unaryCases) {
    // Keep away from kinks (abs, relu, clamp at 0 / bounds) where finite differences are meaningless.
    const x = input([3, 5], 11, c.lo, c.hi);
    x.values.forEach((v, i) => {
      if (Math.abs(v) < 1e-3 || Math.abs(v + 0.5) < 1e-3 || Math.abs(v - 0.25) < 1e-3) x.values[i] = v + 0.01;
    });
    await gradCheck(c.f, [x]);
  }
});

// multiplyAdd's three operands broadcast together: ActNorm's per-channel case, a full shift, a
// leading batch of one, and a scale that is a full tensor with a per-channel shift.
const multiplyAddShapes: [number[], number[], number[]][] = [
  [[3, 4, 5, 2], [1, 4, 1, 1], [1, 4, 1, 1]],
  [[3, 4, 5, 2], [1, 4, 1, 1], [3, 4, 5, 2]],
  [[1, 17], [6, 17], [6, 1]],
  [[65], [65], [65]],
  [[2, 3], [1], [3]],
];

describeEachBackend('multiplyAdd', (backend) => {
  for (const [x, s, t] of multiplyAddShapes) {
    test(`${JSON.stringify([x, s, t])} matches the float64 reference`, async () => {
      await expectMatchesReference(backend, T.multiplyAdd, [input(x, 3), input(s, 4), input(t, 5)]);
    });
  }
  test('shapes that do not broadcast throw, naming the op and the shapes', () => {
    expect(() => T.multiplyAdd(T.zeros([2, 3]), T.zeros([3]), T.zeros([4]))).toThrow(/multiplyAdd: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
});

test('multiplyAdd gradients (with broadcasting) match finite differences', async () => {
  for (const [x, s, t] of multiplyAddShapes) await gradCheck(T.multiplyAdd, [input(x, 6), input(s, 7), input(t, 8)]);
});
