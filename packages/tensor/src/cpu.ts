// The cpu backend: plain TypeScript loops over typed arrays. It is the reference every webgpu
// kernel is tested against (in float64 mode it is also the reference for finite differences), and
// the fallback where no WebGPU adapter exists.
import type { Backend, Kernel, Storage } from './backend.ts';
import { HostBackend, HostStorage, hostWrite } from './host.ts';

export interface CpuOptions {
  /** Compute and store in float64 (the reference for gradient checks). */
  float64?: boolean;
}

export class CpuBackend extends HostBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly description: string;

  constructor(options: CpuOptions = {}) {
    super(options.float64 ?? false);
    this.description = `cpu (TypeScript, ${this.float64 ? 'float64 reference' : 'float32'})`;
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

  run<P>(kernel: Kernel<P>, inputs: readonly Storage[], outputs: readonly Storage[], params: P): void {
    this.dispatches++;
    const started = this.timer.active ? performance.now() : 0;
    kernel.cpu(inputs.map((s) => this.array(s)), outputs.map((s) => this.array(s)), params);
    this.timer.record(kernel.name, started);
  }

  destroy(): void {}
}
