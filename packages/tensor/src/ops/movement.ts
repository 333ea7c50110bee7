// Ops that move data without arithmetic: reshape (a view, no copy), permute, broadcast, slice,
// pad, concat, split, indexSelect, and Glow's squeeze (space-to-depth) built from them. Most are
// one strided-copy kernel with different strides; each gradient is the opposite movement.
import { WORKGROUP_1D, bindings, f32Bits, grid1dCounts, gridIndex, uniformDeclaration, uniformFloat, uniformWord, type Kernel } from '../backend.ts';
import { collapse, decode, decodeWgsl } from '../indexing.ts';
import { broadcastShapes, describeShape, normalizeAxis, shapesEqual, sizeOf, stridesOf } from '../shape.ts';
import { Tensor, apply, record, tensor, withBackend } from '../tensor.ts';
import { sumToRaw } from './reduce-kernel.ts';

// ---- strided copy: out[i] = x[offset + Σ coord_d · stride_d] -----------------------------------

export interface StridedParams {
  n: number;
  dims: number[];
  strides: number[];
  offset: number;
}

export const stridedKernel: Kernel<StridedParams> = {
  name: 'strided_copy',
  key: (p) => `${p.dims.length}`,
  uniforms: (p) => [p.n, p.offset, ...p.dims, ...p.strides],
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: ([x], [out], p) => {
    if (p.dims.length === 1 && p.strides[0] === 1) {
      out.set(x.subarray(p.offset, p.offset + p.n));
      return;
    }
    for (let i = 0; i < p.n; i++) out[i] = x[p.offset + decode(i, p.dims, p.strides)];
  },
  wgsl: (p, traits) => {
    const r = p.dims.length;
    const dims = Array.from({ length: r }, (_, d) => uniformWord(2 + d));
    const strides = Array.from({ length: r }, (_, d) => uniformWord(2 + r + d));
    return {
      code: `${bindings(['x'], ['out'])}
${uniformDeclaration(2, 2 + 2 * r)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  ${decodeWgsl('i', dims, strides, 'src')}
  out[i] = x[${uniformWord(1)} + src];
}`,
    };
  },
};

/** Reads `x` at `offset + Σ coord·strides[d]` for every coordinate of `shape` (no autodiff). */
function stridedRead(op: string, x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  const { dims, strides: merged } = collapse(shape, [strides]);
  return apply(op, [x], shape, stridedKernel, { n: sizeOf(shape), dims, strides: merged[0], offset });
}

// ---- reshape, permute, broadcast ------------------------------------------------------------

/** Same data, another shape (one dimension may be -1). A view: no copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const inferred = [...shape];
  const unknown = inferred.indexOf(-1);
  if (unknown >= 0) {
    const known = sizeOf(inferred.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0) throw new Error(`reshape: cannot infer -1 in ${describeShape(shape)} for ${x.size} elements of ${describeShape(x.shape)}`);
    inferred[unknown] = x.size / known;
  }
  if (inferred.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(inferred) !== x.size) {
    throw new Error(`reshape: cannot view ${describeShape(x.shape)} (${x.size} elements) as ${describeShape(shape)}`);
  }
  if (shapesEqual(inferred, x.shape)) return x;
  const y = x.view(inferred);
  return record('reshape', y, [x], (g) => [reshape(g, x.shape)]);
}

/** Flattens dimensions from `start` on into one. */
export function flatten(x: Tensor, start = 1): Tensor {
  const s = normalizeAxis('flatten', start, x.rank);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s))]);
}

/** Reorders dimensions: output dimension i is input dimension perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normalizeAxis('permute', a, x.rank));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} dimensions of ${describeShape(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  const strides = stridesOf(x.shape);
  const y = stridedRead('permute', x, p.map((a) => x.shape[a]), p.map((a) => strides[a]), 0);
  const inverse = new Array<number>(p.length);
  p.forEach((a, i) => (inverse[a] = i));
  return record('permute', y, [x], (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  const i = normalizeAxis('transpose', a, x.rank);
  const j = normalizeAxis('transpose', b, x.rank);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

/** `x` repeated along broadcast dimensions to `shape` (NumPy rules); gradient: sumTo. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (!shapesEqual(broadcastShapes('broadcastTo', x.shape, shape), shape)) {
    throw new Error(`broadcastTo: ${describeShape(x.shape)} cannot be broadcast to ${describeShape(shape)}`);
  }
  if (shapesEqual(x.shape, shape)) return x;
  const own = stridesOf(x.shape);
  const offset = shape.length - x.rank;
  const strides = shape.map((d, i) => (i < offset || (x.shape[i - offset] === 1 && d !== 1) ? 0 : own[i - offset]));
  const y = stridedRead('broadcastTo', x, shape, strides, 0);
  return record('broadcastTo', y, [x], (g) => [sumToRaw(g, x.shape)]);
}

// ---- slice and pad --------------------------------------------------------------------------

/** Elements start ≤ i < end along `axis` (negative values count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis('slice', axis, x.rank);
  const length = x.shape[a];
  const s = start < 0 ? start + length : start;
  const e = end === undefined ? length : end < 0 ? end + length : end;
  if (!(0 <= s && s <= e && e <= length) || !Number.isInteger(s) || !Number.isInteger(e)) {
    throw new Error(`slice: range [${start}, ${end ?? length}) is outside axis ${axis} of length ${length} in ${describeShape(x.shape)}`);
  }
  if (s === 0 && e === length) return x;
  const shape = x.shape.map((d, i) => (i === a ? e - s : d));
  const strides = stridesOf(x.shape);
  const y = stridedRead('slice', x, shape, strides, s * strides[a]);
  return record('slice', y, [x], (g) => [pad(g, x.shape.map((_, i) => (i === a ? [s, length - e] : [0, 0])))]);
}

export interface PadParams {
  outShape: number[];
  xShape: number[];
  before: number[];
  value: number;
}

export const padKernel: Kernel<PadParams> = {
  name: 'pad',
  key: (p) => `${p.outShape.length}`,
  uniforms: (p) => [sizeOf(p.outShape), f32Bits(p.value), ...p.outShape, ...p.xShape, ...p.before, ...stridesOf(p.xShape)],
  workgroups: (p, traits) => grid1dCounts(sizeOf(p.outShape), traits),
  cpu: ([x], [out], p) => {
    const xStrides = stridesOf(p.xShape);
    const rank = p.outShape.length;
    for (let i = 0; i < out.length; i++) {
      let rest = i;
      let src = 0;
      let inside = true;
      for (let d = rank - 1; d >= 0; d--) {
        const q = rest % p.outShape[d];
        rest = (rest - q) / p.outShape[d];
        const s = q - p.before[d];
        if (s < 0 || s >= p.xShape[d]) inside = false;
        src += s * xStrides[d];
      }
      out[i] = inside ? x[src] : p.value;
    }
  },
  wgsl: (p, traits) => {
    const r = p.outShape.length;
    const w = (group: number, d: number) => uniformWord(2 + group * r + d);
    const lines: string[] = [];
    for (let d = r - 1; d >= 0; d--) {
      lines.push(`{ let q = i32(rest % ${w(0, d)}); rest = rest / ${w(0, d)}; let s = q - i32(${w(2, d)}); inside = inside && s >= 0 && s < i32(${w(1, d)}); src += s * i32(${w(3, d)}); }`);
    }
    return {
      code: `${bindings(['x'], ['out'])}
${uniformDeclaration(2, 2 + 4 * r)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  var rest = i;
  var src = 0i;
  var inside = true;
  ${lines.join('\n  ')}
  if (inside) { out[i] = x[u32(src)]; } else { out[i] = ${uniformFloat(1)}; }
}`,
    };
  },
};

/** Pads each dimension with [before, after] elements of `value` (zero by default). */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (paddings.length !== x.rank) throw new Error(`pad: ${paddings.length} paddings for a tensor of rank ${x.rank} ${describeShape(x.shape)}`);
  if (paddings.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0)) {
    throw new Error(`pad: paddings must be non-negative integers, got ${JSON.stringify(paddings)}`);
  }
  if (!Number.isFinite(value)) throw new Error(`pad: the value must be finite, got ${value}`);
  if (paddings.every(([b, a]) => b === 0 && a === 0)) return x;
  const outShape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const y = apply('pad', [x], outShape, padKernel, { outShape, xShape: [...x.shape], before: paddings.map((p) => p[0]), value });
  return record('pad', y, [x], (g) => {
    const strides = stridesOf(outShape);
    const offset = paddings.reduce((o, [b], i) => o + b * strides[i], 0);
    return [stridedRead('pad_backward', g, x.shape, strides, offset)];
  });
}

// ---- concat and split -----------------------------------------------------------------------

interface ConcatParams {
  outer: number;
  inner: number;
  /** Length of each input along the axis. */
  lengths: number[];
}

const concatKernel: Kernel<ConcatParams> = {
  name: 'concat',
  key: (p) => `${p.lengths.length}`,
  uniforms: (p) => [p.outer * p.lengths.reduce((a, b) => a + b, 0) * p.inner, p.inner, p.lengths.reduce((a, b) => a + b, 0), ...p.lengths],
  workgroups: (p, traits) => grid1dCounts(p.outer * p.lengths.reduce((a, b) => a + b, 0) * p.inner, traits),
  cpu: (inputs, [out], p) => {
    const total = p.lengths.reduce((a, b) => a + b, 0);
    let start = 0;
    p.lengths.forEach((len, k) => {
      const x = inputs[k];
      for (let o = 0; o < p.outer; o++) {
        const src = x.subarray(o * len * p.inner, (o + 1) * len * p.inner);
        out.set(src, (o * total + start) * p.inner);
      }
      start += len;
    });
  },
  wgsl: (p, traits) => {
    const count = p.lengths.length;
    const names = p.lengths.map((_, k) => `x${k}`);
    const branches = p.lengths.map((_, k) => {
      const len = uniformWord(3 + k);
      return `if (a < start + ${len}) { out[i] = x${k}[(o * ${len} + a - start) * inner + r]; return; }\n  start += ${len};`;
    });
    return {
      code: `${bindings(names, ['out'])}
${uniformDeclaration(count + 1, 3 + count)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  let inner = ${uniformWord(1)};
  let total = ${uniformWord(2)};
  let r = i % inner;
  let a = (i / inner) % total;
  let o = i / (inner * total);
  var start = 0u;
  ${branches.join('\n  ')}
}`,
    };
  },
};

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const a = normalizeAxis('concat', axis, xs[0].rank);
  for (const t of xs) {
    if (t.rank !== xs[0].rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes ${xs.map((x) => describeShape(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  if (xs.length === 1) return xs[0];
  // Keep within the adapter's binding limit (browsers guarantee 8 storage buffers per stage).
  if (xs.length > 7) return concat([concat(xs.slice(0, 7), a), concat(xs.slice(7), a)], a);
  const lengths = xs.map((t) => t.shape[a]);
  const outShape = xs[0].shape.map((d, i) => (i === a ? lengths.reduce((s, l) => s + l, 0) : d));
  const params = { outer: sizeOf(xs[0].shape.slice(0, a)), inner: sizeOf(xs[0].shape.slice(a + 1)), lengths };
  const y = apply('concat', xs, outShape, concatKernel, params);
  return record('concat', y, xs, (g) => {
    let start = 0;
    return xs.map((t) => {
      const part = t.requiresGrad ? slice(g, a, start, start + t.shape[a]) : null;
      start += t.shape[a];
      return part;
    });
  });
}

/** Splits along `axis` into `parts` equal pieces, or pieces of the given sizes. */
export function split(x: Tensor, parts: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis('split', axis, x.rank);
  const length = x.shape[a];
  const sizes = typeof parts === 'number' ? Array.from({ length: parts }, () => length / parts) : [...parts];
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((s, v) => s + v, 0) !== length) {
    throw new Error(`split: cannot split axis ${axis} of length ${length} (${describeShape(x.shape)}) into ${JSON.stringify(parts)}`);
  }
  let start = 0;
  return sizes.map((size) => {
    const piece = slice(x, a, start, start + size);
    start += size;
    return piece;
  });
}

// ---- indexSelect ----------------------------------------------------------------------------

interface SelectParams {
  outer: number;
  inner: number;
  /** Length of the indexed axis in the source, and the number of indices. */
  axisLength: number;
  count: number;
}

const selectUniforms = (p: SelectParams) => [p.outer, p.inner, p.axisLength, p.count];

const selectKernel: Kernel<SelectParams> = {
  name: 'index_select',
  key: () => '',
  uniforms: selectUniforms,
  workgroups: (p, traits) => grid1dCounts(p.outer * p.count * p.inner, traits),
  cpu: ([x, index], [out], p) => {
    for (let o = 0; o < p.outer; o++) {
      for (let j = 0; j < p.count; j++) {
        const src = (o * p.axisLength + index[j]) * p.inner;
        out.set(x.subarray(src, src + p.inner), (o * p.count + j) * p.inner);
      }
    }
  },
  wgsl: (_p, traits) => ({
    code: `${bindings(['x', 'index'], ['out'])}
${uniformDeclaration(3, 4)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let outer = u[0][0]; let inner = u[0][1]; let axisLength = u[0][2]; let count = u[0][3];
  if (i >= outer * count * inner) { return; }
  let r = i % inner;
  let j = (i / inner) % count;
  let o = i / (inner * count);
  let a = min(u32(index[j]), axisLength - 1u);
  out[i] = x[(o * axisLength + a) * inner + r];
}`,
  }),
};

/** The gradient of indexSelect: adds each selected slice back to where it came from. */
const indexAddKernel: Kernel<SelectParams> = {
  name: 'index_add',
  key: () => '',
  uniforms: selectUniforms,
  workgroups: (p, traits) => grid1dCounts(p.outer * p.axisLength * p.inner, traits),
  cpu: ([g, index], [out], p) => {
    out.fill(0);
    for (let o = 0; o < p.outer; o++) {
      for (let j = 0; j < p.count; j++) {
        const dst = (o * p.axisLength + index[j]) * p.inner;
        const src = (o * p.count + j) * p.inner;
        for (let r = 0; r < p.inner; r++) out[dst + r] += g[src + r];
      }
    }
  },
  wgsl: (_p, traits) => ({
    code: `${bindings(['g', 'index'], ['out'])}
${uniformDeclaration(3, 4)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let outer = u[0][0]; let inner = u[0][1]; let axisLength = u[0][2]; let count = u[0][3];
  if (i >= outer * axisLength * inner) { return; }
  let r = i % inner;
  let a = (i / inner) % axisLength;
  let o = i / (inner * axisLength);
  var acc = 0.0;
  for (var j = 0u; j < count; j++) {
    if (u32(index[j]) == a) { acc += g[(o * count + j) * inner + r]; }
  }
  out[i] = acc;
}`,
  }),
};

/**
 * Picks entries along `axis` by index (like torch.index_select). Indices given as host arrays are
 * validated here; indices in a tensor are clamped into range by the kernel.
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor | readonly number[] | Int32Array): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.rank);
  const axisLength = x.shape[a];
  let index: Tensor;
  let owned = false;
  if (indices instanceof Tensor) {
    if (indices.rank !== 1) throw new Error(`indexSelect: indices must be a vector, got shape ${describeShape(indices.shape)}`);
    index = indices;
  } else {
    for (let k = 0; k < indices.length; k++) {
      const v = indices[k];
      if (!Number.isInteger(v) || v < 0 || v >= axisLength) {
        throw new Error(`indexSelect: index ${v} at position ${k} is outside [0, ${axisLength}) for axis ${axis} of ${describeShape(x.shape)}`);
      }
    }
    index = withBackend(x.backend, () => tensor(Array.from(indices), [indices.length]));
    owned = true;
  }
  const p: SelectParams = { outer: sizeOf(x.shape.slice(0, a)), inner: sizeOf(x.shape.slice(a + 1)), axisLength, count: index.size };
  const y = apply('indexSelect', [x, index], x.shape.map((d, i) => (i === a ? index.size : d)), selectKernel, p);
  if (!x.requiresGrad && owned) {
    index.dispose();
    return y;
  }
  return record('indexSelect', y, [x], (g) => [apply('indexSelect_backward', [g, index], x.shape, indexAddKernel, p)]);
}

// ---- Glow's squeeze -------------------------------------------------------------------------

/** Space-to-depth ×2: [N, C, H, W] → [N, 4C, H/2, W/2]; channel c·4 + 2·dy + dx holds pixel (2y+dy, 2x+dx) of channel c. */
export function squeeze2d(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  if (x.rank !== 4 || h % 2 !== 0 || w % 2 !== 0) throw new Error(`squeeze2d: expected [N, C, H, W] with even H and W, got ${describeShape(x.shape)}`);
  const t = permute(reshape(x, [n, c, h / 2, 2, w / 2, 2]), [0, 1, 3, 5, 2, 4]);
  return reshape(t, [n, c * 4, h / 2, w / 2]);
}

/** Depth-to-space ×2, the exact inverse of squeeze2d. */
export function unsqueeze2d(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  if (x.rank !== 4 || c % 4 !== 0) throw new Error(`unsqueeze2d: expected [N, C, H, W] with C divisible by 4, got ${describeShape(x.shape)}`);
  const t = permute(reshape(x, [n, c / 4, 2, 2, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(t, [n, c / 4, h * 2, w * 2]);
}

// ---- in-place copy --------------------------------------------------------------------------

/**
 * Copies `source`'s values into `target`'s storage on the device (no autodiff, no readback):
 * for initialising parameters from data, e.g. ActNorm's first-batch statistics.
 */
export function copyInto(target: Tensor, source: Tensor): void {
  if (target.size !== source.size) {
    throw new Error(`copyInto: source ${describeShape(source.shape)} and target ${describeShape(target.shape)} differ in size`);
  }
  if (target.backend !== source.backend) throw new Error(`copyInto: tensors live on different backends (${target.backend.kind}, ${source.backend.kind})`);
  if (target.size === 0) return;
  const p: StridedParams = { n: target.size, dims: [target.size], strides: [1], offset: 0 };
  target.backend.run(stridedKernel, [source.storage('copyInto')], [target.storage('copyInto')], p);
}
