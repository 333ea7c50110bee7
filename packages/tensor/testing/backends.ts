// The backends tests run on, and the one guard for tests that need a device.
// - describeEachBackend runs one suite on every backend: the float32 cpu backend, the native CPU
//   engine with oneDNN, the same engine with convolutions on im2col + BLAS, and WebGPU. A backend
//   that cannot start here (no BLAS, no oneDNN, no adapter) has its suites reported as skipped,
//   with the reason printed once, never as passed, and never silently run on another path.
// - testDevice is the guard of the tests that train, evaluate or serve through the CLI or the
//   server: the backend is MAGA_BACKEND, else `auto` (what a user gets: a real GPU, else the native
//   engine, …), and where the chosen one cannot start its suites are skipped with the reason.
import { beforeEach, describe } from 'bun:test';
import { BACKEND_CHOICES, BLAS_HELP, CpuBackend, NativeBackend, WEBGPU_HELP, nativeBackend, setBackend, webgpuBackend, type Backend, type BackendChoice } from '../index.ts';

const gpu = await webgpuBackend();
if (!gpu) console.warn(`[tests] WebGPU suites are skipped: no adapter (${WEBGPU_HELP})`);
// Poisoned: buffers reused from the pool start as NaN, so a kernel that relies on zeroed outputs fails.
const nativeOrError = await NativeBackend.create({ poison: true });
const nativeBackendOrNull = 'error' in nativeOrError ? null : nativeOrError;
// The same engine with convolutions on im2col + BLAS (its path where oneDNN is missing).
const im2colOrError = await NativeBackend.create({ poison: true, dnnl: false });
const im2colBackend = 'error' in im2colOrError ? null : im2colOrError;
if ('error' in nativeOrError) console.warn(`[tests] native suites are skipped: ${nativeOrError.error} (${BLAS_HELP})`);
// Without oneDNN, [native] would run the im2col path again under another name: skip it instead.
const noDnnl = nativeBackendOrNull && !nativeBackendOrNull.engine.convolutions ? (nativeBackendOrNull.notice ?? 'oneDNN is not loaded') : null;
if (noDnnl) console.warn(`[tests] native (oneDNN) suites are skipped: ${noDnnl}; the [native im2col] suites test this engine without it`);

export const cpu = new CpuBackend();
/** The float64 cpu backend: the reference for finite differences, and the second check of float32 results. */
export const reference = new CpuBackend({ float64: true });
export const webgpu = gpu;
/** The native engine (BLAS, and oneDNN where it loads), or null without a BLAS. */
export const native = nativeBackendOrNull;

export const backends: { name: string; backend: Backend | null; skipped: string | null }[] = [
  { name: 'cpu', backend: cpu, skipped: null },
  { name: 'native', backend: noDnnl ? null : nativeBackendOrNull, skipped: nativeBackendOrNull ? 'no oneDNN' : 'no BLAS' },
  { name: 'native im2col', backend: im2colBackend, skipped: 'no BLAS' },
  { name: 'webgpu', backend: gpu, skipped: 'no adapter' },
];

/** Registers `body` once per backend; each of its tests creates tensors on that backend. */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const { name, backend, skipped } of backends) {
    if (!backend) {
      describe.skip(`${title} [${name}: ${skipped}]`, () => body(cpu));
      continue;
    }
    describe(`${title} [${name}]`, () => {
      beforeEach(() => setBackend(backend));
      body(backend);
    });
  }
}

/** What testDevice found: the backend choice, and a describe that skips where it cannot start. */
export interface TestDevice {
  /** The backend the tests use: the one asked for, else MAGA_BACKEND, else `auto`. */
  readonly choice: BackendChoice;
  /** Why it cannot start in this process, or null where it can. */
  readonly missing: string | null;
  /** `describe` where the backend can start; `describe.skip` (the reason printed once) where not. */
  readonly describe: typeof describe;
}

/**
 * The one guard of tests that need a device. The backend is `choice`, else MAGA_BACKEND, else
 * `auto` — the documented default (README, Tests): what a user gets, a real GPU, else the native
 * engine, else WebGPU on a software adapter, else the TypeScript loops. `label` names the suite in
 * the notice printed when it is skipped.
 */
export async function testDevice(label: string, choice?: BackendChoice): Promise<TestDevice> {
  const chosen = choice ?? environmentChoice();
  const missing = await whyUnavailable(chosen);
  if (missing) console.warn(`[${label}] skipped: ${choice ? `they need ${chosen}` : `MAGA_BACKEND=${chosen}`} but ${missing}`);
  return { choice: chosen, missing, describe: missing ? describe.skip : describe };
}

function environmentChoice(): BackendChoice {
  const value = process.env.MAGA_BACKEND;
  if (value === undefined || value === '') return 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) throw new Error(`MAGA_BACKEND=${value} is not one of: ${BACKEND_CHOICES.join(', ')}`);
  return value as BackendChoice;
}

async function whyUnavailable(choice: BackendChoice): Promise<string | null> {
  if (choice === 'webgpu') return (await webgpuBackend()) ? null : `no WebGPU adapter (${WEBGPU_HELP})`;
  if (choice === 'native') {
    const engine = await nativeBackend();
    return 'error' in engine ? `${engine.error} (${BLAS_HELP})` : null;
  }
  return null;
}
