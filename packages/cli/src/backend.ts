// Choosing the compute backend for a command: --backend, else MAGA_BACKEND, else auto (WebGPU when
// an adapter exists). The choice is reported by the caller, once, in its own output.
import * as T from '@maga/tensor';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'cpu'] as const satisfies readonly T.BackendChoice[];

export interface BackendInfo {
  kind: 'cpu' | 'webgpu';
  description: string;
  /** Set when auto found no WebGPU adapter and fell back to the cpu backend. */
  fallback?: string;
}

export async function initBackend(choice?: T.BackendChoice): Promise<BackendInfo> {
  const backend = await T.init({ backend: choice, quiet: true });
  const asked = choice ?? process.env.MAGA_BACKEND ?? 'auto';
  const info: BackendInfo = { kind: backend.kind, description: backend.description };
  if (backend.kind === 'cpu' && asked !== 'cpu') info.fallback = `no WebGPU adapter found, computing on the cpu backend (slow); ${T.WEBGPU_HELP}`;
  return info;
}
