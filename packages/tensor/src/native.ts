// The native backend: the CPU engine for machines without a real GPU. Matrix products run on a
// system BLAS and convolutions on oneDNN (or im2col + BLAS), through bun:ffi with zero-copy typed
// arrays; the kernels written for speed here are in its own table by kernel name (native/kernels.ts)
// and every other kernel runs its reference loop, where speed does not matter. Buffers come from a pool of exact-size typed arrays, so a training
// step allocates nothing once warm. The TypeScript cpu backend stays the reference it is tested
// against.
import type { Backend, BackendStats, FloatArray, Kernel, KernelTime, Storage } from './backend.ts';
import { HostStorage, KernelTimer, checkFinite, hostArray, hostWrite } from './host.ts';
import { loadBlas, type Blas } from './native/blas.ts';
import { DNNL_HELP, loadDnnl } from './native/dnnl.ts';
import type { Convolutions, NativeEngine } from './native/engine.ts';
import { nativeKernel } from './native/kernels.ts';

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
}

export class NativeBackend implements Backend {
  readonly kind = 'native' as const;
  readonly traits = null;
  readonly float64: boolean;
  readonly description: string;
  /** The BLAS's threads (OpenBLAS says how many it runs); every core where the library does not say. */
  readonly threads: number;
  readonly engine: NativeEngine;
  private readonly pool = new Map<number, FloatArray[]>();
  private readonly poison: boolean;
  private readonly poolLimit: number;
  private live = 0;
  private liveBytes = 0;
  private pooled = 0;
  private pooledBytes = 0;
  private dispatches = 0;
  private readonly timer = new KernelTimer();

  /** Set when convolutions fall back to im2col + BLAS because oneDNN is missing: say it once. */
  readonly notice: string | null;

  private constructor(
    readonly blas: Blas,
    convolutions: Convolutions | { error: string },
    options: NativeOptions,
  ) {
    this.float64 = options.float64 ?? false;
    this.poison = options.poison ?? false;
    this.poolLimit = options.poolBytes ?? 2 * 2 ** 30;
    const dnnl = 'error' in convolutions ? null : convolutions;
    this.notice = 'error' in convolutions && !this.float64 && options.dnnl !== false ? `convolutions run as im2col + BLAS, several times slower than oneDNN: ${convolutions.error}; ${DNNL_HELP}` : null;
    const convs = this.float64 ? 'float64' : dnnl ? `convolutions: ${dnnl.description}` : 'convolutions: im2col + BLAS';
    this.description = `native (BLAS: ${blas.description}; ${convs})`;
    this.threads = blas.threads ?? navigator.hardwareConcurrency;
    const scratch: FloatArray[] = [];
    this.engine = {
      convolutions: this.float64 ? null : dnnl,
      gemm: blas.gemm,
      scratch: (length: number, slot = 0) => {
        if (!(scratch[slot]?.length >= length)) scratch[slot] = this.float64 ? new Float64Array(length) : new Float32Array(length);
        return scratch[slot];
      },
    };
  }

  /** The native backend, or the reason it cannot run here (no Bun, no BLAS library). */
  static async create(options: NativeOptions = {}): Promise<NativeBackend | { error: string }> {
    const loaded = await loadBlas();
    if ('error' in loaded) return loaded;
    const dnnl = options.float64 || options.dnnl === false ? { error: 'not used' } : await loadDnnl();
    return new NativeBackend(loaded.blas, 'error' in dnnl ? dnnl : dnnl.convolutions, options);
  }

  private get bytesPerElement(): number {
    return this.float64 ? 8 : 4;
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
    if (this.pooledBytes + bytes > this.poolLimit) return;
    let free = this.pool.get(data.length);
    if (!free) this.pool.set(data.length, (free = []));
    free.push(data);
    this.pooled++;
    this.pooledBytes += bytes;
  }

  write(storage: Storage, data: ArrayLike<number>): void {
    hostWrite('native', storage, data);
  }

  read(storage: Storage): Promise<FloatArray> {
    return Promise.resolve(this.array(storage).slice());
  }

  array(storage: Storage): FloatArray {
    return hostArray('native', storage);
  }

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    this.dispatches++;
    const started = this.timer.active ? performance.now() : 0;
    const ins = inputs.map((s) => this.array(s));
    const outs = outputs.map((s) => this.array(s));
    const fast = nativeKernel(kernel.name);
    if (fast) fast(ins, outs, params, this.engine);
    else kernel.cpu(ins, outs, params);
    this.timer.record(kernel.name, started);
  }

  startProfile(): void {
    this.timer.start();
  }

  async stopProfile(): Promise<KernelTime[]> {
    return this.timer.stop();
  }

  check(storage: Storage, describe: () => string): void {
    checkFinite(this.array(storage), describe);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  stats(): BackendStats {
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooled,
      pooledBytes: this.pooledBytes,
      dispatches: this.dispatches,
      submits: 0,
      pipelines: 0,
    };
  }

  destroy(): void {
    this.pool.clear();
    this.pooled = 0;
    this.pooledBytes = 0;
  }
}
