// Small dense linear algebra on batches of c×c matrices (the last two dimensions), for Glow's
// invertible 1×1 convolution W = P·L·(U + diag(s)), whose inverse the decoder is trained through:
// LU with partial pivoting, inverse (Gauss–Jordan), triangular solve and log|det|. With c up to
// ~64 a matrix is one GPU invocation running the textbook serial loops (c is baked into the WGSL),
// and its own slice of an output buffer is its workspace; at these sizes a dispatch costs more than
// the arithmetic. Gradients are built from matmul: inverse, solve and log|det| are differentiable.
import { bindings, f32Literal, grid1dCounts, gridIndex, type Kernel } from '../backend.ts';
import { decode, decodeWgsl } from '../indexing.ts';
import { broadcastShapes, broadcastStrides, describeShape, sizeOf } from '../shape.ts';
import { Tensor, apply, applyMulti, record } from '../tensor.ts';
import { mul, neg } from './elementwise.ts';
import { gemm } from './matmul.ts';
import { reshape, transpose } from './movement.ts';
import { sumTo } from './reduce.ts';

export interface MatrixParams {
  /** Number of matrices (the product of the leading dimensions). */
  batches: number;
  c: number;
}

/** Checks that `a` is a batch of non-empty square matrices; returns their size and count. */
function squareMatrices(op: string, a: Tensor, name = 'A'): MatrixParams {
  const [rows, cols] = a.shape.slice(-2);
  if (a.rank < 2 || rows !== cols || rows === 0) {
    throw new Error(`${op}: ${name} must be a batch of non-empty square matrices [..., c, c], got shape ${describeShape(a.shape)}`);
  }
  return { batches: sizeOf(a.shape.slice(0, -2)), c: rows };
}

const matrixKey = (p: MatrixParams) => `${p.batches}|${p.c}`;

/**
 * `dim` = c as a loop bound the shader compiler cannot bound (a buffer's length never has bit 31
 * set). With constant, or min(c, …)-bounded, trip counts Mesa unrolls these nested loops, and
 * compiling one pipeline on lavapipe took 1 s to 18 s for c = 6 … 24; now it is about 0.2 s for any c.
 */
function opaqueDim(c: number): string {
  return `let dim = ${c}u | (arrayLength(&a) & 0x80000000u);`;
}

/** WGSL preamble for one invocation per matrix: `o` is the matrix's offset into c×c buffers. */
function perMatrix(p: MatrixParams, grid: { index: string }): string {
  return `let z = ${grid.index};
  if (z >= ${p.batches}u) { return; }
  let o = z * ${p.c * p.c}u;
  ${opaqueDim(p.c)}`;
}

/** Row of the largest |entry| in column k at or below the diagonal (the first one on ties). */
export function pivotRow(m: ArrayLike<number>, o: number, c: number, k: number): number {
  let best = k;
  let bestAbs = Math.abs(m[o + k * c + k]);
  for (let i = k + 1; i < c; i++) {
    const v = Math.abs(m[o + i * c + k]);
    if (v > bestAbs) {
      best = i;
      bestAbs = v;
    }
  }
  return best;
}

function pivotRowWgsl(m: string, c: number): string {
  return `var best = k;
    var bestAbs = abs(${m}[o + k * ${c}u + k]);
    for (var i = k + 1u; i < dim; i++) {
      let v = abs(${m}[o + i * ${c}u + k]);
      if (v > bestAbs) { best = i; bestAbs = v; }
    }`;
}

export function swapRows(m: { [i: number]: number }, o: number, c: number, r1: number, r2: number): void {
  for (let j = 0; j < c; j++) {
    const t = m[o + r1 * c + j];
    m[o + r1 * c + j] = m[o + r2 * c + j];
    m[o + r2 * c + j] = t;
  }
}

function swapRowsWgsl(m: string, c: number): string {
  return `for (var j = 0u; j < dim; j++) { let t = ${m}[o + k * ${c}u + j]; ${m}[o + k * ${c}u + j] = ${m}[o + best * ${c}u + j]; ${m}[o + best * ${c}u + j] = t; }`;
}

// ---- LU with partial pivoting ---------------------------------------------------------------

/** Outputs L, U and P with A = P·L·U; U is eliminated in place from a copy of A. */
const luKernel: Kernel<MatrixParams> = {
  name: 'lu',
  key: matrixKey,
  workgroups: (p, traits) => grid1dCounts(p.batches, traits),
  cpu: ([a], [l, u, p], { batches, c }) => {
    const perm = new Int32Array(c);
    for (let z = 0; z < batches; z++) {
      const o = z * c * c;
      for (let i = 0; i < c * c; i++) {
        u[o + i] = a[o + i];
        l[o + i] = 0;
        p[o + i] = 0;
      }
      for (let i = 0; i < c; i++) perm[i] = i;
      for (let k = 0; k < c; k++) {
        const best = pivotRow(u, o, c, k);
        if (best !== k) {
          swapRows(u, o, c, k, best);
          swapRows(l, o, c, k, best);
          [perm[k], perm[best]] = [perm[best], perm[k]];
        }
        const pivot = u[o + k * c + k];
        // A zero pivot means the column is already zero below the diagonal: nothing to eliminate.
        if (pivot === 0) continue;
        for (let i = k + 1; i < c; i++) {
          const f = u[o + i * c + k] / pivot;
          l[o + i * c + k] = f;
          u[o + i * c + k] = 0;
          for (let j = k + 1; j < c; j++) u[o + i * c + j] -= f * u[o + k * c + j];
        }
      }
      // Row i of L·U is row perm[i] of A, so A = P·L·U with P[perm[i], i] = 1.
      for (let i = 0; i < c; i++) {
        l[o + i * c + i] = 1;
        p[o + perm[i] * c + i] = 1;
      }
    }
  },
  wgsl: (params, traits) => {
    const { c } = params;
    const g = { index: gridIndex(traits) };
    return {
      code: `${bindings(['a'], ['l', 'u', 'p'])}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  ${perMatrix(params, g)}
  for (var i = 0u; i < dim * dim; i++) { u[o + i] = a[o + i]; l[o + i] = 0.0; p[o + i] = 0.0; }
  var perm: array<u32, ${c}>;
  for (var i = 0u; i < dim; i++) { perm[i] = i; }
  for (var k = 0u; k < dim; k++) {
    ${pivotRowWgsl('u', c)}
    if (best != k) {
      ${swapRowsWgsl('u', c)}
      ${swapRowsWgsl('l', c)}
      let t = perm[k]; perm[k] = perm[best]; perm[best] = t;
    }
    let pivot = u[o + k * ${c}u + k];
    if (pivot == 0.0) { continue; }
    for (var i = k + 1u; i < dim; i++) {
      let f = u[o + i * ${c}u + k] / pivot;
      l[o + i * ${c}u + k] = f;
      u[o + i * ${c}u + k] = 0.0;
      for (var j = k + 1u; j < dim; j++) { u[o + i * ${c}u + j] -= f * u[o + k * ${c}u + j]; }
    }
  }
  for (var i = 0u; i < dim; i++) { l[o + i * ${c}u + i] = 1.0; p[o + perm[i] * ${c}u + i] = 1.0; }
}`,
    };
  },
};

/**
 * LU decomposition with partial pivoting, A = P·L·U, per matrix of a batch [..., c, c]: P a
 * permutation matrix, L unit lower triangular, U upper triangular. Not differentiable (Glow uses
 * it once, to parameterise W from a random rotation). A singular A gives a U with a zero diagonal.
 */
export function lu(a: Tensor): { P: Tensor; L: Tensor; U: Tensor } {
  const params = squareMatrices('lu', a);
  const [L, U, P] = applyMulti('lu', [a], [a.shape, a.shape, a.shape], luKernel, params);
  return { P, L, U };
}

// ---- inverse: Gauss–Jordan with partial pivoting ----------------------------------------------

/** Reduces a copy of A (the scratch output `w`) to I while applying the same row operations to `x` = I. */
export const inverseKernel: Kernel<MatrixParams> = {
  name: 'inverse',
  key: matrixKey,
  workgroups: (p, traits) => grid1dCounts(p.batches, traits),
  cpu: ([a], [x, w], { batches, c }) => {
    for (let z = 0; z < batches; z++) {
      const o = z * c * c;
      for (let i = 0; i < c * c; i++) {
        w[o + i] = a[o + i];
        x[o + i] = 0;
      }
      for (let i = 0; i < c; i++) x[o + i * c + i] = 1;
      for (let k = 0; k < c; k++) {
        const best = pivotRow(w, o, c, k);
        if (best !== k) {
          swapRows(w, o, c, k, best);
          swapRows(x, o, c, k, best);
        }
        const scale = 1 / w[o + k * c + k];
        for (let j = 0; j < c; j++) {
          w[o + k * c + j] *= scale;
          x[o + k * c + j] *= scale;
        }
        for (let i = 0; i < c; i++) {
          const f = w[o + i * c + k];
          if (i === k || f === 0) continue;
          for (let j = 0; j < c; j++) {
            w[o + i * c + j] -= f * w[o + k * c + j];
            x[o + i * c + j] -= f * x[o + k * c + j];
          }
        }
      }
    }
  },
  wgsl: (params, traits) => {
    const { c } = params;
    const g = { index: gridIndex(traits) };
    return {
      code: `${bindings(['a'], ['x', 'w'])}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  ${perMatrix(params, g)}
  for (var i = 0u; i < dim * dim; i++) { w[o + i] = a[o + i]; x[o + i] = 0.0; }
  for (var i = 0u; i < dim; i++) { x[o + i * ${c}u + i] = 1.0; }
  for (var k = 0u; k < dim; k++) {
    ${pivotRowWgsl('w', c)}
    if (best != k) {
      ${swapRowsWgsl('w', c)}
      ${swapRowsWgsl('x', c)}
    }
    let scale = 1.0 / w[o + k * ${c}u + k];
    for (var j = 0u; j < dim; j++) { w[o + k * ${c}u + j] *= scale; x[o + k * ${c}u + j] *= scale; }
    for (var i = 0u; i < dim; i++) {
      let f = w[o + i * ${c}u + k];
      if (i == k || f == 0.0) { continue; }
      for (var j = 0u; j < dim; j++) {
        w[o + i * ${c}u + j] -= f * w[o + k * ${c}u + j];
        x[o + i * ${c}u + j] -= f * x[o + k * ${c}u + j];
      }
    }
  }
}`,
    };
  },
};

/** A⁻¹ without autodiff (also used by logAbsDet's backward). */
function invert(op: string, a: Tensor): Tensor {
  const params = squareMatrices(op, a);
  const [x, scratch] = applyMulti(op, [a], [a.shape, a.shape], inverseKernel, params);
  scratch.dispose();
  return x;
}

/**
 * The inverse of each matrix of a batch [..., c, c]. Differentiable: d(A⁻¹) = −A⁻¹·dA·A⁻¹, so the
 * gradient is −A⁻ᵀ·G·A⁻ᵀ. A singular matrix gives Inf/NaN entries (checked mode reports them).
 */
export function inverse(a: Tensor): Tensor {
  const x = invert('inverse', a);
  return record('inverse', x, [a], (g, inv) => [neg(gemm('inverse_backward', gemm('inverse_backward', inv, g, true, false), inv, false, true))]);
}

// ---- triangular solve -----------------------------------------------------------------------

export interface TriangularSolveOptions {
  /** A is lower triangular (else upper); entries of the other triangle are never read. */
  lower: boolean;
  /** A's diagonal is taken as ones and never read. */
  unitDiagonal: boolean;
  /** Solve Aᵀ·X = B instead. */
  transpose?: boolean;
}

interface SolveParams {
  c: number;
  /** Columns of B. */
  k: number;
  lower: boolean;
  unitDiagonal: boolean;
  transpose: boolean;
  /** Output batch shape, and each operand's batch strides over it (0 where broadcast). */
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
}

/** One invocation per column of each right-hand side: forward substitution, or back substitution. */
const solveKernel: Kernel<SolveParams> = {
  name: 'triangular_solve',
  key: (p) => JSON.stringify(p),
  workgroups: (p, traits) => grid1dCounts(sizeOf(p.batchShape) * p.k, traits),
  cpu: ([a, b], [x], p) => {
    const { c, k } = p;
    // op(A) = Aᵀ is lower exactly when A is upper.
    const forward = p.lower !== p.transpose;
    const at = (aOff: number, i: number, m: number) => (p.transpose ? a[aOff + m * c + i] : a[aOff + i * c + m]);
    const batches = sizeOf(p.batchShape);
    for (let z = 0; z < batches; z++) {
      const aOff = decode(z, p.batchShape, p.aBatchStrides);
      const bOff = decode(z, p.batchShape, p.bBatchStrides);
      const xOff = z * c * k;
      for (let col = 0; col < k; col++) {
        for (let s = 0; s < c; s++) {
          const i = forward ? s : c - 1 - s;
          let acc = b[bOff + i * k + col];
          if (forward) for (let m = 0; m < i; m++) acc -= at(aOff, i, m) * x[xOff + m * k + col];
          else for (let m = i + 1; m < c; m++) acc -= at(aOff, i, m) * x[xOff + m * k + col];
          x[xOff + i * k + col] = p.unitDiagonal ? acc : acc / at(aOff, i, i);
        }
      }
    }
  },
  wgsl: (p, traits) => {
    const { c, k } = p;
    const total = sizeOf(p.batchShape) * k;
    const g = { index: gridIndex(traits) };
    const forward = p.lower !== p.transpose;
    const at = (i: string, m: string) => (p.transpose ? `a[aOff + ${m} * ${c}u + ${i}]` : `a[aOff + ${i} * ${c}u + ${m}]`);
    return {
      code: `${bindings(['a', 'b'], ['x'])}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let id = ${g.index};
  if (id >= ${total}u) { return; }
  let batch = id / ${k}u;
  let col = id % ${k}u;
  ${decodeWgsl('batch', p.batchShape, p.aBatchStrides, 'aOff')}
  ${decodeWgsl('batch', p.batchShape, p.bBatchStrides, 'bOff')}
  let xOff = batch * ${c * k}u + col;
  ${opaqueDim(c)}
  for (var s = 0u; s < dim; s++) {
    let i = ${forward ? 's' : `${c - 1}u - s`};
    var acc = b[bOff + i * ${k}u + col];
    for (var m = ${forward ? '0u' : 'i + 1u'}; m < ${forward ? 'i' : 'dim'}; m++) { acc -= ${at('i', 'm')} * x[xOff + m * ${k}u]; }
    x[xOff + i * ${k}u] = ${p.unitDiagonal ? 'acc' : `acc / ${at('i', 'i')}`};
  }
}`,
    };
  },
};

/** Solves op(A)·X = B without autodiff; batch dimensions broadcast. */
function solve(op: string, a: Tensor, b: Tensor, lower: boolean, unitDiagonal: boolean, transpose: boolean): Tensor {
  const { c } = squareMatrices(op, a);
  if (b.rank < 2 || b.shape[b.rank - 2] !== c) {
    throw new Error(`${op}: B must be [..., ${c}, k] to match A ${describeShape(a.shape)}, got shape ${describeShape(b.shape)}`);
  }
  const k = b.shape[b.rank - 1];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(op, aBatch, bBatch);
  const params: SolveParams = {
    c,
    k,
    lower,
    unitDiagonal,
    transpose,
    batchShape,
    aBatchStrides: broadcastStrides(aBatch, batchShape).map((s) => s * c * c),
    bBatchStrides: broadcastStrides(bBatch, batchShape).map((s) => s * c * k),
  };
  return apply(op, [a, b], [...batchShape, c, k], solveKernel, params);
}

interface TriangleParams {
  n: number;
  c: number;
  lower: boolean;
  /** Exclude the diagonal. */
  strict: boolean;
  scale: number;
}

/** scale·G on one triangle of each c×c matrix, zero elsewhere: the gradient of a triangular operand. */
const triangleKernel: Kernel<TriangleParams> = {
  name: 'triangle',
  key: (p) => JSON.stringify(p),
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: ([g], [out], p) => {
    for (let i = 0; i < p.n; i++) {
      const row = Math.floor(i / p.c) % p.c;
      const col = i % p.c;
      const inside = (p.lower ? col <= row : col >= row) && !(p.strict && col === row);
      out[i] = inside ? p.scale * g[i] : 0;
    }
  },
  wgsl: (p, traits) => {
    const grid = { index: gridIndex(traits) };
    const inside = `(${p.lower ? 'col <= row' : 'col >= row'})${p.strict ? ' && col != row' : ''}`;
    return {
      code: `${bindings(['g'], ['out'])}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${grid.index};
  if (i >= ${p.n}u) { return; }
  let row = (i / ${p.c}u) % ${p.c}u;
  let col = i % ${p.c}u;
  out[i] = select(0.0, ${f32Literal(p.scale)} * g[i], ${inside});
}`,
    };
  },
};

/**
 * X with A·X = B (or Aᵀ·X = B), for A a batch of triangular matrices [..., c, c] and B [..., c, k];
 * batch dimensions broadcast as in matmul. Only A's triangle is read. Differentiable in both:
 * gB = op(A)⁻ᵀ·G (another solve) and gA = −gB·Xᵀ (transposed when op(A) = Aᵀ), kept to A's
 * triangle (off the diagonal when unitDiagonal).
 */
export function triangularSolve(a: Tensor, b: Tensor, options: TriangularSolveOptions): Tensor {
  const { lower, unitDiagonal } = options;
  const trans = options.transpose ?? false;
  const x = solve('triangularSolve', a, b, lower, unitDiagonal, trans);
  return record('triangularSolve', x, [a, b], (g) => {
    const gb = solve('triangularSolve_backward', a, g, lower, unitDiagonal, !trans);
    let ga: Tensor | null = null;
    if (a.requiresGrad) {
      const outer = trans ? gemm('triangularSolve_backward', x, gb, false, true) : gemm('triangularSolve_backward', gb, x, false, true);
      const c = a.shape[a.rank - 1];
      const masked = apply('triangularSolve_backward', [outer], outer.shape, triangleKernel, { n: outer.size, c, lower, strict: unitDiagonal, scale: -1 });
      ga = sumTo(masked, a.shape);
    }
    return [ga, b.requiresGrad ? sumTo(gb, b.shape) : null];
  });
}

// ---- log|det| ---------------------------------------------------------------------------------

/** Σ log|pivot| of Gaussian elimination with partial pivoting, in a scratch copy `w` of A. */
const logAbsDetKernel: Kernel<MatrixParams> = {
  name: 'log_abs_det',
  key: matrixKey,
  workgroups: (p, traits) => grid1dCounts(p.batches, traits),
  cpu: ([a], [out, w], { batches, c }) => {
    for (let z = 0; z < batches; z++) {
      const o = z * c * c;
      for (let i = 0; i < c * c; i++) w[o + i] = a[o + i];
      let sum = 0;
      for (let k = 0; k < c; k++) {
        const best = pivotRow(w, o, c, k);
        if (best !== k) swapRows(w, o, c, k, best);
        const pivot = w[o + k * c + k];
        if (pivot === 0) {
          sum = -Infinity;
          break;
        }
        sum += Math.log(Math.abs(pivot));
        for (let i = k + 1; i < c; i++) {
          const f = w[o + i * c + k] / pivot;
          for (let j = k + 1; j < c; j++) w[o + i * c + j] -= f * w[o + k * c + j];
        }
      }
      out[z] = sum;
    }
  },
  wgsl: (params, traits) => {
    const { c } = params;
    const g = { index: gridIndex(traits) };
    return {
      code: `${bindings(['a'], ['out', 'w'])}
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3u) {
  ${perMatrix(params, g)}
  for (var i = 0u; i < dim * dim; i++) { w[o + i] = a[o + i]; }
  var sum = 0.0;
  for (var k = 0u; k < dim; k++) {
    ${pivotRowWgsl('w', c)}
    if (best != k) { ${swapRowsWgsl('w', c)} }
    let pivot = w[o + k * ${c}u + k];
    if (pivot == 0.0) {
      // WGSL has no infinity literal (and log(0) is not specified): build -Inf from its bits at run time.
      var negativeInfinity = 0xff800000u;
      out[z] = bitcast<f32>(negativeInfinity);
      return;
    }
    sum += log(abs(pivot));
    for (var i = k + 1u; i < dim; i++) {
      let f = w[o + i * ${c}u + k] / pivot;
      for (var j = k + 1u; j < dim; j++) { w[o + i * ${c}u + j] -= f * w[o + k * ${c}u + j]; }
    }
  }
  out[z] = sum;
}`,
    };
  },
};

/**
 * log|det A| for each matrix of a batch [..., c, c], shape [...] (via LU: the sum of log|pivot|).
 * A matrix whose elimination meets an exactly zero pivot gives −Infinity; a numerically singular
 * one gives a large negative number. Differentiable: the gradient is g·A⁻ᵀ.
 */
export function logAbsDet(a: Tensor): Tensor {
  const params = squareMatrices('logAbsDet', a);
  const batchShape = a.shape.slice(0, -2);
  const [y, scratch] = applyMulti('logAbsDet', [a], [batchShape, a.shape], logAbsDetKernel, params);
  scratch.dispose();
  return record('logAbsDet', y, [a], (g) => [mul(reshape(g, [...batchShape, 1, 1]), transpose(invert('logAbsDet_backward', a)))]);
}
