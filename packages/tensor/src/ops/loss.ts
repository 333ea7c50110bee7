// Losses used by the models: binary cross-entropy on logits (fused and overflow-free), squared and
// absolute error, and the KL divergence of a diagonal Gaussian from N(0, I).
import { Tensor, record } from '../tensor.ts';
import { broadcastShapes, describeShape } from '../shape.ts';
import { abs, add, exp, fusedBinary, mul, neg, sigmoidNumber, sigmoidWgsl, square, sub } from './elementwise.ts';
import { mean, sum, sumTo } from './reduce.ts';

export type Reduction = 'none' | 'sum' | 'mean';

function reduce(x: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return x;
  return reduction === 'sum' ? sum(x) : mean(x);
}

function checkReduction(op: string, reduction: string): void {
  if (reduction !== 'none' && reduction !== 'sum' && reduction !== 'mean') {
    throw new Error(`${op}: reduction must be 'none', 'sum' or 'mean', got '${reduction}'`);
  }
}

// max(x, 0) − x·t + log(1 + e^{−|x|}) is log(1 + e^x) − x·t without overflow for any x.
const bceTerms = fusedBinary(
  'bce_with_logits',
  (x, t) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))),
  (x, t) => `max(${x}, 0.0) - ${x} * ${t} + log(1.0 + exp(-abs(${x})))`,
);
// d/dx = σ(x) − t.
const bceGradLogits = fusedBinary('bce_with_logits_grad', (x, t) => sigmoidNumber(x) - t, (x, t) => `${sigmoidWgsl(x)} - ${t}`);

/** Binary cross-entropy between Bernoulli(σ(logits)) and targets in [0, 1]. */
export function bceWithLogits(logits: Tensor, targets: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkReduction('bceWithLogits', reduction);
  const shape = broadcastShapes('bceWithLogits', logits.shape, targets.shape);
  if (shape.length !== logits.rank || shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`bceWithLogits: targets ${describeShape(targets.shape)} must broadcast to logits ${describeShape(logits.shape)}`);
  }
  const terms = record('bceWithLogits', bceTerms(logits, targets), [logits, targets], (g) => [
    logits.requiresGrad ? mul(bceGradLogits(logits, targets), g) : null,
    targets.requiresGrad ? sumTo(mul(neg(logits), g), targets.shape) : null,
  ]);
  return reduce(terms, reduction);
}

/** Mean (or summed) squared error. */
export function mse(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkReduction('mse', reduction);
  return reduce(square(sub(a, b)), reduction);
}

/** Mean (or summed) absolute error. */
export function l1(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkReduction('l1', reduction);
  return reduce(abs(sub(a, b)), reduction);
}

/** KL( N(μ, e^{logVar}) ‖ N(0, 1) ) per element: ½(μ² + e^{logVar} − 1 − logVar). */
export function gaussianKl(mu: Tensor, logVar: Tensor, reduction: Reduction = 'sum'): Tensor {
  checkReduction('gaussianKl', reduction);
  broadcastShapes('gaussianKl', mu.shape, logVar.shape);
  const terms = mul(sub(add(square(mu), exp(logVar)), add(logVar, 1)), 0.5);
  return reduce(terms, reduction);
}
