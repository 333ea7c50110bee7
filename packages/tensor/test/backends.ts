// Runs one test suite on every backend: the float32 cpu backend, the native CPU engine (BLAS) and
// WebGPU. Where no WebGPU adapter or no BLAS library exists, that suite is reported as skipped
// (with the reason), never as passed.
import { beforeEach, describe } from 'bun:test';
import { BLAS_HELP, CpuBackend, NativeBackend, WEBGPU_HELP, setBackend, webgpuBackend, type Backend } from '../index.ts';

const gpu = await webgpuBackend();
if (!gpu) console.warn(`[tests] WebGPU suites are skipped: no adapter (${WEBGPU_HELP})`);
// Poisoned: buffers reused from the pool start as NaN, so a kernel that relies on zeroed outputs fails.
const nativeOrError = await NativeBackend.create({ poison: true });
const nativeBackend = 'error' in nativeOrError ? null : nativeOrError;
// The same engine with convolutions on im2col + BLAS (its path where oneDNN is missing).
const im2colOrError = await NativeBackend.create({ poison: true, dnnl: false });
const im2colBackend = 'error' in im2colOrError ? null : im2colOrError;
if ('error' in nativeOrError) console.warn(`[tests] native suites are skipped: ${nativeOrError.error} (${BLAS_HELP})`);

export const cpu = new CpuBackend();
/** The float64 cpu backend: the reference for finite differences and for float32 results. */
export const reference = new CpuBackend({ float64: true });
export const webgpu = gpu;
export const native = nativeBackend;

export const backends: { name: string; backend: Backend | null }[] = [
  { name: 'cpu', backend: cpu },
  { name: 'native', backend: nativeBackend },
  { name: 'native im2col', backend: im2colBackend },
  { name: 'webgpu', backend: gpu },
];

/** Registers `body` once per backend; each of its tests creates tensors on that backend. */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const { name, backend } of backends) {
    if (!backend) {
      describe.skip(`${title} [${name}: ${name.startsWith('native') ? 'no BLAS' : 'no adapter'}]`, () => body(cpu));
      continue;
    }
    describe(`${title} [${name}]`, () => {
      beforeEach(() => setBackend(backend));
      body(backend);
    });
  }
}
