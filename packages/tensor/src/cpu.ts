// The cpu backend: plain TypeScript loops over typed arrays. It is the reference every webgpu
// kernel is tested against (in float64 mode it is also the reference for finite differences), and
// the fallback where no WebGPU adapter exists.
import type { Backend, BackendStats, FloatArray, Kernel, KernelTime, Storage } from './backend.ts';
import { HostStorage, KernelTimer, checkFinite, hostArray, hostWrite } from './host.ts';

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
    return new HostStorage(this.float64 ? new Float64Array(length) : new Float32Array(length));
  }

  release(storage: Storage): void {
    const s = storage as HostStorage;
    if (!s.data) throw new Error('cpu backend: buffer released twice');
    this.live--;
    this.liveBytes -= s.data.length * this.bytesPerElement;
    s.data = null;
  }

  write(storage: Storage, data: ArrayLike<number>): void {
    hostWrite('cpu', storage, data);
  }

  read(storage: Storage): Promise<FloatArray> {
    return Promise.resolve(this.array(storage).slice());
  }

  /** Synchronous access for cpu-only code paths (tests, host-side helpers). */
  array(storage: Storage): FloatArray {
    return hostArray('cpu', storage);
  }

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    this.dispatches++;
    const started = this.timer.active ? performance.now() : 0;
    kernel.cpu(inputs.map((s) => this.array(s)), outputs.map((s) => this.array(s)), params);
    this.timer.record(kernel.name, started);
  }

  private readonly timer = new KernelTimer();

  /** Starts timing every kernel (wall-clock milliseconds of its loop). */
  startProfile(): void {
    this.timer.start();
  }

  /** Stops profiling; milliseconds and call counts per kernel, largest first. */
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
      pooledBuffers: 0,
      pooledBytes: 0,
      dispatches: this.dispatches,
      submits: 0,
      pipelines: 0,
    };
  }

  destroy(): void {}
}
