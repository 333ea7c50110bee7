// Choosing the compute backend for a command: --backend, else MAGA_BACKEND, else auto (a real GPU,
// else the native CPU engine, else WebGPU on a software adapter, else the TypeScript loops). The
// choice is reported by the caller, once, in its own output.
import * as T from '@maga/tensor';

export const BACKEND_CHOICES = T.BACKEND_CHOICES;

export interface BackendInfo {
  kind: T.Backend['kind'];
  /** The backend, and why auto chose it (e.g. "native (BLAS: OpenBLAS 0.3.21, 2 threads) — no WebGPU adapter"). */
  description: string;
  /** Set when auto had to fall back to a slower backend than this machine could have (say so, loudly). */
  fallback?: string;
}

export async function initBackend(choice?: T.BackendChoice): Promise<BackendInfo> {
  const backend = await T.init({ backend: choice, quiet: true });
  const report = T.lastChoice();
  const info: BackendInfo = { kind: backend.kind, description: backend.description + (report?.reason ? ` (${report.reason})` : '') };
  if (report?.notice) info.fallback = report.notice;
  return info;
}
