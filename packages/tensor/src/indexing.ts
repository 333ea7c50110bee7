// Multi-index arithmetic for strided kernels, written once for the cpu loops and once as WGSL.

/** Offset of multi-index `i` over dims with the given strides (row-major decode). */
export function decode(i: number, dims: readonly number[], strides: readonly number[]): number {
  let offset = 0;
  for (let d = dims.length - 1; d >= 0; d--) {
    const q = i % dims[d];
    i = (i - q) / dims[d];
    offset += q * strides[d];
  }
  return offset;
}

/**
 * WGSL statements that set `into` to the offset of flat index `index` over `dims` with `strides`;
 * each dim and stride is a number (baked in) or a WGSL u32 expression (e.g. a uniform word).
 */
export function decodeWgsl(index: string, dims: readonly (number | string)[], strides: readonly (number | string)[], into: string): string {
  const u = (v: number | string) => (typeof v === 'number' ? `${v}u` : v);
  if (dims.length === 0) return `let ${into} = 0u;`;
  if (dims.length === 1) return `let ${into} = ${index} * ${u(strides[0])};`;
  const lines = [`var ${into} = 0u;`, `{ var rest = ${index};`];
  for (let d = dims.length - 1; d >= 0; d--) {
    const q = d === 0 ? 'rest' : `rest % ${u(dims[d])}`;
    lines.push(`  ${into} += (${q}) * ${u(strides[d])};${d > 0 ? ` rest = rest / ${u(dims[d])};` : ''}`);
  }
  lines.push('}');
  return lines.join('\n  ');
}

/** Merges adjacent dimensions that every operand can step through with one stride. */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const dims: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => out[k][last] === s[i] * shape[i])) {
      dims[last] *= shape[i];
      strides.forEach((s, k) => (out[k][last] = s[i]));
    } else {
      dims.push(shape[i]);
      strides.forEach((s, k) => out[k].push(s[i]));
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    out.forEach((o) => o.push(0));
  }
  return { dims, strides: out };
}

