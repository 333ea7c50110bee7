// What the two backends that compute on host typed arrays (cpu, native) share: their storage, its
// checked access, host reads and writes, the finite check of checked mode, and the kernel timer.
import type { FloatArray, KernelTime, Storage } from './backend.ts';

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
