// Matrix products: matmul over the last two dimensions with broadcast batch dimensions. The
// backward reuses the same GEMM with transposed operands: dA = G·Bᵀ, dB = Aᵀ·G.
import { bindings, type Kernel } from '../backend.ts';
import { decode, decodeWgsl } from '../indexing.ts';
import { broadcastShapes, broadcastStrides, describeShape, sizeOf } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { tilingFor, gemmWgsl } from './gemm.ts';
import { sumTo } from './reduce.ts';

interface GemmParams {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Output batch shape, and each operand's batch strides over it (0 where broadcast). */
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
}

const gemmKernel: Kernel<GemmParams> = {
  name: 'matmul',
  key: (p) => JSON.stringify(p),
  cpu: ([a, b], [out], p) => {
    const { M, N, K } = p;
    const batches = sizeOf(p.batchShape);
    const row = new Float64Array(N);
    for (let z = 0; z < batches; z++) {
      const aOff = decode(z, p.batchShape, p.aBatchStrides);
      const bOff = decode(z, p.batchShape, p.bBatchStrides);
      const cOff = z * M * N;
      for (let m = 0; m < M; m++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const av = a[aOff + (p.transA ? k * M + m : m * K + k)];
          if (av === 0) continue;
          if (p.transB) for (let n = 0; n < N; n++) row[n] += av * b[bOff + n * K + k];
          else {
            const base = bOff + k * N;
            for (let n = 0; n < N; n++) row[n] += av * b[base + n];
          }
        }
        for (let n = 0; n < N; n++) out[cOff + m * N + n] = row[n];
      }
    }
  },
  wgsl: (p, traits) => {
    const { M, N, K } = p;
    return gemmWgsl({
      M,
      N,
      K,
      batches: sizeOf(p.batchShape),
      prelude: bindings(['a', 'b'], ['c']),
      setup: `${decodeWgsl('batch', p.batchShape, p.aBatchStrides, 'aOff')}\n  ${decodeWgsl('batch', p.batchShape, p.bBatchStrides, 'bOff')}\n  let cOff = batch * ${M * N}u;`,
      loadA: (m, k) => (p.transA ? `a[aOff + ${k} * ${M}u + ${m}]` : `a[aOff + ${m} * ${K}u + ${k}]`),
      loadB: (k, n) => (p.transB ? `b[bOff + ${n} * ${K}u + ${k}]` : `b[bOff + ${k} * ${N}u + ${n}]`),
      store: (m, n, v) => `c[cOff + ${m} * ${N}u + ${n}] = ${v};`,
      tiling: tilingFor(M, N, traits),
    });
  },
};

/** (transA ? Aᵀ : A) · (transB ? Bᵀ : B) over the last two dimensions, without autodiff. */
export function gemm(op: string, a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.rank < 2 || b.rank < 2) throw new Error(`${op}: expected tensors of rank ≥ 2, got ${describeShape(a.shape)} and ${describeShape(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, Ka] = transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transB ? [bc, br] : [br, bc];
  if (Ka !== Kb) {
    throw new Error(`${op}: inner dimensions differ: ${describeShape(a.shape)}${transA ? 'ᵀ' : ''} · ${describeShape(b.shape)}${transB ? 'ᵀ' : ''} (${Ka} ≠ ${Kb})`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(op, aBatch, bBatch);
  const params: GemmParams = {
    M,
    N,
    K: Ka,
    transA,
    transB,
    batchShape,
    aBatchStrides: broadcastStrides(aBatch, batchShape).map((s) => s * ar * ac),
    bBatchStrides: broadcastStrides(bBatch, batchShape).map((s) => s * br * bc),
  };
  return apply(op, [a, b], [...batchShape, M, N], gemmKernel, params);
}

/** Matrix product over the last two dimensions; leading (batch) dimensions broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const y = gemm('matmul', a, b);
  return record('matmul', y, [a, b], (g) => [
    a.requiresGrad ? sumTo(gemm('matmul_backward', g, b, false, true), a.shape) : null,
    b.requiresGrad ? sumTo(gemm('matmul_backward', a, g, true, false), b.shape) : null,
  ]);
}
