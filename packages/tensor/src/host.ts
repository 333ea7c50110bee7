// What the two backends that compute on host typed arrays (cpu, native) share: their storage, its
// checked access, host reads and writes, the finite check of checked mode, the kernel timer, and
// the bookkeeping of HostBackend.
import type { BackendStats, FloatArray, KernelTime, Storage } from './backend.ts';

export class HostStorage implements Storage {
  constructor(public data: FloatArray | null) {}
  get length(): number {
    return this.data?.length ?? 0;
  }
}

/** The typed array behind `storage`, or a clear error after release. */
export function hostArray(backend: string, storage: Storage): FloatArray {
  const data = (storage as HostStorage).data;
  if (!data) throw new Error(`${backend} backend: buffer used after release`);
  return data;
}

export function hostWrite(backend: string, storage: Storage, data: ArrayLike<number>): void {
  const target = hostArray(backend, storage);
  if (data.length !== target.length) throw new Error(`${backend} backend: write of ${data.length} values into a buffer of ${target.length}`);
  target.set(data);
}

/** Checked mode on the host: throws at the first NaN or ±Inf. */
export function checkFinite(data: FloatArray, describe: () => string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`checked mode: ${describe()} produced ${data[i]} at flat index ${i}`);
  }
}

/** The opt-in kernel profiler of host backends: wall-clock milliseconds of each kernel's loop. */
export class KernelTimer {
  private times: Map<string, { ms: number; count: number }> | null = null;

  get active(): boolean {
    return this.times !== null;
  }

  start(): void {
    this.times = new Map();
  }

  record(kernel: string, started: number): void {
    if (!this.times) return;
    const t = this.times.get(kernel) ?? { ms: 0, count: 0 };
    t.ms += performance.now() - started;
    t.count++;
    this.times.set(kernel, t);
  }

  /** Stops; milliseconds and call counts per kernel, largest first. */
  stop(): KernelTime[] {
    const p = this.times ?? new Map();
    this.times = null;
    return [...p].map(([kernel, t]) => ({ kernel, ...t })).sort((a, b) => b.ms - a.ms);
  }
}

/**
 * The Backend methods the host backends have alike: reads, checked access, the profiler, the finite
 * check, sync and the counts of `stats()`. A subclass allocates, releases, writes and runs kernels,
 * keeping `live`, `liveBytes` and `dispatches` up to date.
 */
export abstract class HostBackend {
  abstract readonly kind: 'cpu' | 'native';
  readonly traits = null;
  protected live = 0;
  protected liveBytes = 0;
  protected dispatches = 0;
  protected readonly timer = new KernelTimer();

  constructor(readonly float64: boolean) {}

  protected get bytesPerElement(): number {
    return this.float64 ? 8 : 4;
  }

  read(storage: Storage): Promise<FloatArray> {
    return Promise.resolve(this.array(storage).slice());
  }

  /** Synchronous access for host code paths (tests, host-side helpers). */
  array(storage: Storage): FloatArray {
    return hostArray(this.kind, storage);
  }

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

  /** Buffers kept for reuse and their bytes (none unless the subclass pools). */
  protected pooledCounts(): { buffers: number; bytes: number } {
    return { buffers: 0, bytes: 0 };
  }

  stats(): BackendStats {
    const pooled = this.pooledCounts();
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: pooled.buffers,
      pooledBytes: pooled.bytes,
      dispatches: this.dispatches,
      submits: 0,
      pipelines: 0,
    };
  }
}
