// The native backend: the CPU engine for machines without a real GPU. Matrix products run on a
// system BLAS and convolutions on oneDNN (or im2col + BLAS), through bun:ffi with zero-copy typed
// arrays; the kernels written for speed here are in its own table by kernel name (native/kernels.ts)
// and every other kernel runs its reference loop, where speed does not matter. Buffers come from a
// pool of exact-size typed arrays, so a training step allocates nothing once warm. Every array
// carries a content version, bumped at each write, by which kernels keep results that depend only
// on unchanged inputs (a weight in oneDNN's layout, a 1×1 convolution's inverse). How many threads
// compute, and what the libraries' own pools are asked for, is native/threads.ts's plan. The
// TypeScript cpu backend stays the reference it is tested against.
import type { Backend, FloatArray, Kernel, Storage } from './backend.ts';
import { kernelCost } from './cost.ts';
import { HostBackend, HostStorage, hostWrite } from './host.ts';
import { loadBlas, type Blas } from './native/blas.ts';
import { DNNL_HELP, loadDnnl } from './native/dnnl.ts';
import type { Convolutions, NativeEngine } from './native/engine.ts';
import { nativeKernel } from './native/kernels.ts';
import { PARALLEL_FLOPS, availableCores, loadLibraryThreads, threadPlan, type LibraryThreads, type ThreadPlan } from './native/threads.ts';

export interface NativeOptions {
  /** Compute and store in float64 (dgemm), for checking the fast loops in double precision. */
  float64?: boolean;
  /**
   * Fill buffers taken from the pool with NaN, so that a kernel that reads an output it did not
   * write, or accumulates into it, shows in tests instead of reading the last tensor's values.
   */
  poison?: boolean;
  /** The most bytes kept in the pool for reuse (default 2 GiB); beyond it, released buffers are dropped. */
  poolBytes?: number;
  /** Use oneDNN for convolutions when it loads (default); false keeps them on im2col + BLAS. */
  dnnl?: boolean;
  /** Cores to compute on (the shards of a data-parallel step); default MAGA_THREADS, else every core (native/threads.ts). */
  threads?: number;
  /**
   * A shard's backend, in a worker thread of a data-parallel step: its libraries run one thread on
   * it whatever the plan, and it says nothing about threads of its own.
   */
  shard?: boolean;
}

/** The roofline counters: floating-point operations and minimum bytes moved, since creation (cost.ts). */
export interface NativeCounters {
  flops: number;
  bytes: number;
}

/** Each kernel's native implementation (or null), looked up by name once per kernel object. */
const fastKernels = new WeakMap<Kernel<never>, ReturnType<typeof nativeKernel>>();

export class NativeBackend extends HostBackend implements Backend {
  readonly kind = 'native' as const;
  readonly description: string;
  /** Cores this backend keeps busy: the plan's threads, or the libraries' own where the user set them. */
  readonly threads: number;
  /** How many threads compute and what the libraries are asked for (native/threads.ts). */
  readonly plan: ThreadPlan;
  readonly engine: NativeEngine;
  /** Inside a data-parallel step every library call runs on one thread: the shards use the cores. */
  private sharded: boolean;
  /** A shard's backend in a worker thread (NativeOptions.shard). */
  private readonly shard: boolean;
  private readonly library: LibraryThreads;
  /** The library thread count last asked for (0: never asked). */
  private asked = 0;
  private readonly versions = new WeakMap<FloatArray, number>();
  private readonly counters: NativeCounters = { flops: 0, bytes: 0 };
  private counting = false;
  private readonly pool = new Map<number, FloatArray[]>();
  private readonly poison: boolean;
  private readonly poolLimit: number;
  private pooled = 0;
  private pooledBytes = 0;

  /** Set when convolutions fall back to im2col + BLAS because oneDNN is missing: say it once. */
  readonly notice: string | null;

  private constructor(
    readonly blas: Blas,
    convolutions: Convolutions | { error: string },
    options: NativeOptions,
    plan: ThreadPlan,
    library: LibraryThreads,
    hooks: { backend: NativeBackend | null },
  ) {
    super(options.float64 ?? false);
    hooks.backend = this;
    this.poison = options.poison ?? false;
    this.poolLimit = options.poolBytes ?? 2 * 2 ** 30;
    this.plan = plan;
    this.library = library;
    this.sharded = options.shard ?? false;
    this.shard = options.shard ?? false;
    const dnnl = 'error' in convolutions ? null : convolutions;
    this.notice = 'error' in convolutions && !this.float64 && options.dnnl !== false ? `convolutions run as im2col + BLAS, several times slower than oneDNN: ${convolutions.error}; ${DNNL_HELP}` : null;
    const convs = this.float64 ? 'float64' : dnnl ? `convolutions: ${dnnl.description}` : 'convolutions: im2col + BLAS';
    // Where the user set the libraries' threads, those run (OpenBLAS reports its count).
    this.threads = plan.controls ? plan.threads : plan.threads * Math.max(1, blas.threads ?? 1);
    const steering = plan.controls && !library.blas ? '; the BLAS cannot be told its threads' : plan.controls && dnnl && !library.openmp ? "; oneDNN's OpenMP runtime was not found" : '';
    this.description = `native (BLAS: ${blas.description.replace(/, \d+ threads?$/, '')}, ${this.threads} thread${this.threads === 1 ? '' : 's'}: ${plan.why}${steering}; ${convs})`;
    const scratch: FloatArray[] = [];
    this.engine = {
      convolutions: this.float64 ? null : dnnl,
      gemm: blas.gemm,
      scratch: (length: number, slot = 0) => {
        if (!(scratch[slot]?.length >= length)) scratch[slot] = this.float64 ? new Float64Array(length) : new Float32Array(length);
        return scratch[slot];
      },
      parallel: (flops: number) => this.useLibraryThreads(!this.sharded && flops >= PARALLEL_FLOPS ? this.plan.threads : 1),
      version: (array: FloatArray) => this.versions.get(array) ?? 0,
      inverse64: blas.inverse64,
    };
    this.useLibraryThreads(1);
  }

  /** The native backend, or the reason it cannot run here (no Bun, no BLAS library, a bad MAGA_THREADS). */
  static async create(options: NativeOptions = {}): Promise<NativeBackend | { error: string }> {
    let plan: ThreadPlan;
    try {
      plan = threadPlan(await availableCores(), options.threads);
    } catch (e) {
      return { error: (e as Error).message };
    }
    const loaded = await loadBlas();
    if ('error' in loaded) return loaded;
    // The hooks reach the backend once it exists: oneDNN asks it for versions and thread counts.
    const hooks: { backend: NativeBackend | null } = { backend: null };
    const dnnl =
      options.float64 || options.dnnl === false
        ? { error: 'not used' }
        : await loadDnnl({ version: (a) => hooks.backend!.engine.version(a), threads: () => hooks.backend?.asked ?? 0 });
    const library = await loadLibraryThreads(loaded.blas.path, 'error' in dnnl ? null : dnnl.path);
    return new NativeBackend(loaded.blas, 'error' in dnnl ? dnnl : dnnl.convolutions, options, plan, library, hooks);
  }

  /**
   * Asks OpenBLAS and OpenMP (for this thread) for `n` threads, when the plan steers them and the
   * count changes; never where the user set their variables.
   */
  private useLibraryThreads(n: number): void {
    if (!this.plan.controls || n === this.asked) return;
    // OpenBLAS's count is the process's: a shard's worker leaves it to the main thread, which keeps
    // it at one while shards run. OpenMP's is this thread's.
    if (!this.shard) this.library.blas?.set(n);
    this.library.openmp?.set(n);
    this.asked = n;
  }

  /**
   * Marks the start or the end of a data-parallel step: while on, every library call runs on one
   * thread, since the step's shards use the cores (@maga/model's DataParallel).
   */
  setSharded(on: boolean): void {
    this.sharded = on;
    if (on) this.useLibraryThreads(1);
  }

  /** The library threads last asked for (0 where the plan does not steer them), for tests. */
  get libraryThreads(): number {
    return this.asked;
  }

  /**
   * Declares that `storage`'s contents changed behind the backend's back (another thread wrote its
   * shared memory), so that nothing kept from its old contents is reused.
   */
  touch(storage: Storage): void {
    const data = this.array(storage);
    this.versions.set(data, (this.versions.get(data) ?? 0) + 1);
  }

  /**
   * Moves `storage`'s values onto memory that other threads can map (a SharedArrayBuffer) and
   * returns it; the storage keeps its values and every tensor viewing it follows. Memory already
   * shared is returned as it is.
   */
  share(storage: Storage): SharedArrayBuffer {
    const data = this.array(storage);
    if (data.buffer instanceof SharedArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer;
    if (!(data instanceof Float32Array)) throw new Error('native backend: only float32 storage can be shared between threads');
    const buffer = new SharedArrayBuffer(data.byteLength);
    const shared = new Float32Array(buffer);
    shared.set(data);
    (storage as HostStorage).data = shared;
    this.touch(storage);
    return buffer;
  }

  /** Makes `storage` a view of `buffer` (shared by another thread), giving its own array back to the pool. */
  bindShared(storage: Storage, buffer: SharedArrayBuffer): void {
    const data = this.array(storage);
    if (buffer.byteLength !== data.length * this.bytesPerElement || this.float64) {
      throw new Error(`native backend: shared memory of ${buffer.byteLength} bytes for a float${this.float64 ? 64 : 32} storage of ${data.length} elements`);
    }
    const s = storage as HostStorage;
    this.release(s);
    s.data = new Float32Array(buffer);
    this.live++;
    this.liveBytes += buffer.byteLength;
    this.touch(s);
  }

  /** Counts FLOPs and bytes of every kernel from now on (roofline counters; off by default, as it costs a little per call). */
  countCosts(on = true): void {
    this.counting = on;
  }

  /** The roofline counters since creation (while counting was on). */
  costs(): NativeCounters {
    return { ...this.counters };
  }

  alloc(length: number): Storage {
    this.live++;
    this.liveBytes += length * this.bytesPerElement;
    const free = this.pool.get(length);
    const reused = free?.pop();
    if (reused) {
      this.pooled--;
      this.pooledBytes -= length * this.bytesPerElement;
      if (this.poison) reused.fill(Number.NaN);
      return new HostStorage(reused);
    }
    return new HostStorage(this.float64 ? new Float64Array(length) : new Float32Array(length));
  }

  release(storage: Storage): void {
    const s = storage as HostStorage;
    const data = s.data;
    if (!data) throw new Error('native backend: buffer released twice');
    s.data = null;
    const bytes = data.length * this.bytesPerElement;
    this.live--;
    this.liveBytes -= bytes;
    // Memory shared with other threads (data-parallel parameters) is never lent to another tensor.
    if (this.pooledBytes + bytes > this.poolLimit || data.buffer instanceof SharedArrayBuffer) return;
    let free = this.pool.get(data.length);
    if (!free) this.pool.set(data.length, (free = []));
    free.push(data);
    this.pooled++;
    this.pooledBytes += bytes;
  }

  write(storage: Storage, data: ArrayLike<number>): void {
    hostWrite('native', storage, data);
    this.touch(storage);
  }

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    this.dispatches++;
    const started = this.timer.active ? performance.now() : 0;
    const ins: FloatArray[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) ins[i] = this.array(inputs[i]);
    const outs: FloatArray[] = new Array(outputs.length);
    for (let i = 0; i < outputs.length; i++) outs[i] = this.array(outputs[i]);
    let fast = fastKernels.get(kernel);
    if (fast === undefined) fastKernels.set(kernel, (fast = nativeKernel(kernel.name)));
    if (fast) fast(ins, outs, params, this.engine);
    else kernel.cpu(ins, outs, params);
    for (let i = 0; i < outs.length; i++) this.versions.set(outs[i], (this.versions.get(outs[i]) ?? 0) + 1);
    if (this.counting) {
      const cost = kernelCost(kernel.name, params, ins.map((a) => a.length), outs.map((a) => a.length), this.bytesPerElement);
      this.counters.flops += cost.flops;
      this.counters.bytes += cost.bytes;
    }
    this.timer.record(kernel.name, started);
  }

  protected override pooledCounts(): { buffers: number; bytes: number } {
    return { buffers: this.pooled, bytes: this.pooledBytes };
  }

  destroy(): void {
    this.pool.clear();
    this.pooled = 0;
    this.pooledBytes = 0;
  }
}
