// Numeric checks shared by every package's tests: seeded test inputs, closeness with the first
// offending element named, gradients against central finite differences in float64, and a
// backend's float32 result against the float64 cpu backend (a cross-backend check, second to the
// independent loops of reference.ts).
import { expect } from 'bun:test';
import { Tensor, assign, backward, grad, mul, noGrad, sum, tensor, tidy, withBackend, type Backend } from '../index.ts';
import { reference } from './backends.ts';

/** Deterministic pseudo-random numbers for test inputs (mulberry32), uniform in [lo, hi). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export interface Input {
  shape: number[];
  values: Float64Array;
  /** Differentiate with respect to this input (default true). */
  grad?: boolean;
}

export function input(shape: number[], seed: number, lo = -1, hi = 1, grad = true): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: randomValues(n, seed, lo, hi), grad };
}

/**
 * Checks the autodiff gradient of `f` against central finite differences, on the float64 cpu
 * backend. The scalar differentiated is Σ f(x)·w with fixed random weights w, so every output
 * element's gradient is exercised. Returns the largest relative error.
 */
export async function gradCheck(f: (...xs: Tensor[]) => Tensor, inputs: Input[], options: { eps?: number; tol?: number } = {}): Promise<number> {
  const eps = options.eps ?? 1e-6;
  const tol = options.tol ?? 1e-6;
  return withBackend(reference, async () => {
    const xs = inputs.map((i) => tensor(i.values, i.shape).requireGrad(i.grad !== false));
    const out = f(...xs);
    const weights = tensor(randomValues(out.size, 1234, 0.5, 1.5), out.shape);
    const loss = sum(mul(out, weights));
    backward(loss);
    const objective = (values: Float64Array[]): number =>
      noGrad(() =>
        tidy(() => {
          const ts = values.map((v, k) => tensor(v, inputs[k].shape));
          const o = sum(mul(f(...ts), weights));
          return reference.array(o.storage())[0];
        }),
      );
    let worst = 0;
    for (let k = 0; k < inputs.length; k++) {
      if (inputs[k].grad === false) continue;
      const analytic = await xs[k].grad!.data64();
      const values = inputs.map((i) => Float64Array.from(i.values));
      for (let j = 0; j < values[k].length; j++) {
        const saved = values[k][j];
        values[k][j] = saved + eps;
        const plus = objective(values);
        values[k][j] = saved - eps;
        const minus = objective(values);
        values[k][j] = saved;
        const numeric = (plus - minus) / (2 * eps);
        const error = Math.abs(numeric - analytic[j]) / Math.max(1, Math.abs(numeric));
        if (error > tol) {
          throw new Error(`gradient of input ${k} at ${j}: autodiff ${analytic[j]} vs finite differences ${numeric} (error ${error.toExponential(2)})`);
        }
        worst = Math.max(worst, error);
      }
    }
    for (const x of xs) x.dispose();
    return worst;
  });
}

/**
 * Checks autodiff's gradients with respect to `parameters` (tensors that `f` reads, such as a
 * layer's weights, on the float64 cpu backend) against central finite differences, each entry
 * moved in place with `assign`. The scalar is Σ f()·w with fixed random weights. Returns the
 * largest relative error; throws naming the parameter and entry beyond `tol`.
 */
export async function gradCheckParameters(parameters: ReadonlyMap<string, Tensor>, f: () => Tensor, options: { eps?: number; tol?: number } = {}): Promise<number> {
  const eps = options.eps ?? 1e-6;
  const tol = options.tol ?? 1e-6;
  return withBackend(reference, async () => {
    for (const [name, p] of parameters) if (p.backend !== reference) throw new Error(`gradCheckParameters: ${name} is not on the float64 cpu backend`);
    const list = [...parameters.values()];
    const y0 = noGrad(() => f());
    const weights = tensor(randomValues(y0.size, 4321, 0.5, 1.5), y0.shape);
    y0.dispose();
    const objective = () => noGrad(() => tidy(() => reference.array(sum(mul(f(), weights)).storage())[0]));
    const analytic = await withGrad(list, () => grad(sum(mul(f(), weights)), list));
    let worst = 0;
    let k = 0;
    for (const [name, p] of parameters) {
      const values = Float64Array.from(await p.data64());
      const want = analytic[k++];
      for (let j = 0; j < values.length; j++) {
        const saved = values[j];
        values[j] = saved + eps;
        assign(p, values);
        const plus = objective();
        values[j] = saved - eps;
        assign(p, values);
        const minus = objective();
        values[j] = saved;
        assign(p, values);
        const numeric = (plus - minus) / (2 * eps);
        const error = Math.abs(numeric - want[j]) / Math.max(1, Math.abs(numeric));
        if (error > tol) throw new Error(`gradient of ${name}[${j}]: autodiff ${want[j]} vs finite differences ${numeric} (error ${error.toExponential(2)})`);
        worst = Math.max(worst, error);
      }
    }
    weights.dispose();
    return worst;
  });
}

/** Runs `take` with `tensors` requiring gradients (as parameters do), and reads the gradients it returns. */
async function withGrad(tensors: Tensor[], take: () => Tensor[]): Promise<Float64Array[]> {
  const before = tensors.map((t) => t.requiresGrad);
  for (const t of tensors) t.requireGrad();
  try {
    const grads = take();
    const values = await Promise.all(grads.map((g) => g.data64()));
    for (const g of grads) g.dispose();
    return values;
  } finally {
    tensors.forEach((t, i) => t.requireGrad(before[i]));
  }
}

/** Elementwise |a - b| ≤ tol · max(1, |b|), with the first offending index (and `what` was compared) in the message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    const ok = Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)) || (Number.isNaN(a) && Number.isNaN(e)) || a === e;
    if (!ok) throw new Error(`${what ? `${what}: ` : ''}element ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
  }
}

/** The float64 values a test expects, and their shape (reference.ts's Dense). */
export interface Expected {
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

/** A value computed once, at its first use (an expected result shared by the suites of every backend). */
export function lazy<V>(make: () => V): () => V {
  let value: { v: V } | null = null;
  return () => (value ??= { v: make() }).v;
}

/**
 * The conformance check of one op: `f` on `backend` (in float32) against `expected`, the float64
 * loops of reference.ts written apart from the kernels; then, as a second check, against the same
 * `f` on the float64 cpu backend (the cross-backend comparison). Tolerance relative to max(1, |e|).
 */
export async function expectConforms(backend: Backend, f: (...xs: Tensor[]) => Tensor, inputs: Input[], expected: Expected | (() => Expected), tol = 1e-4): Promise<void> {
  const want = typeof expected === 'function' ? expected() : expected;
  const actual = await runOn(backend, f, inputs);
  expect(actual.shape).toEqual([...want.shape]);
  expectClose(actual.values, want.values, tol, 'against the independent float64 loops');
  const cross = await runOn(reference, f, inputs);
  expectClose(actual.values, cross.values, tol, 'against the float64 cpu backend');
}

/** Fixed weights w of the scalar Σ f(x)·w whose gradients the gradient checks compare. */
export const gradientWeights = (n: number) => randomValues(n, 99, 0.5, 1.5);

/**
 * The gradients of Σ f(x)·w (fixed weights w) with respect to the inputs that take one (grad !==
 * false), by autodiff on `backend`, against `expected(w)` — gradients found without any backward
 * rule (finite differences of reference.ts's loops, or their adjoint sums) — and, as a second
 * check, against autodiff on the float64 cpu backend.
 */
export async function expectGradientsConform(backend: Backend, f: (...xs: Tensor[]) => Tensor, inputs: Input[], expected: (weights: Float64Array) => readonly Expected[], tol = 1e-4): Promise<void> {
  const differentiated = inputs.map((x, k) => (x.grad === false ? -1 : k)).filter((k) => k >= 0);
  const gradients = (b: Backend) =>
    withBackend(b, async () => {
      const xs = inputs.map((i) => tensor(i.values, i.shape).requireGrad(i.grad !== false));
      const y = f(...xs);
      const weights = gradientWeights(y.size);
      const grads = grad(sum(mul(y, tensor(weights, y.shape))), differentiated.map((k) => xs[k]));
      const values = await Promise.all(grads.map((g) => g.data64()));
      for (const t of [...xs, y, ...grads]) t.dispose();
      return { values, weights };
    });
  const ours = await gradients(backend);
  const want = expected(ours.weights);
  const cross = await gradients(reference);
  differentiated.forEach((k, i) => {
    expect([...want[k].shape]).toEqual(inputs[k].shape);
    expectClose(ours.values[i], want[k].values, tol, `gradient of input ${k}, against the independent one`);
    expectClose(ours.values[i], cross.values[i], tol, `gradient of input ${k}, against the float64 cpu backend`);
  });
}

async function runOn(b: Backend, f: (...xs: Tensor[]) => Tensor, inputs: Input[]): Promise<{ shape: number[]; values: Float64Array }> {
  return withBackend(b, async () => {
    const xs = inputs.map((i) => tensor(i.values, i.shape));
    const y = f(...xs);
    const shape = [...y.shape];
    const values = await y.data64();
    for (const x of xs) x.dispose();
    y.dispose();
    return { shape, values };
  });
}

/** The largest |a[i] − b[i]| (the arrays must have one length). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The largest elementwise difference between two tensors (or a tensor and values), read back as float32. */
export async function maxDifference(a: Tensor, b: Tensor | ArrayLike<number>): Promise<number> {
  const x = await a.data();
  const y = b instanceof Tensor ? await b.data() : b;
  expect(x.length).toBe(y.length);
  return maxAbsDiff(x, y);
}
