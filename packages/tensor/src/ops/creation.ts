// Tensors made on the device without an upload: constants, identity matrices, ranges.
import { WORKGROUP_1D, bindings, f32Bits, grid1dCounts, gridIndex, uniformDeclaration, uniformFloat, uniformWord, type Kernel } from '../backend.ts';
import { assertShape } from '../shape.ts';
import { Tensor, apply, withBackend } from '../tensor.ts';

interface FillParams {
  n: number;
  value: number;
}

const fillKernel: Kernel<FillParams> = {
  name: 'fill',
  key: () => '',
  uniforms: (p) => [p.n, f32Bits(p.value)],
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: (_, [out], p) => out.fill(p.value),
  wgsl: (_p, traits) => ({
    code: `${bindings([], ['out'])}
${uniformDeclaration(1, 2)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i < ${uniformWord(0)}) { out[i] = ${uniformFloat(1)}; }
}`,
  }),
};

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number): Tensor {
  assertShape('full', shape);
  const n = shape.reduce((a, b) => a * b, 1);
  return apply('full', [], shape, fillKernel, { n, value });
}

export const zeros = (shape: readonly number[]) => full(shape, 0);
export const ones = (shape: readonly number[]) => full(shape, 1);
/** Filled tensors on the backend of `t`, whatever the current one is. */
export const fullLike = (t: Tensor, value: number) => withBackend(t.backend, () => full(t.shape, value));
export const zerosLike = (t: Tensor) => fullLike(t, 0);
export const onesLike = (t: Tensor) => fullLike(t, 1);

interface IotaParams {
  n: number;
  cols: number;
  kind: 'arange' | 'eye';
}

const iotaKernel: Kernel<IotaParams> = {
  name: 'iota',
  key: (p) => p.kind,
  uniforms: (p) => [p.n, p.cols],
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: (_, [out], p) => {
    for (let i = 0; i < p.n; i++) out[i] = p.kind === 'arange' ? i : Math.floor(i / p.cols) === i % p.cols ? 1 : 0;
  },
  wgsl: (p, traits) => {
    const value = p.kind === 'arange' ? 'f32(i)' : `select(0.0, 1.0, i / ${uniformWord(1)} == i % ${uniformWord(1)})`;
    return {
      code: `${bindings([], ['out'])}
${uniformDeclaration(1, 2)}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i < ${uniformWord(0)}) { out[i] = ${value}; }
}`,
    };
  },
};

/** 0, 1, …, n-1 (exact up to 2^24). */
export function arange(n: number): Tensor {
  assertShape('arange', [n]);
  return apply('arange', [], [n], iotaKernel, { n, cols: 1, kind: 'arange' });
}

/** The n×n identity matrix. */
export function eye(n: number): Tensor {
  assertShape('eye', [n, n]);
  return apply('eye', [], [n, n], iotaKernel, { n: n * n, cols: n, kind: 'eye' });
}
