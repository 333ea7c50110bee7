// Float64 reference loops for every op family, written apart from the kernels: this module imports
// nothing of the tensor package, so a bug in a shared kernel (the cpu loops that the cpu and native
// backends both run, a backward rule every backend shares) cannot hide in the expected values.
// Each function is the textbook definition, one output element at a time, with no attempt at
// speed: broadcasting by coordinates, reductions by visiting every element, matmul as the triple
// loop, convolutions and their adjoints as direct sums over taps, losses by their formulas,
// the inverse by Gauss–Jordan and the triangular solve by substitution. Gradients of anything
// written here come from central differences of these loops (numericGradient) or, for the
// convolutions, from their adjoint sums, which tests check against those differences.

/** A float64 array with its row-major shape. */
export interface Dense {
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

export const dense = (shape: readonly number[], values: ArrayLike<number>): Dense => {
  if (values.length !== size(shape)) throw new Error(`reference: ${values.length} values for shape [${shape.join(', ')}]`);
  return { shape: [...shape], values: Float64Array.from(values) };
};

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** The coordinates of flat index i in `shape`. */
export function coordinates(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/** The flat index of coordinates c in `shape`. */
export function flat(c: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + c[d];
  return i;
}

// ---- elementwise, with NumPy broadcasting ------------------------------------------------------

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    let n = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + d] ?? 1;
      if (v !== 1 && n !== 1 && v !== n) throw new Error(`reference: shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(', ')} do not broadcast`);
      if (v !== 1) n = v;
    }
    out.push(n);
  }
  return out;
}

/** The value of `x` read at output coordinates `c` of a broadcast (size-1 and missing dimensions repeat). */
export function readBroadcast(x: Dense, c: readonly number[]): number {
  const offset = c.length - x.shape.length;
  let i = 0;
  for (let d = 0; d < x.shape.length; d++) i = i * x.shape[d] + (x.shape[d] === 1 ? 0 : c[offset + d]);
  return x.values[i];
}

/** f applied elementwise to the operands broadcast together. */
export function map(f: (...v: number[]) => number, ...xs: Dense[]): Dense {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  const values = new Float64Array(size(shape));
  for (let i = 0; i < values.length; i++) {
    const c = coordinates(i, shape);
    values[i] = f(...xs.map((x) => readBroadcast(x, c)));
  }
  return { shape, values };
}

export const broadcastTo = (x: Dense, shape: readonly number[]): Dense => map((v) => v, x, { shape, values: new Float64Array(size(shape)) });

// ---- reductions ---------------------------------------------------------------------------------

/** sum, mean or max over `axes` (all when undefined), keeping reduced dimensions as 1 when `keepDims`. */
export function reduce(kind: 'sum' | 'mean' | 'max', x: Dense, axes?: number | readonly number[], keepDims = false): Dense {
  const rank = x.shape.length;
  const reduced = axes === undefined ? x.shape.map((_, d) => d) : (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((n, d) => (reduced.includes(d) ? 1 : n));
  const out = new Float64Array(size(kept)).fill(kind === 'max' ? -Infinity : 0);
  for (let i = 0; i < x.values.length; i++) {
    const c = coordinates(i, x.shape).map((v, d) => (reduced.includes(d) ? 0 : v));
    const o = flat(c, kept);
    out[o] = kind === 'max' ? Math.max(out[o], x.values[i]) : out[o] + x.values[i];
  }
  if (kind === 'mean') {
    const count = x.values.length / out.length;
    for (let o = 0; o < out.length; o++) out[o] /= count;
  }
  return { shape: keepDims ? kept : x.shape.filter((_, d) => !reduced.includes(d)), values: out };
}

// ---- movement -----------------------------------------------------------------------------------

/** Output dimension d is input dimension perm[d]. */
export function permute(x: Dense, perm: readonly number[]): Dense {
  const shape = perm.map((p) => x.shape[p]);
  const values = new Float64Array(x.values.length);
  for (let i = 0; i < values.length; i++) {
    const c = coordinates(i, shape);
    const source = new Array<number>(x.shape.length);
    perm.forEach((p, d) => (source[p] = c[d]));
    values[i] = x.values[flat(source, x.shape)];
  }
  return { shape, values };
}

/** The last two dimensions swapped. */
export const transpose = (x: Dense) => permute(x, [...x.shape.map((_, d) => d).slice(0, -2), x.shape.length - 1, x.shape.length - 2]);

/** Indices [start, end) of `axis` (negative end counts from the end). */
export function slice(x: Dense, axis: number, start: number, end = x.shape[axis]): Dense {
  const stop = end < 0 ? end + x.shape[axis] : end;
  const shape = x.shape.map((n, d) => (d === axis ? stop - start : n));
  const values = new Float64Array(size(shape));
  for (let i = 0; i < values.length; i++) {
    const c = coordinates(i, shape);
    c[axis] += start;
    values[i] = x.values[flat(c, x.shape)];
  }
  return { shape, values };
}

/** `before` and `after` elements of `value` on each dimension. */
export function pad(x: Dense, paddings: readonly (readonly [number, number])[], value = 0): Dense {
  const shape = x.shape.map((n, d) => paddings[d][0] + n + paddings[d][1]);
  const values = new Float64Array(size(shape)).fill(value);
  for (let i = 0; i < x.values.length; i++) {
    const c = coordinates(i, x.shape).map((v, d) => v + paddings[d][0]);
    values[flat(c, shape)] = x.values[i];
  }
  return { shape, values };
}

export function concat(xs: readonly Dense[], axis: number): Dense {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const values = new Float64Array(size(shape));
  let offset = 0;
  for (const x of xs) {
    for (let i = 0; i < x.values.length; i++) {
      const c = coordinates(i, x.shape);
      c[axis] += offset;
      values[flat(c, shape)] = x.values[i];
    }
    offset += x.shape[axis];
  }
  return { shape, values };
}

/** out[…, k, …] = x[…, indices[k], …] along `axis`. */
export function indexSelect(x: Dense, axis: number, indices: readonly number[]): Dense {
  const shape = x.shape.map((n, d) => (d === axis ? indices.length : n));
  const values = new Float64Array(size(shape));
  for (let i = 0; i < values.length; i++) {
    const c = coordinates(i, shape);
    c[axis] = indices[c[axis]];
    values[i] = x.values[flat(c, x.shape)];
  }
  return { shape, values };
}

/** Space-to-depth ×2 (Glow's squeeze): out[n, 4c + 2·(h mod 2) + (w mod 2), ⌊h/2⌋, ⌊w/2⌋] = x[n, c, h, w]. */
export function squeeze2d(x: Dense): Dense {
  const [n, c, h, w] = x.shape;
  const shape = [n, 4 * c, h / 2, w / 2];
  const values = new Float64Array(x.values.length);
  for (let i = 0; i < x.values.length; i++) {
    const [b, ch, r, q] = coordinates(i, x.shape);
    values[flat([b, 4 * ch + 2 * (r % 2) + (q % 2), Math.floor(r / 2), Math.floor(q / 2)], shape)] = x.values[i];
  }
  return { shape, values };
}

/** Depth-to-space ×2: the inverse of squeeze2d. */
export function unsqueeze2d(x: Dense): Dense {
  const [n, c, h, w] = x.shape;
  const shape = [n, c / 4, 2 * h, 2 * w];
  const values = new Float64Array(x.values.length);
  for (let i = 0; i < values.length; i++) {
    const [b, ch, r, q] = coordinates(i, shape);
    values[i] = x.values[flat([b, 4 * ch + 2 * (r % 2) + (q % 2), Math.floor(r / 2), Math.floor(q / 2)], x.shape)];
  }
  return { shape, values };
}

// ---- products -----------------------------------------------------------------------------------

/** A·B over the last two dimensions, batch dimensions broadcast: the triple loop. */
export function matmul(a: Dense, b: Dense): Dense {
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new Error(`reference matmul: ${k} ≠ ${k2}`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const values = new Float64Array(size(shape));
  for (let z = 0; z < size(batch); z++) {
    const c = coordinates(z, batch);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += readBroadcast(a, [...c, i, p]) * readBroadcast(b, [...c, p, j]);
        values[(z * m + i) * n + j] = s;
      }
    }
  }
  return { shape, values };
}

/** x·wᵀ + b with w [out, in]. */
export function linear(x: Dense, w: Dense, b?: Dense): Dense {
  const y = matmul(x, transpose(w));
  return b ? map((v, c) => v + c, y, b) : y;
}

// ---- convolutions, as direct sums ------------------------------------------------------------

const outSize = (n: number, k: number, stride: number, pad: number) => Math.floor((n + 2 * pad - k) / stride) + 1;

/** y[b, o, i, j] = bias[o] + Σ_{c, p, q} w[o, c, p, q] · x[b, c, i·s − pad + p, j·s − pad + q] (zero outside). */
export function conv2d(x: Dense, w: Dense, bias: Dense | null, stride: number, pad: number): Dense {
  const [n, ci, h, wd] = x.shape;
  const [co, , kh, kw] = w.shape;
  const ho = outSize(h, kh, stride, pad);
  const wo = outSize(wd, kw, stride, pad);
  const shape = [n, co, ho, wo];
  const y = new Float64Array(size(shape));
  for (let b = 0; b < n; b++)
    for (let o = 0; o < co; o++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let s = bias ? bias.values[o] : 0;
          for (let c = 0; c < ci; c++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * stride - pad + p;
                const t = j * stride - pad + q;
                if (r >= 0 && r < h && t >= 0 && t < wd) s += w.values[flat([o, c, p, q], w.shape)] * x.values[flat([b, c, r, t], x.shape)];
              }
          y[flat([b, o, i, j], shape)] = s;
        }
  return { shape, values: y };
}

/** The adjoint of conv2d in x: dx[b, c, r, t] = Σ over the taps (o, p, q) and outputs (i, j) that read (r, t) of w·dy. */
export function conv2dInputGrad(dy: Dense, w: Dense, xShape: readonly number[], stride: number, pad: number): Dense {
  const [n, ci, h, wd] = xShape;
  const [co, , kh, kw] = w.shape;
  const [, , ho, wo] = dy.shape;
  const dx = new Float64Array(size(xShape));
  for (let b = 0; b < n; b++)
    for (let o = 0; o < co; o++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          for (let c = 0; c < ci; c++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * stride - pad + p;
                const t = j * stride - pad + q;
                if (r >= 0 && r < h && t >= 0 && t < wd) dx[flat([b, c, r, t], xShape)] += w.values[flat([o, c, p, q], w.shape)] * dy.values[flat([b, o, i, j], dy.shape)];
              }
  return { shape: [...xShape], values: dx };
}

/** The adjoint of conv2d in w: dw[o, c, p, q] = Σ_{b, i, j} dy[b, o, i, j] · x[b, c, i·s − pad + p, j·s − pad + q]. */
export function conv2dWeightGrad(x: Dense, dy: Dense, wShape: readonly number[], stride: number, pad: number): Dense {
  const [n, ci, h, wd] = x.shape;
  const [co, , kh, kw] = wShape;
  const [, , ho, wo] = dy.shape;
  const dw = new Float64Array(size(wShape));
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let p = 0; p < kh; p++)
        for (let q = 0; q < kw; q++) {
          let s = 0;
          for (let b = 0; b < n; b++)
            for (let i = 0; i < ho; i++)
              for (let j = 0; j < wo; j++) {
                const r = i * stride - pad + p;
                const t = j * stride - pad + q;
                if (r >= 0 && r < h && t >= 0 && t < wd) s += dy.values[flat([b, o, i, j], dy.shape)] * x.values[flat([b, c, r, t], x.shape)];
              }
          dw[flat([o, c, p, q], wShape)] = s;
        }
  return { shape: [...wShape], values: dw };
}

/**
 * PyTorch's conv_transpose2d, x [N, Ci, H, W], w [Ci, Co, KH, KW]: every input pixel scatters
 * x[b, c, i, j]·w[c, o, p, q] to y[b, o, i·s − pad + p, j·s − pad + q] (dropped outside), on an
 * output of side (H − 1)·s − 2·pad + K + outputPadding.
 */
export function convTranspose2d(x: Dense, w: Dense, bias: Dense | null, stride: number, pad: number, outputPadding = 0): Dense {
  const [n, ci, h, wd] = x.shape;
  const [, co, kh, kw] = w.shape;
  const ho = (h - 1) * stride - 2 * pad + kh + outputPadding;
  const wo = (wd - 1) * stride - 2 * pad + kw + outputPadding;
  const shape = [n, co, ho, wo];
  const y = new Float64Array(size(shape));
  for (let b = 0; b < n; b++)
    for (let o = 0; o < co; o++) for (let k = 0; k < ho * wo; k++) y[flat([b, o, 0, 0], shape) + k] = bias ? bias.values[o] : 0;
  for (let b = 0; b < n; b++)
    for (let c = 0; c < ci; c++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let o = 0; o < co; o++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const r = i * stride - pad + p;
                const t = j * stride - pad + q;
                if (r >= 0 && r < ho && t >= 0 && t < wo) y[flat([b, o, r, t], shape)] += x.values[flat([b, c, i, j], x.shape)] * w.values[flat([c, o, p, q], w.shape)];
              }
  return { shape, values: y };
}

// ---- losses -----------------------------------------------------------------------------------

type Reduction = 'none' | 'sum' | 'mean';

function reduceLoss(terms: Dense, reduction: Reduction): Dense {
  return reduction === 'none' ? terms : reduce(reduction, terms);
}

/** −[t·log σ(x) + (1 − t)·log(1 − σ(x))], from its definition (|x| < 30 keeps it accurate). */
export const bceWithLogits = (x: Dense, t: Dense, reduction: Reduction = 'mean') =>
  reduceLoss(
    map((v, target) => {
      const p = 1 / (1 + Math.exp(-v));
      return -(target * Math.log(p) + (1 - target) * Math.log(1 - p));
    }, x, t),
    reduction,
  );

export const mse = (a: Dense, b: Dense, reduction: Reduction = 'mean') => reduceLoss(map((u, v) => (u - v) * (u - v), a, b), reduction);
export const l1 = (a: Dense, b: Dense, reduction: Reduction = 'mean') => reduceLoss(map((u, v) => Math.abs(u - v), a, b), reduction);

/** KL(N(μ, σ²) ‖ N(0, 1)) with σ² = e^{logVar}: log(1/σ) + (σ² + μ²)/2 − 1/2, per element. */
export const gaussianKl = (mu: Dense, logVar: Dense, reduction: Reduction = 'sum') =>
  reduceLoss(
    map((m, lv) => {
      const sigma = Math.sqrt(Math.exp(lv));
      return Math.log(1 / sigma) + (sigma * sigma + m * m) / 2 - 0.5;
    }, mu, logVar),
    reduction,
  );

// ---- small dense linear algebra (batches of c×c matrices) ---------------------------------------

/** f of each c×c matrix of a batch [..., c, c]: a matrix each ([..., c, c]) or a number each ([...]). */
function eachMatrix(a: Dense, f: (m: number[][]) => number[][] | number): Dense {
  const c = a.shape[a.shape.length - 1];
  const out: number[] = [];
  let scalar = false;
  for (let o = 0; o < a.values.length; o += c * c) {
    const m = Array.from({ length: c }, (_, i) => Array.from(a.values.subarray(o + i * c, o + (i + 1) * c)));
    const r = f(m);
    if (typeof r === 'number') {
      scalar = true;
      out.push(r);
    } else for (const row of r) out.push(...row);
  }
  return { shape: scalar ? a.shape.slice(0, -2) : [...a.shape], values: Float64Array.from(out) };
}

/** A⁻¹ by Gauss–Jordan elimination on [A | I] with partial pivoting. */
export const inverse = (a: Dense) =>
  eachMatrix(a, (m) => {
    const c = m.length;
    const aug = m.map((row, i) => [...row, ...Array.from({ length: c }, (_, j) => (i === j ? 1 : 0))]);
    for (let k = 0; k < c; k++) {
      let p = k;
      for (let i = k + 1; i < c; i++) if (Math.abs(aug[i][k]) > Math.abs(aug[p][k])) p = i;
      [aug[k], aug[p]] = [aug[p], aug[k]];
      const pivot = aug[k][k];
      for (let j = 0; j < 2 * c; j++) aug[k][j] /= pivot;
      for (let i = 0; i < c; i++) {
        if (i === k) continue;
        const f = aug[i][k];
        for (let j = 0; j < 2 * c; j++) aug[i][j] -= f * aug[k][j];
      }
    }
    return aug.map((row) => row.slice(c));
  });

/**
 * A = P·L·U (L unit lower, U upper, P a permutation) by Doolittle's elimination with partial
 * pivoting: at step k the row of the largest |entry| in column k at or below the diagonal (the
 * first one on ties) is swapped up.
 */
export function lu(a: Dense): { P: Dense; L: Dense; U: Dense } {
  const pick = (which: 'P' | 'L' | 'U') =>
    eachMatrix(a, (m) => {
      const c = m.length;
      const u = m.map((row) => [...row]);
      const l = m.map((_, i) => m.map((__, j): number => (i === j ? 1 : 0)));
      const perm = [...Array(c).keys()];
      for (let k = 0; k < c; k++) {
        let p = k;
        for (let i = k + 1; i < c; i++) if (Math.abs(u[i][k]) > Math.abs(u[p][k])) p = i;
        [u[k], u[p]] = [u[p], u[k]];
        [perm[k], perm[p]] = [perm[p], perm[k]];
        for (let j = 0; j < k; j++) [l[k][j], l[p][j]] = [l[p][j], l[k][j]];
        for (let i = k + 1; i < c; i++) {
          const f = u[k][k] === 0 ? 0 : u[i][k] / u[k][k];
          l[i][k] = f;
          for (let j = k; j < c; j++) u[i][j] -= f * u[k][j];
        }
      }
      // Row i of L·U is row perm[i] of A, so A = P·L·U with P[perm[i]][i] = 1.
      if (which === 'P') return m.map((_, r) => m.map((__, i) => (perm[i] === r ? 1 : 0)));
      return which === 'L' ? l : u;
    });
  return { P: pick('P'), L: pick('L'), U: pick('U') };
}

/** log|det A| by Gaussian elimination with partial pivoting. */
export const logAbsDet = (a: Dense) =>
  eachMatrix(a, (m) => {
    const u = m.map((row) => [...row]);
    const c = u.length;
    let log = 0;
    for (let k = 0; k < c; k++) {
      let p = k;
      for (let i = k + 1; i < c; i++) if (Math.abs(u[i][k]) > Math.abs(u[p][k])) p = i;
      [u[k], u[p]] = [u[p], u[k]];
      if (u[k][k] === 0) return -Infinity;
      log += Math.log(Math.abs(u[k][k]));
      for (let i = k + 1; i < c; i++) {
        const f = u[i][k] / u[k][k];
        for (let j = k; j < c; j++) u[i][j] -= f * u[k][j];
      }
    }
    return log;
  });

/**
 * X with op(T)·X = B, T the triangle of A that is read (lower or upper; ones on the diagonal when
 * unit) and op(T) = Tᵀ when `transpose`; by forward or back substitution, one column of B at a
 * time; A's and B's batch dimensions broadcast.
 */
export function triangularSolve(a: Dense, b: Dense, options: { lower: boolean; unitDiagonal: boolean; transpose?: boolean }): Dense {
  const c = a.shape[a.shape.length - 1];
  const k = b.shape[b.shape.length - 1];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, c, k];
  const x = new Float64Array(size(shape));
  for (let z = 0; z < size(batch); z++) {
    const bc = coordinates(z, batch);
    // The triangle, then op(T), as full matrices.
    const t = Array.from({ length: c }, (_, i) =>
      Array.from({ length: c }, (_, j) => (i === j ? (options.unitDiagonal ? 1 : readBroadcast(a, [...bc, i, j])) : (options.lower ? j < i : j > i) ? readBroadcast(a, [...bc, i, j]) : 0)),
    );
    const op = options.transpose ? t.map((_, i) => t.map((row) => row[i])) : t;
    const lowerOp = options.lower !== (options.transpose ?? false);
    for (let col = 0; col < k; col++) {
      const solution = new Array<number>(c).fill(0);
      const order = lowerOp ? [...Array(c).keys()] : [...Array(c).keys()].reverse();
      for (const i of order) {
        let s = readBroadcast(b, [...bc, i, col]);
        for (let j = 0; j < c; j++) if (j !== i) s -= op[i][j] * solution[j];
        solution[i] = s / op[i][i];
      }
      for (let i = 0; i < c; i++) x[(z * c + i) * k + col] = solution[i];
    }
  }
  return { shape, values: x };
}

// ---- gradients by central differences of the loops above -------------------------------------

/**
 * ∂/∂xₖ of Σ f(x₀, x₁, …)·weights for each input k (or only those in `which`), by central
 * differences of step `eps` in float64: a gradient that no backward rule took part in.
 */
export function numericGradient(f: (...xs: Dense[]) => Dense, inputs: readonly Dense[], weights: Float64Array, eps = 1e-6, which?: readonly number[]): Dense[] {
  const objective = (xs: Dense[]) => {
    const y = f(...xs);
    if (y.values.length !== weights.length) throw new Error(`numericGradient: ${y.values.length} outputs but ${weights.length} weights`);
    let s = 0;
    for (let i = 0; i < weights.length; i++) s += y.values[i] * weights[i];
    return s;
  };
  return inputs.map((x, k) => {
    const grad = new Float64Array(x.values.length);
    if (which && !which.includes(k)) return { shape: [...x.shape], values: grad };
    const xs = inputs.map((i) => ({ shape: i.shape, values: Float64Array.from(i.values) }));
    for (let j = 0; j < grad.length; j++) {
      const saved = xs[k].values[j];
      xs[k].values[j] = saved + eps;
      const plus = objective(xs);
      xs[k].values[j] = saved - eps;
      const minus = objective(xs);
      xs[k].values[j] = saved;
      grad[j] = (plus - minus) / (2 * eps);
    }
    return { shape: [...x.shape], values: grad };
  });
}
