// Elementwise ops on every backend against their formulas written with the maths library (the
// independent float64 loops of testing/reference.ts), then against the float64 cpu backend; their
// gradients against finite differences of those formulas on every backend, and against finite
// differences of the op itself in float64.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectConforms, expectGradientsConform, gradCheck, input, ref, type Input } from '../testing.ts';

type Case = { name: string; f: (x: T.Tensor) => T.Tensor; formula: (x: number) => number; lo?: number; hi?: number };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const unaryCases: Case[] = [
  { name: 'neg', f: T.neg, formula: (x) => -x },
  { name: 'exp', f: T.exp, formula: Math.exp },
  { name: 'log', f: T.log, formula: Math.log, lo: 0.1, hi: 3 },
  { name: 'sqrt', f: T.sqrt, formula: Math.sqrt, lo: 0.1, hi: 3 },
  { name: 'abs', f: T.abs, formula: Math.abs },
  { name: 'relu', f: T.relu, formula: (x) => Math.max(0, x) },
  { name: 'leakyRelu', f: (x) => T.leakyRelu(x, 0.2), formula: (x) => Math.max(0, x) + 0.2 * Math.min(0, x) },
  { name: 'sigmoid', f: T.sigmoid, formula: sigmoid, lo: -6, hi: 6 },
  { name: 'tanh', f: T.tanh, formula: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1), lo: -3, hi: 3 },
  { name: 'softplus', f: T.softplus, formula: (x) => Math.log(1 + Math.exp(x)), lo: -30, hi: 30 },
  { name: 'logSigmoid', f: T.logSigmoid, formula: (x) => Math.log(sigmoid(x)), lo: -30, hi: 30 },
  { name: 'clamp', f: (x) => T.clamp(x, -0.5, 0.25), formula: (x) => Math.min(0.25, Math.max(-0.5, x)) },
  { name: 'pow 3', f: (x) => T.pow(x, 3), formula: (x) => x * x * x },
  { name: 'pow 2.5', f: (x) => T.pow(x, 2.5), formula: (x) => Math.sqrt(x) ** 5, lo: 0.1, hi: 2 },
  { name: 'pow -1', f: (x) => T.pow(x, -1), formula: (x) => 1 / x, lo: 0.5, hi: 2 },
  { name: 'square', f: T.square, formula: (x) => x * x },
  { name: 'sin', f: T.sin, formula: Math.sin },
  { name: 'cos', f: T.cos, formula: Math.cos },
  { name: 'add scalar', f: (x) => T.add(x, 1.5), formula: (x) => x + 1.5 },
  { name: 'mul scalar', f: (x) => T.mul(x, -2.25), formula: (x) => -2.25 * x },
  { name: 'scalar minus', f: (x) => T.sub(3, x), formula: (x) => 3 - x },
  { name: 'scalar over', f: (x) => T.div(2, x), formula: (x) => 2 / x, lo: 0.5, hi: 2 },
];

/** Ops that are not differentiated: forward only. */
const piecewiseConstant: Case[] = [
  { name: 'floor', f: T.floor, formula: Math.floor, lo: -3, hi: 3 },
  { name: 'sign', f: T.sign, formula: Math.sign },
];

/** Inputs away from the kinks (abs, relu, clamp at 0 and its bounds) where derivatives jump. */
function awayFromKinks(x: Input): Input {
  x.values.forEach((v, i) => {
    if (Math.abs(v) < 1e-3 || Math.abs(v + 0.5) < 1e-3 || Math.abs(v - 0.25) < 1e-3) x.values[i] = v + 0.01;
  });
  return x;
}

describeEachBackend('unary ops', (backend) => {
  for (const c of [...unaryCases, ...piecewiseConstant]) {
    for (const shape of [[1], [3, 17], [65]]) {
      test(`${c.name} ${JSON.stringify(shape)} matches its formula`, async () => {
        const x = input(shape, 7 + shape.length, c.lo, c.hi);
        await expectConforms(backend, c.f, [x], ref.map(c.formula, x));
      });
    }
  }
  for (const c of unaryCases) {
    test(`${c.name}: gradient matches finite differences of its formula`, async () => {
      const x = awayFromKinks(input([3, 5], 13, c.lo, c.hi));
      await expectGradientsConform(backend, c.f, [x], (w) => ref.numericGradient((v) => ref.map(c.formula, v), [x], w));
    });
  }
});

test('unary gradients match finite differences', async () => {
  for (const c of unaryCases) await gradCheck(c.f, [awayFromKinks(input([3, 5], 11, c.lo, c.hi))]);
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
const multiplyAddFormula = (x: number, s: number, t: number) => x * s + t;

describeEachBackend('multiplyAdd', (backend) => {
  for (const [x, s, t] of multiplyAddShapes) {
    test(`${JSON.stringify([x, s, t])} matches x·s + t`, async () => {
      const inputs = [input(x, 3), input(s, 4), input(t, 5)];
      await expectConforms(backend, T.multiplyAdd, inputs, ref.map(multiplyAddFormula, ...inputs));
    });
  }
  test('gradients (with broadcasting) match finite differences of x·s + t', async () => {
    for (const [x, s, t] of multiplyAddShapes) {
      const inputs = [input(x, 6), input(s, 7), input(t, 8)];
      await expectGradientsConform(backend, T.multiplyAdd, inputs, (w) => ref.numericGradient((...v) => ref.map(multiplyAddFormula, ...v), inputs, w));
    }
  });
  test('shapes that do not broadcast throw, naming the op and the shapes', () => {
    expect(() => T.multiplyAdd(T.zeros([2, 3]), T.zeros([3]), T.zeros([4]))).toThrow(/multiplyAdd: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
});

test('multiplyAdd gradients (with broadcasting) match finite differences', async () => {
  for (const [x, s, t] of multiplyAddShapes) await gradCheck(T.multiplyAdd, [input(x, 6), input(s, 7), input(t, 8)]);
});
