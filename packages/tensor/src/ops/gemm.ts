// A register-tiled GEMM code generator: C[m, n] = Σ_k A(m, k) · B(k, n). Each invocation keeps a
// TM×TN block of C in registers and reads A and B straight from storage — no workgroup memory,
// which is what CPU implementations of WebGPU (lavapipe, SwiftShader) run fastest. Loads are index
// expressions supplied by the caller, so matmul (plain or transposed operands) and convolution
// (implicit im2col) share this one generator. Sizes are runtime values (uniform words): lavapipe
// JIT-compiles a pipeline at its first dispatch (~0.1–1 s for these), so one pipeline per loop
// structure, not per shape.

import type { GpuTraits } from '../backend.ts';

export interface GemmTiling {
  /** Outputs per invocation along M and N. */
  tm: number;
  tn: number;
  /** Workgroup size along N (x) and M (y). */
  wx: number;
  wy: number;
}

export interface GemmSpec {
  /** Problem sizes as WGSL u32 expressions (usually uniform words, so one pipeline serves all sizes). */
  M: string;
  N: string;
  K: string;
  /** WGSL declarations and helper functions placed before main. */
  prelude: string;
  /** Statements at the top of main (may use `batch` = gid.z). */
  setup?: string;
  /** Statements before the k loop (e.g. counters that kAdvance steps). */
  kInit?: string;
  /** Statements at the top of each k iteration (e.g. decoding k into kernel taps), shared by all loads. */
  kSetup?: string;
  /** Statements at the end of each k iteration. */
  kAdvance?: string;
  /** The k range as WGSL u32 expressions (split-K); default 0 … K. */
  kStart?: string;
  kEnd?: string;
  /**
   * WGSL expression for A(m, k); `m` and `k` are u32 expressions, m < M, k < K guaranteed; `i` is
   * the row's slot in the tile (for variables made by rowSetup).
   */
  loadA(m: string, k: string, i: number): string;
  /** WGSL expression for B(k, n); n < N, k < K guaranteed; `j` is the column's slot in the tile. */
  loadB(k: string, n: string, j: number): string;
  /** Statements run once per row / column slot before the k loop (decode an index once, not per k). */
  rowSetup?(m: string, i: number): string;
  colSetup?(n: string, j: number): string;
  /** WGSL statement storing `v` (f32) at C(m, n); called only for m < M, n < N; `j` is the column's slot. */
  store(m: string, n: string, v: string, j: number): string;
  tiling: GemmTiling;
}

/** Workgroup counts for a GEMM of the given sizes and tiling, with `batches` problems side by side. */
export function gemmWorkgroups(M: number, N: number, batches: number, tiling: GemmTiling): [number, number, number] {
  return [Math.ceil(N / (tiling.tn * tiling.wx)), Math.ceil(M / (tiling.tm * tiling.wy)), batches];
}

/**
 * Tiling for an adapter and problem size. On lavapipe (8-wide SIMD on CPU cores) the lanes of a
 * SIMD group share rows and differ in columns, so A loads are broadcasts and B loads gathers: tall
 * blocks per invocation pay. Measured with bench/tensor.ts: 16×8 runs 1024³ at 14–17 GFLOP/s, 8×8 at
 * 12, 4×4 at 8; but big blocks take longer to JIT-compile (0.5–1 s per pipeline) and waste work on
 * small problems, so the block grows with the problem. Real GPUs get more, smaller invocations.
 * MAGA_GEMM_TILE=tm,tn,wx,wy overrides the choice (for benchmarks).
 */
export function tilingFor(M: number, N: number, K: number, traits: Pick<GpuTraits, 'cpuLike'> | null): GemmTiling {
  const env = typeof process !== 'undefined' ? process.env?.MAGA_GEMM_TILE : undefined;
  let tile: number[];
  if (env) tile = env.split(',').map(Number);
  else if (traits && !traits.cpuLike) tile = [4, 4, 16, 16];
  else if (M >= 16 && M * N * K >= 1 << 26) tile = [16, 8, 8, 8];
  else tile = M * N * K >= 1 << 23 ? [8, 8, 8, 8] : [4, 4, 8, 8];
  const [tm, tn, wx, wy] = tile;
  // Tiles never exceed the problem (a 2-row GEMM gets 2-row tiles, not 75 % wasted rows).
  return { tm: Math.min(tm, M), tn: Math.min(tn, N), wx, wy };
}

export function tilingKey(t: GemmTiling): string {
  return `${t.tm}x${t.tn}/${t.wx}x${t.wy}`;
}

export function gemmWgsl(spec: GemmSpec): string {
  const { tm, tn, wx, wy } = spec.tiling;
  const { M, N, K } = spec;
  const lines: string[] = [];
  const rows = Array.from({ length: tm }, (_, i) => i);
  const cols = Array.from({ length: tn }, (_, j) => j);
  // Out-of-range rows and columns read a clamped (valid) element and are simply not stored.
  for (const i of rows) lines.push(`let m${i} = min(row0 + ${i}u, gM - 1u);`, spec.rowSetup?.(`m${i}`, i) ?? '');
  for (const j of cols) lines.push(`let n${j} = min(col0 + ${j}u, gN - 1u);`, spec.colSetup?.(`n${j}`, j) ?? '');
  for (const i of rows) for (const j of cols) lines.push(`var c${i}_${j} = 0.0;`);
  const body: string[] = [];
  for (const i of rows) body.push(`let a${i} = ${spec.loadA(`m${i}`, 'k', i)};`);
  for (const j of cols) body.push(`let b${j} = ${spec.loadB('k', `n${j}`, j)};`);
  for (const i of rows) for (const j of cols) body.push(`c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`);
  const stores: string[] = [];
  for (const i of rows) {
    const inner = cols.map((j) => `if (col0 + ${j}u < gN) { ${spec.store(`(row0 + ${i}u)`, `(col0 + ${j}u)`, `c${i}_${j}`, j)} }`).join(' ');
    stores.push(`if (row0 + ${i}u < gM) { ${inner} }`);
  }
  return `${spec.prelude}
@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let batch = gid.z;
  let gM = ${M};
  let gN = ${N};
  let gK = ${K};
  let row0 = gid.y * ${tm}u;
  let col0 = gid.x * ${tn}u;
  if (row0 >= gM || col0 >= gN) { return; }
  ${spec.setup ?? ''}
  ${lines.join('\n  ')}
  ${spec.kInit ?? ''}
  for (var k = ${spec.kStart ?? '0u'}; k < ${spec.kEnd ?? 'gK'}; k++) {
    ${spec.kSetup ?? ''}
    ${body.join('\n    ')}
    ${spec.kAdvance ?? ''}
  }
  ${stores.join('\n  ')}
}`;
}
