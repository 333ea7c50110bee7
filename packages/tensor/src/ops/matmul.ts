// Matrix products: matmul over the last two dimensions with broadcast batch dimensions. The
// backward reuses the same GEMM with transposed operands: dA = G·Bᵀ, dB = Aᵀ·G.
import { bindings, uniformDeclaration, uniformWord, type Kernel } from '../backend.ts';
import { decode, decodeWgsl } from '../indexing.ts';
import { broadcastShapes, broadcastStrides, describeShape, sizeOf } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { gemmWgsl, gemmWorkgroups, tilingFor, tilingKey, type GemmTiling } from './gemm.ts';
import { add } from './elementwise.ts';
import { sum, sumTo } from './reduce.ts';

export interface MatmulParams {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Output batch shape, and each operand's batch strides over it (0 where broadcast). */
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
  tiling: GemmTiling;
}

export const matmulKernel: Kernel<MatmulParams> = {
  name: 'matmul',
  // Shape-generic: sizes and batch strides are uniform words.
  key: (p) => `${p.transA}|${p.transB}|${p.batchShape.length}|${tilingKey(p.tiling)}`,
  uniforms: (p) => [p.M, p.N, p.K, ...p.batchShape, ...p.aBatchStrides, ...p.bBatchStrides],
  workgroups: (p) => gemmWorkgroups(p.M, p.N, sizeOf(p.batchShape), p.tiling),
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
  wgsl: (p) => {
    const r = p.batchShape.length;
    const w = (i: number) => uniformWord(i);
    const batchDims = Array.from({ length: r }, (_, d) => w(3 + d));
    const aStrides = Array.from({ length: r }, (_, d) => w(3 + r + d));
    const bStrides = Array.from({ length: r }, (_, d) => w(3 + 2 * r + d));
    const code = gemmWgsl({
      M: w(0),
      N: w(1),
      K: w(2),
      prelude: `${bindings(['a', 'b'], ['c'])}\n${uniformDeclaration(3, 3 + 3 * r)}`,
      setup: `${decodeWgsl('batch', batchDims, aStrides, 'aOff')}\n  ${decodeWgsl('batch', batchDims, bStrides, 'bOff')}\n  let cOff = batch * gM * gN;`,
      loadA: (m, k) => (p.transA ? `a[aOff + ${k} * gM + ${m}]` : `a[aOff + ${m} * gK + ${k}]`),
      loadB: (k, n) => (p.transB ? `b[bOff + ${n} * gK + ${k}]` : `b[bOff + ${k} * gN + ${n}]`),
      store: (m, n, v) => `c[cOff + ${m} * gN + ${n}] = ${v};`,
      tiling: p.tiling,
    });
    return { code };
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
  const params: MatmulParams = {
    tiling: tilingFor(M, N, Ka, a.backend.traits),
    M,
    N,
    K: Ka,
    transA,
    transB,
    batchShape,
    aBatchStrides: broadcastStrides(aBatch, batchShape).map((s) => s * ar * ac),
    bBatchStrides: broadcastStrides(bBatch, batchShape).map((s) => s * br * bc),
  };
  return apply(op, [a, b], [...batchShape, M, N], matmulKernel, params);
}

/** Matrix product over the last two dimensions; leading (batch) dimensions broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const y = gemm('matmul', a, b);
  return record('matmul', y, [a, b], (g) => [
    a.requiresGrad ? sumTo(gemm('matmul_backward', g, b, false, true), a.shape) : null,
    b.requiresGrad ? sumTo(gemm('matmul_backward', a, g, true, false), b.shape) : null,
  ]);
}

/**
 * A fully connected layer: x · wᵀ + b, with w stored [out, in] as in PyTorch. Uses the GEMM's
 * transposed operand instead of a transpose copy, forward and backward.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got ${describeShape(weight.shape)}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${describeShape(x.shape)} has ${x.shape[x.rank - 1]} features, weight ${describeShape(weight.shape)} expects ${weight.shape[1]}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(`linear: bias must have shape [${weight.shape[0]}], got ${describeShape(bias.shape)}`);
  }
  const rows = x.size / weight.shape[1];
  const x2 = x.view([rows, weight.shape[1]]);
  const product = gemm('linear', x2, weight, false, true);
  x2.dispose();
  const y = bias ? add(product, bias) : product;
  if (bias) product.dispose();
  const out = y.view([...x.shape.slice(0, -1), weight.shape[0]]);
  y.dispose();
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', out, inputs, (g) => {
    const g2 = reshapeRaw(g, [rows, weight.shape[0]]);
    const xr = reshapeRaw(x, [rows, weight.shape[1]]);
    return [
      x.requiresGrad ? reshapeRaw(gemm('linear_backward', g2, weight), x.shape) : null,
      weight.requiresGrad ? gemm('linear_backward', g2, xr, true, false) : null,
      ...(bias ? [bias.requiresGrad ? sum(g2, 0) : null] : []),
    ];
  });
}

/** A view without autodiff (backward rules run under noGrad anyway). */
function reshapeRaw(t: Tensor, shape: readonly number[]): Tensor {
  return t.view(shape);
}
