// Self-attention over a set of tokens (Vaswani et al. 2017), one head: with learned Q, K, V and an
// output projection, y = x + W_o · softmax(Q Kᵀ / √d) V. The residual keeps each token's own
// content, the attention adds what the other tokens say about it. Tokens are [N, L, D].
import * as T from '@maga/tensor';
import { Linear } from './layers.ts';
import { Module } from './module.ts';

/** softmax along the last axis; the max subtracted for stability carries no gradient (softmax ignores shifts). */
export function softmax(x: T.Tensor): T.Tensor {
  const shift = T.noGrad(() => T.max(x, -1, true));
  const e = x.sub(shift).exp();
  return e.div(T.sum(e, -1, true));
}

export class SelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly output: Linear;

  constructor(
    readonly dim: number,
    /** Width of queries, keys and values. */
    readonly headDim: number,
    rng: T.Rng,
  ) {
    super();
    this.query = this.child('query', new Linear(dim, headDim, rng));
    this.key = this.child('key', new Linear(dim, headDim, rng));
    this.value = this.child('value', new Linear(dim, headDim, rng));
    this.output = this.child('output', new Linear(headDim, dim, rng));
  }

  /** The attention weights [N, L, L] (row i: how much token i reads from each token). */
  weights(x: T.Tensor): T.Tensor {
    const [n, l] = this.check(x);
    const flat = x.reshape([n * l, this.dim]);
    const q = this.query.forward(flat).reshape([n, l, this.headDim]);
    const k = this.key.forward(flat).reshape([n, l, this.headDim]);
    return softmax(T.matmul(q, T.transpose(k)).div(Math.sqrt(this.headDim)));
  }

  forward(x: T.Tensor): T.Tensor {
    const [n, l] = this.check(x);
    const v = this.value.forward(x.reshape([n * l, this.dim])).reshape([n, l, this.headDim]);
    const mixed = T.matmul(this.weights(x), v).reshape([n * l, this.headDim]);
    return x.add(this.output.forward(mixed).reshape([n, l, this.dim]));
  }

  private check(x: T.Tensor): [number, number] {
    if (x.rank !== 3 || x.shape[2] !== this.dim) throw new Error(`self-attention: tokens must be [N, L, ${this.dim}], got ${T.describeShape(x.shape)}`);
    return [x.shape[0], x.shape[1]];
  }
}
