// Choosing a backend: MAGA_BACKEND=auto|native|webgpu|cpu (default auto). auto prefers a real GPU
// (webgpu), then the native CPU engine (BLAS) where the only adapter is a software one or there is
// none, then WebGPU on that software adapter, then the TypeScript loops — because a software GPU
// is 5–20× slower than the cores it runs on. The choice and its reason are printed once; a missing
// BLAS library is one notice naming what to install, then the next choice, never a crash.
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu.ts';
import { NativeBackend } from './native.ts';
import { BLAS_HELP } from './native/blas.ts';
import { hasBackend, backend as currentBackend, setBackend } from './tensor.ts';
import { WebGpuBackend } from './webgpu.ts';

export type BackendChoice = 'auto' | 'native' | 'webgpu' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'webgpu', 'cpu'];

export const WEBGPU_HELP =
  'to get WebGPU without a GPU on Debian 12, install libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Mesa >= 24, lavapipe); with a GPU, a Vulkan, Metal or D3D12 driver';
export { BLAS_HELP };

export interface InitOptions {
  backend?: BackendChoice;
  /** Print nothing (the caller reports the backend itself, with `lastChoice()`). */
  quiet?: boolean;
}

/** What init chose and why, for callers that report it themselves. */
export interface BackendReport {
  backend: Backend;
  /** Why this backend, in a few words (e.g. "the WebGPU adapter is a software one"); null when forced. */
  reason: string | null;
  /** A degradation the user should hear about once (e.g. the BLAS library is missing). */
  notice: string | null;
}

let announced = false;
let last: BackendReport | null = null;
const created = new Map<string, Promise<unknown>>();

function envChoice(): BackendChoice | undefined {
  const value = typeof process !== 'undefined' ? process.env?.MAGA_BACKEND : undefined;
  if (value === undefined || value === '') return undefined;
  if (!BACKEND_CHOICES.includes(value as BackendChoice)) throw new Error(`MAGA_BACKEND=${value} is not one of: ${BACKEND_CHOICES.join(', ')}`);
  return value as BackendChoice;
}

function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  let p = created.get(key);
  if (!p) created.set(key, (p = make()));
  return p as Promise<T>;
}

/** A WebGPU backend (one per process), or null when this environment has no adapter. */
export function webgpuBackend(): Promise<WebGpuBackend | null> {
  return once('webgpu', () =>
    WebGpuBackend.create().catch((e: unknown) => {
      console.error(`webgpu: adapter request failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }),
  );
}

/** The native backend (one per process), or why it cannot run here. */
export function nativeBackend(): Promise<NativeBackend | { error: string }> {
  return once('native', () => NativeBackend.create());
}

function adapterProbe(): Promise<{ description: string; software: boolean } | null> {
  return once('probe', () => WebGpuBackend.probe().catch(() => null));
}

async function choose(choice: BackendChoice): Promise<BackendReport> {
  if (choice === 'cpu') return { backend: new CpuBackend(), reason: null, notice: null };
  if (choice === 'webgpu') {
    const gpu = await webgpuBackend();
    if (!gpu) throw new Error(`MAGA_BACKEND=webgpu but no WebGPU adapter was found: ${WEBGPU_HELP}`);
    return { backend: gpu, reason: null, notice: null };
  }
  if (choice === 'native') {
    const native = await nativeBackend();
    if ('error' in native) throw new Error(`MAGA_BACKEND=native but ${native.error}: ${BLAS_HELP}`);
    return { backend: native, reason: null, notice: native.notice };
  }
  const adapter = await adapterProbe();
  if (adapter && !adapter.software) {
    const gpu = await webgpuBackend();
    if (gpu) return { backend: gpu, reason: 'a GPU adapter', notice: null };
  }
  const why = adapter ? 'the WebGPU adapter is a software one' : 'no WebGPU adapter';
  const native = await nativeBackend();
  if (!('error' in native)) return { backend: native, reason: why, notice: native.notice };
  const missing = `the native CPU engine is unavailable: ${native.error}; ${BLAS_HELP}`;
  const gpu = adapter ? await webgpuBackend() : null;
  if (gpu) return { backend: gpu, reason: 'software adapter; no BLAS', notice: `${missing}. Using WebGPU on a software adapter instead (several times slower)` };
  return { backend: new CpuBackend(), reason: 'no WebGPU adapter; no BLAS', notice: `${missing}; and ${why} (${WEBGPU_HELP}). Using the TypeScript loops (slow)` };
}

/** Selects the backend for new tensors and returns it. Call once at start-up. */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const report = await choose(options.backend ?? envChoice() ?? 'auto');
  last = report;
  const chosen = report.backend;
  if (hasBackend() && currentBackend() === chosen) return chosen;
  setBackend(chosen);
  if (!options.quiet && !announced) {
    if (report.notice) console.error(`maga: ${report.notice}`);
    console.error(`maga: backend ${chosen.description}${report.reason ? ` (${report.reason})` : ''}`);
    announced = true;
  }
  return chosen;
}

/** What the last `init` chose, why, and any notice — for callers that print it themselves. */
export function lastChoice(): BackendReport | null {
  return last;
}

/**
 * Host cores a backend's computing keeps busy: 1 for the TypeScript loops, the BLAS threads for
 * native, every core for a software WebGPU adapter (lavapipe, SwiftShader), none for a GPU. Host work
 * that could run beside a step (the CLI renders 3-D batches ahead in a worker) is worth a thread
 * only where this leaves a core free.
 */
export function hostThreads(backend: Backend): number {
  if (backend instanceof NativeBackend) return backend.threads;
  if (backend.kind === 'cpu') return 1;
  return backend.traits?.cpuLike ? navigator.hardwareConcurrency : 0;
}
