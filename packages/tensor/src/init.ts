// Choosing a backend: MAGA_BACKEND=cpu|webgpu|auto (default auto: WebGPU when an adapter exists,
// else the cpu backend with a one-line notice). Whichever is chosen is printed once.
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu.ts';
import { hasBackend, backend as currentBackend, setBackend } from './tensor.ts';
import { WebGpuBackend } from './webgpu.ts';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export const WEBGPU_HELP =
  'to get WebGPU without a GPU on Debian 12, install libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Mesa >= 24, lavapipe); with a GPU, a Vulkan, Metal or D3D12 driver';

export interface InitOptions {
  backend?: BackendChoice;
  /** Print nothing (the caller reports the backend itself). */
  quiet?: boolean;
}

let announced = false;
const created = new Map<string, Promise<Backend | null>>();

function envChoice(): BackendChoice | undefined {
  const value = typeof process !== 'undefined' ? process.env?.MAGA_BACKEND : undefined;
  if (value === undefined || value === '') return undefined;
  if (value !== 'auto' && value !== 'webgpu' && value !== 'cpu') {
    throw new Error(`MAGA_BACKEND=${value} is not one of: auto, webgpu, cpu`);
  }
  return value;
}

/** A WebGPU backend (one per process), or null when this environment has no adapter. */
export function webgpuBackend(): Promise<WebGpuBackend | null> {
  let p = created.get('webgpu');
  if (!p) {
    p = WebGpuBackend.create().catch((e: unknown) => {
      console.error(`webgpu: adapter request failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
    created.set('webgpu', p);
  }
  return p as Promise<WebGpuBackend | null>;
}

/** Selects the backend for new tensors and returns it. Call once at start-up. */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const choice = options.backend ?? envChoice() ?? 'auto';
  let chosen: Backend;
  if (choice === 'cpu') {
    chosen = new CpuBackend();
  } else {
    const gpu = await webgpuBackend();
    if (gpu) chosen = gpu;
    else if (choice === 'webgpu') throw new Error(`MAGA_BACKEND=webgpu but no WebGPU adapter was found: ${WEBGPU_HELP}`);
    else {
      chosen = new CpuBackend();
      if (!options.quiet) console.error(`maga: no WebGPU adapter found, computing on the cpu backend (slow); ${WEBGPU_HELP}`);
    }
  }
  if (hasBackend() && currentBackend() === chosen) return chosen;
  setBackend(chosen);
  if (!options.quiet && !announced) {
    console.error(`maga: backend ${chosen.description}`);
    announced = true;
  }
  return chosen;
}
