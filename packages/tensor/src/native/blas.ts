// A system BLAS through bun:ffi, for the native backend's matrix products and convolutions.
// Typed arrays go to the library as pointers with no copy (~0.1 µs a call). OpenBLAS
// (`libopenblas.so.0`, Debian's libopenblas0-pthread) is looked for by default; MAGA_BLAS names any
// other CBLAS library (BLIS, MKL, …) by path. The library's own threading and its OPENBLAS_*
// variables are the user's: nothing here sets them.
import type { FloatArray } from '../backend.ts';

export interface Blas {
  /** The library, for the backend's one-line description (e.g. "OpenBLAS 0.3.21, 2 threads"). */
  readonly description: string;
  readonly path: string;
  /** The library's worker threads (OpenBLAS reports them; other libraries: null). */
  readonly threads: number | null;
  /**
   * C[cOff…] = alpha · op(A)·op(B) + beta · C, row-major, op = transpose when asked. All three arrays
   * must be of one type: Float32Array calls sgemm, Float64Array dgemm.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number, beta: number, c: FloatArray, cOff: number, ldc: number): void;
  /**
   * x = a⁻¹ for a row-major c×c float64 matrix, by LAPACK's dgesv (LU with partial pivoting; `a`
   * is overwritten); false where the matrix is singular. Null where the library has no LAPACK.
   */
  readonly inverse64: ((c: number, a: Float64Array, x: Float64Array) => boolean) | null;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Where to look for the library: MAGA_BLAS alone when set, else OpenBLAS's usual names. */
export function blasCandidates(): string[] {
  const chosen = typeof process !== 'undefined' ? process.env?.MAGA_BLAS : undefined;
  if (chosen) return [chosen];
  return process.platform === 'darwin' ? ['libopenblas.dylib', '/opt/homebrew/opt/openblas/lib/libopenblas.dylib', '/usr/local/opt/openblas/lib/libopenblas.dylib'] : ['libopenblas.so.0', 'libopenblas.so'];
}

/** How to get the library, for the notice printed when it is missing. */
export const BLAS_HELP = 'install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: brew install openblas), or set MAGA_BLAS=/path/to/libcblas.so';

/** Loads the first library that opens and has cblas_sgemm; the error says what was tried and why it failed. */
export async function loadBlas(): Promise<{ blas: Blas } | { error: string }> {
  if (typeof Bun === 'undefined') return { error: 'the native backend needs Bun (bun:ffi)' };
  // A variable specifier keeps bundlers (the viewer's Vite build) from resolving bun:ffi.
  const specifier = 'bun:ffi';
  const ffi = (await import(/* @vite-ignore */ specifier)) as typeof import('bun:ffi');
  const { FFIType, dlopen, ptr } = ffi;
  const gemmArgs = [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32] as const;
  const failures: string[] = [];
  for (const path of blasCandidates()) {
    let lib;
    try {
      lib = dlopen(path, {
        cblas_sgemm: { args: [...gemmArgs, FFIType.f32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.f32, FFIType.ptr, FFIType.i32], returns: FFIType.void },
        cblas_dgemm: { args: [...gemmArgs, FFIType.f64, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.f64, FFIType.ptr, FFIType.i32], returns: FFIType.void },
      });
    } catch (e) {
      failures.push(`${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    const { cblas_sgemm: sgemm, cblas_dgemm: dgemm } = lib.symbols;
    let name = path.split('/').pop() ?? path;
    let threads: number | null = null;
    try {
      const info = dlopen(path, { openblas_get_config: { args: [], returns: FFIType.cstring }, openblas_get_num_threads: { args: [], returns: FFIType.i32 } });
      const config = String(info.symbols.openblas_get_config());
      name = config.match(/^OpenBLAS [\d.]+/)?.[0] ?? 'OpenBLAS';
      threads = info.symbols.openblas_get_num_threads();
    } catch {
      // Not OpenBLAS: any CBLAS will do; it just cannot tell us its version or threads.
    }
    // LAPACK's Fortran dgesv (OpenBLAS bundles LAPACK): every argument by reference, column-major.
    let inverse64: Blas['inverse64'] = null;
    try {
      const lapack = dlopen(path, { dgesv_: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.void } });
      const ints = new Int32Array(4); // n, lda = ldb, nrhs, info
      let pivots = new Int32Array(0);
      inverse64 = (c, a, x) => {
        if (pivots.length < c) pivots = new Int32Array(c);
        x.fill(0, 0, c * c);
        for (let i = 0; i < c; i++) x[i * c + i] = 1;
        ints[0] = c;
        ints[1] = c;
        ints[2] = c;
        ints[3] = 0;
        // Read column-major, the row-major A is Aᵀ: this solves Aᵀ·X = I, and X = A⁻ᵀ read
        // row-major is A⁻¹.
        lapack.symbols.dgesv_(ptr(ints, 0), ptr(ints, 8), a, ptr(ints, 4), pivots, x, ptr(ints, 4), ptr(ints, 12));
        return ints[3] === 0;
      };
    } catch {
      // Another CBLAS without LAPACK: the engine inverts with its own loop.
    }
    // A pointer at element `off`: typed arrays are passed without a copy.
    const at = (x: FloatArray, off: number) => (off === 0 ? x : ptr(x, off * x.BYTES_PER_ELEMENT));
    const blas: Blas = {
      description: threads === null ? name : `${name}, ${threads} thread${threads === 1 ? '' : 's'}`,
      path,
      threads,
      inverse64,
      gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
        if (m === 0 || n === 0) return;
        if (k === 0) {
          // An empty sum: BLAS would reject lda = 0.
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[cOff + i * ldc + j] = beta === 0 ? 0 : beta * c[cOff + i * ldc + j];
          return;
        }
        const ta = transA ? TRANS : NO_TRANS;
        const tb = transB ? TRANS : NO_TRANS;
        if (c instanceof Float32Array) sgemm(ROW_MAJOR, ta, tb, m, n, k, alpha, at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
        else dgemm(ROW_MAJOR, ta, tb, m, n, k, alpha, at(a, aOff), lda, at(b, bOff), ldb, beta, at(c, cOff), ldc);
      },
    };
    return { blas };
  }
  return { error: `no BLAS library could be loaded (${failures.join('; ')})` };
}
