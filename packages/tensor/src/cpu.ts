// The cpu backend: plain TypeScript loops over typed arrays. It is the reference every webgpu
// kernel is tested against (in float64 mode it is also the reference for finite differences), and
// the fallback where no WebGPU adapter exists.
import type { Backend, BackendStats, FloatArray, Kernel, KernelTime, Storage } from './backend.ts';

class CpuStorage implements Storage {
  constructor(public data: FloatArray | null) {}
  get length(): number {
    return this.data?.length ?? 0;
  }
}

export interface CpuOptions {
  /** Compute and store in float64 (the reference for gradient checks). */
  float64?: boolean;
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly traits = null;
  readonly float64: boolean;
  readonly description: string;
  private live = 0;
  private liveBytes = 0;
  private dispatches = 0;

  constructor(options: CpuOptions = {}) {
    this.float64 = options.float64 ?? false;
    this.description = `cpu (TypeScript, ${this.float64 ? 'float64 reference' : 'float32'})`;
  }

  private get bytesPerElement(): number {
    return this.float64 ? 8 : 4;
  }

  alloc(length: number): Storage {
    this.live++;
    this.liveBytes += length * this.bytesPerElement;
    return new CpuStorage(this.float64 ? new Float64Array(length) : new Float32Array(length));
  }

  release(storage: Storage): void {
    const s = storage as CpuStorage;
    if (!s.data) throw new Error('cpu backend: buffer released twice');
    this.live--;
    this.liveBytes -= s.data.length * this.bytesPerElement;
    s.data = null;
  }

  write(storage: Storage, data: ArrayLike<number>): void {
    const target = this.array(storage);
    if (data.length !== target.length) throw new Error(`cpu backend: write of ${data.length} values into a buffer of ${target.length}`);
    target.set(data);
  }

  read(storage: Storage): Promise<FloatArray> {
    return Promise.resolve(this.array(storage).slice());
  }

  /** Synchronous access for cpu-only code paths (tests, host-side helpers). */
  array(storage: Storage): FloatArray {
    const data = (storage as CpuStorage).data;
    if (!data) throw new Error('cpu backend: buffer used after release');
    return data;
  }

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    this.dispatches++;
    const started = this.profile ? performance.now() : 0;
    kernel.cpu(inputs.map((s) => this.array(s)), outputs.map((s) => this.array(s)), params);
    if (this.profile) {
      const t = this.profile.get(kernel.name) ?? { ms: 0, count: 0 };
      t.ms += performance.now() - started;
      t.count++;
      this.profile.set(kernel.name, t);
    }
  }

  private profile: Map<string, { ms: number; count: number }> | null = null;

  /** Starts timing every kernel (wall-clock milliseconds of its loop). */
  startProfile(): void {
    this.profile = new Map();
  }

  /** Stops profiling; milliseconds and call counts per kernel, largest first. */
  async stopProfile(): Promise<KernelTime[]> {
    const p = this.profile ?? new Map();
    this.profile = null;
    return [...p].map(([kernel, t]) => ({ kernel, ...t })).sort((a, b) => b.ms - a.ms);
  }

  check(storage: Storage, describe: () => string): void {
    const data = this.array(storage);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`checked mode: ${describe()} produced ${data[i]} at flat index ${i}`);
      }
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  stats(): BackendStats {
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: 0,
      pooledBytes: 0,
      dispatches: this.dispatches,
      submits: 0,
      pipelines: 0,
    };
  }

  destroy(): void {}
}
