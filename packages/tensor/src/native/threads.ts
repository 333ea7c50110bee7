// The native engine's threads: how many cores a process computes on, and what it asks of the
// libraries' own thread pools (OpenBLAS's, and the OpenMP runtime oneDNN runs on) through their
// APIs at run time — never through their environment variables, which are the user's.
//
// Why the engine steers the pools itself: a MAGANet step is ~1,800 small ops, and each oneDNN call
// with two OpenMP threads pays a fork, a join and a spin-wait that cost more than the second core
// gives back (measured: 2 threads 0.77–0.91× of 1 on a step, collapsing under contention). So the
// libraries run one thread per calling thread by default, and the cores are used by splitting the
// batch across threads instead (data-parallel shards, @maga/model's DataParallel); a single large
// product or convolution outside a shard (≥ PARALLEL_FLOPS) still gets every thread.
/** Variables by which the user sets the libraries' threads (OpenBLAS reads the first three in turn, OpenMP the last). */
export const THREAD_VARIABLES = ['OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS'] as const;

/**
 * A call does at least this many floating-point operations before it gets more than one library
 * thread outside a shard: ~0.5 ms on one core at ~130 GFLOP/s, where a fork and join (~10–50 µs on a
 * quiet machine) is a few per cent.
 */
export const PARALLEL_FLOPS = 2 ** 26;

export interface ThreadPlan {
  /** Cores the engine computes on: the shards of a data-parallel step, the library threads of a large call. */
  readonly threads: number;
  /** Whether the engine sets the libraries' thread counts (false when the user set one of THREAD_VARIABLES). */
  readonly controls: boolean;
  /** Why, in a few words, for the backend's one-line description. */
  readonly why: string;
}

/** The user's thread variables that are set, as `NAME=value`. */
export function userThreadVariables(env: Record<string, string | undefined> = process.env): string[] {
  return THREAD_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => `${name}=${env[name]}`);
}

/** Cores this process may run on (its CPU affinity, as os.availableParallelism reports it). */
export async function availableCores(): Promise<number> {
  const os = await import('node:os');
  return Math.max(1, os.availableParallelism?.() ?? navigator.hardwareConcurrency ?? 1);
}

/**
 * The plan: `requested` (an option) or MAGA_THREADS when given, else every core — but one thread,
 * with the libraries left as configured, when the user set their thread variables (those always win).
 */
export function threadPlan(cores: number, requested: number | undefined, env: Record<string, string | undefined> = process.env): ThreadPlan {
  const user = userThreadVariables(env);
  const controls = user.length === 0;
  const raw = env.MAGA_THREADS;
  let forced = requested;
  if (forced === undefined && raw !== undefined && raw !== '' && raw !== 'auto') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MAGA_THREADS=${raw} is not a positive integer (or 'auto'): it sets how many cores the native engine computes on`);
    forced = n;
  }
  if (forced !== undefined && (!Number.isInteger(forced) || forced < 1)) throw new Error(`native backend: threads must be a positive integer, got ${forced}`);
  const libraries = controls ? 'BLAS and oneDNN 1 thread a shard' : `BLAS and oneDNN as you set them (${user.join(', ')})`;
  if (forced !== undefined) return { threads: forced, controls, why: `${forced === requested ? 'as asked' : `MAGA_THREADS=${forced}`}; ${libraries}` };
  if (!controls) return { threads: 1, controls, why: `${libraries}; MAGA_THREADS=N shards the batch over N threads` };
  return { threads: cores, controls, why: `${cores === 1 ? '1 core' : `the ${cores} cores`}; ${libraries}` };
}

/** The libraries' thread-count functions, where they exist. */
export interface LibraryThreads {
  /** OpenBLAS's pool (process-wide); null when the BLAS is not OpenBLAS. */
  readonly blas: { set(n: number): void; get(): number } | null;
  /** The OpenMP runtime that oneDNN links (its count is per calling thread); null when there is none. */
  readonly openmp: { set(n: number): void; get(): number } | null;
}

/**
 * Finds openblas_set_num_threads in the BLAS library and omp_set_num_threads in oneDNN's
 * dependencies (dlsym on a library's handle searches what it links, so this is the runtime oneDNN
 * actually uses: libgomp on Debian). Missing functions are null: the engine then cannot steer that
 * pool and says so in its description.
 */
export async function loadLibraryThreads(blasPath: string, dnnlPath: string | null): Promise<LibraryThreads> {
  if (typeof Bun === 'undefined') return { blas: null, openmp: null };
  const specifier = 'bun:ffi';
  const { FFIType, dlopen } = (await import(/* @vite-ignore */ specifier)) as typeof import('bun:ffi');
  const pair = (path: string, set: string, get: string) => {
    try {
      const lib = dlopen(path, { [set]: { args: [FFIType.i32], returns: FFIType.void }, [get]: { args: [], returns: FFIType.i32 } });
      const s = lib.symbols[set] as (n: number) => void;
      const g = lib.symbols[get] as () => number;
      return { set: (n: number) => s(n), get: () => g() };
    } catch {
      return null;
    }
  };
  return {
    blas: pair(blasPath, 'openblas_set_num_threads', 'openblas_get_num_threads'),
    openmp: dnnlPath ? pair(dnnlPath, 'omp_set_num_threads', 'omp_get_max_threads') : null,
  };
}
