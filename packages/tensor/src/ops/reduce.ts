// Reductions over axes (sum, mean, max), and sumTo (the gradient of broadcasting), with autodiff.
// The kernel and the raw reductions live in reduce-kernel.ts, which the other ops' backward rules use.
import { normalizeAxes, shapesEqual } from '../shape.ts';
import { Tensor, record } from '../tensor.ts';
import { div, equal, mul } from './elementwise.ts';
import { broadcastTo, reshape } from './movement.ts';
import { broadcastAxes, reduceRaw } from './reduce-kernel.ts';

function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('sum', axes, x.rank);
  const outShape = reducedShape(x.shape, ax, keepDims);
  if (ax.length === 0) return reshape(x, outShape);
  const y = reduceRaw('sum', x, ax, outShape);
  return recordReduce('sum', x, y, (g) => broadcastTo(reshape(g, reducedShape(x.shape, ax, true)), x.shape));
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, ax, keepDims), count);
}

/** Maximum over axes; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normalizeAxes('max', axes, x.rank);
  const outShape = reducedShape(x.shape, ax, keepDims);
  if (ax.length === 0) return reshape(x, outShape);
  const y = reduceRaw('max', x, ax, outShape);
  return recordReduce('max', x, y, (g, out) => {
    const kept = reducedShape(x.shape, ax, true);
    const mask = equal(x, reshape(out, kept));
    const count = reduceRaw('sum', mask, ax, kept);
    return mul(mask, div(reshape(g, kept), count));
  });
}

function recordReduce(op: string, x: Tensor, y: Tensor, rule: (g: Tensor, y: Tensor) => Tensor): Tensor {
  return record(op, y, [x], (g, out) => [rule(g, out)]);
}

// ---- broadcasting ---------------------------------------------------------------------------

/** Sums `g` over the dimensions along which `shape` was broadcast, giving a tensor of `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  return reshape(sum(g, broadcastAxes(g.shape, shape), true), shape);
}
