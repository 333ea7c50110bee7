// The contract every backend implements: a handful of verbs (allocate, release, write, read, run a
// kernel) plus the kernel type through which each op brings its own cpu loop and its own WGSL.
// Ops never talk to Dawn or to typed arrays directly; they call `run` with a Kernel. (A backend may
// compute some kernels its own way: the native backend keeps a table of them by kernel name.)

/** Host arrays a backend computes in: float32 normally, float64 for the cpu reference mode. */
export type FloatArray = Float32Array | Float64Array;

/** A backend's handle to the memory of one tensor (a GPU buffer, or a typed array). */
export interface Storage {
  /** Number of float elements. */
  readonly length: number;
}

/** What a kernel may want to know about the GPU it is compiled for. */
export interface GpuTraits {
  /** A CPU implementation of WebGPU (lavapipe, SwiftShader): workgroup memory and barriers are slow there. */
  readonly cpuLike: boolean;
  readonly maxWorkgroupInvocations: number;
  readonly maxWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerStage: number;
}

export interface WgslProgram {
  /** Complete WGSL module; entry point `main`. Inputs are bound at 0..n-1, outputs after them. */
  readonly code: string;
}

/**
 * One computation, written twice: a cpu loop and a WGSL program. Params fully determine both, and
 * `key` names them, so that a backend can cache the compiled pipeline by (name, key).
 */
export interface Kernel<P> {
  /** Unique among kernels: the webgpu backend caches pipelines by it, the native backend finds its own loops by it. */
  readonly name: string;
  key(params: P): string;
  cpu(inputs: readonly FloatArray[], outputs: readonly FloatArray[], params: P): void;
  wgsl(params: P, traits: GpuTraits): WgslProgram;
  /**
   * Shape-generic kernels: values that change between calls (sizes, strides, constants) as u32
   * words, bound after the outputs as the uniform `u` (see uniformDeclaration). Then `key` leaves
   * them out, one compiled pipeline serves every shape, and `workgroups` sizes each launch.
   * (lavapipe JIT-compiles each pipeline at its first dispatch, ~50–500 ms each.)
   */
  uniforms?(params: P): ArrayLike<number>;
  /** The launch size of each call: the one source of workgroup counts. */
  workgroups(params: P, traits: GpuTraits): readonly [number, number, number];
}

export interface BackendStats {
  /** Buffers currently held by tensors, and their bytes. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept in the pool for reuse, and their bytes. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Kernel launches and queue submissions since the backend was created. */
  dispatches: number;
  submits: number;
  pipelines: number;
}

export interface Backend {
  readonly kind: 'cpu' | 'webgpu' | 'native';
  /** What kernels may want to know about the GPU they are compiled for; null off the GPU. */
  readonly traits: GpuTraits | null;
  /** One line for humans: which device computes. */
  readonly description: string;
  /** The cpu reference mode computes and stores in float64. */
  readonly float64: boolean;
  alloc(length: number): Storage;
  release(storage: Storage): void;
  write(storage: Storage, data: ArrayLike<number>): void;
  read(storage: Storage): Promise<FloatArray>;
  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void;
  /**
   * Checked mode: report the first op whose output holds NaN or ±Inf. The cpu backend throws at once;
   * webgpu records the check on the GPU and throws at the next read or sync.
   */
  check(storage: Storage, describe: () => string): void;
  /** Submits recorded work and waits until the device has done it. */
  sync(): Promise<void>;
  stats(): BackendStats;
  /**
   * Opt-in kernel profiler: from start to stop, the time each kernel took (device time from
   * timestamp queries on webgpu — which then runs each dispatch in its own pass; wall time of its
   * loop on cpu) and how often it ran, largest first.
   */
  startProfile(): void;
  stopProfile(): Promise<KernelTime[]>;
  destroy(): void;
}

export interface KernelTime {
  kernel: string;
  ms: number;
  count: number;
}

// ---- small WGSL helpers shared by kernels -------------------------------------------------------

/**
 * A WGSL f32 literal for a JS number. WGSL has no NaN or Inf constants: ±Infinity becomes ±max
 * float32 (a bound that no finite value exceeds), and NaN is refused.
 */
export function f32Literal(x: number): string {
  if (Number.isNaN(x)) throw new Error('kernel constant is NaN: WGSL cannot express it');
  let f = Math.fround(x);
  if (!Number.isFinite(f)) f = f > 0 ? 3.4028234663852886e38 : -3.4028234663852886e38;
  if (f !== 0 && Math.abs(f) < 1.1754943508222875e-38) return '0.0'; // WGSL rejects subnormal literals
  let s = String(f);
  if (!/[.eE]/.test(s)) s += '.0';
  return f < 0 ? `(${s})` : s;
}

/** Declarations for `inputs` (read-only) then `outputs` (read-write), bound in that order. */
export function bindings(inputs: readonly string[], outputs: readonly string[], type = 'array<f32>'): string {
  const lines: string[] = [];
  let b = 0;
  for (const name of inputs) lines.push(`@group(0) @binding(${b++}) var<storage, read> ${name}: ${type};`);
  for (const name of outputs) lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${name}: ${type};`);
  return lines.join('\n');
}

// ---- uniforms of shape-generic kernels ----------------------------------------------------------

const bitsView = new DataView(new ArrayBuffer(4));

/** The bits of float32(x) as a u32 word, for passing a float through the uniform words. */
export function f32Bits(x: number): number {
  bitsView.setFloat32(0, x, true);
  return bitsView.getUint32(0, true);
}

/** WGSL declaration of `words` uniform u32s bound at `binding`, read with uniformWord / uniformFloat. */
export function uniformDeclaration(binding: number, words: number): string {
  return `@group(0) @binding(${binding}) var<uniform> u: array<vec4u, ${Math.max(1, Math.ceil(words / 4))}>;`;
}

/** WGSL expression for uniform word `i` (u32). */
export function uniformWord(i: number): string {
  return `u[${i >> 2}][${i & 3}]`;
}

/** WGSL expression for uniform word `i` read as f32. */
export function uniformFloat(i: number): string {
  return `bitcast<f32>(u[${i >> 2}][${i & 3}])`;
}

export const WORKGROUP_1D = 64;

/** Workgroup counts of a 1-D launch over `n` invocations; pair with GRID_INDEX. */
export function grid1dCounts(n: number, traits: GpuTraits, workgroupSize = WORKGROUP_1D): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  const maxX = traits.maxWorkgroupsPerDimension;
  return groups <= maxX ? [groups, 1, 1] : [maxX, Math.ceil(groups / maxX), 1];
}

/** The flat invocation index of a grid1dCounts launch (gid.y is 0 unless the x dimension overflowed). */
export function gridIndex(traits: GpuTraits, workgroupSize = WORKGROUP_1D): string {
  return `(gid.x + gid.y * ${traits.maxWorkgroupsPerDimension * workgroupSize}u)`;
}
