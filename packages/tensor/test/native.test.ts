// The native backend's own promises: how `auto` chooses it and what happens without its libraries
// (each case in a fresh process, since the choice is made once per process), its float64 mode
// (dgemm) against the TypeScript reference, odd GEMM shapes with transposed operands, and a
// poisoned pool that would expose a kernel reading memory it did not write.
import { describe, expect, test } from 'bun:test';
import * as T from '../index.ts';
import { nativeKernel } from '../src/native/kernels.ts';
import { stridedKernel, type StridedParams } from '../src/ops/movement.ts';
import { maxAbsDiff, native, reference } from '../testing.ts';

const root = new URL('../../..', import.meta.url).pathname;

/** Runs a few lines in a fresh Bun process with `env`; returns its stderr and stdout. */
async function fresh(code: string, env: Record<string, string | undefined>): Promise<{ stderr: string; stdout: string; code: number }> {
  const proc = Bun.spawn([process.execPath, '-e', code], {
    cwd: root,
    env: { ...process.env, MAGA_BACKEND: undefined, MAGA_BLAS: undefined, MAGA_DNNL: undefined, ...env },
    stderr: 'pipe',
    stdout: 'pipe',
  });
  const [stderr, stdout] = await Promise.all([new Response(proc.stderr).text(), new Response(proc.stdout).text()]);
  return { stderr, stdout, code: await proc.exited };
}

const chooseAndPrint = `import * as T from './packages/tensor/index.ts'; const b = await T.init(); console.log(b.kind);`;

// With a real GPU adapter auto rightly picks webgpu, and the case below is skipped, saying so.
const adapter = await T.WebGpuBackend.probe();
const realGpu = adapter !== null && !adapter.software;
if (native && realGpu) console.warn(`[tests] skipped: 'auto picks the native backend …': this machine has a real GPU adapter (${adapter.description}), which auto rightly picks`);

describe.skipIf(!native)('choosing the native backend', () => {
  test.skipIf(realGpu)('auto picks it when there is no GPU adapter or only a software one, and says why', async () => {
    const gpu = adapter;
    const run = await fresh(chooseAndPrint, {});
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('native');
    expect(run.stderr).toContain('maga: backend native (BLAS: OpenBLAS');
    expect(run.stderr).toContain(gpu ? 'the WebGPU adapter is a software one' : 'no WebGPU adapter');
  }, 60_000);

  test('a missing BLAS gives one notice naming the package, then the next choice, never a crash', async () => {
    const run = await fresh(chooseAndPrint, { MAGA_BLAS: '/nonexistent/libopenblas.so' });
    expect(run.code).toBe(0);
    expect(['webgpu', 'cpu']).toContain(run.stdout.trim());
    const notices = run.stderr.split('\n').filter((l) => l.includes('native CPU engine is unavailable'));
    expect(notices.length).toBe(1);
    expect(notices[0]).toContain('/nonexistent/libopenblas.so');
    expect(notices[0]).toContain('libopenblas0-pthread');
  }, 60_000);

  test('MAGA_BACKEND=native without a BLAS fails with the reason', async () => {
    const run = await fresh(chooseAndPrint, { MAGA_BACKEND: 'native', MAGA_BLAS: '/nonexistent/libopenblas.so' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('MAGA_BACKEND=native but no BLAS library could be loaded');
  }, 60_000);

  test('a missing oneDNN keeps the native backend, with one notice that convolutions are slower', async () => {
    const run = await fresh(chooseAndPrint, { MAGA_BACKEND: 'native', MAGA_DNNL: '/nonexistent/libdnnl.so' });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('native');
    expect(run.stderr.split('\n').filter((l) => l.includes('convolutions run as im2col + BLAS')).length).toBe(1);
    expect(run.stderr).toContain('libdnnl2');
  }, 60_000);

  test('hostThreads: the BLAS threads its description names (1 with OPENBLAS_NUM_THREADS=1); 1 for the TypeScript loops', async () => {
    const show = `import * as T from './packages/tensor/index.ts'; const b = await T.init({ quiet: true }); console.log(JSON.stringify([T.hostThreads(b), b.description, T.hostThreads(new T.CpuBackend())]));`;
    for (const env of [{}, { OPENBLAS_NUM_THREADS: '1' }]) {
      const result = await fresh(show, { MAGA_BACKEND: 'native', ...env });
      expect(result.code).toBe(0);
      const [threads, description, cpu] = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
      const named = /, (\d+) threads?\b/.exec(description);
      expect(named).not.toBeNull();
      expect(threads).toBe(Number(named![1]));
      if ('OPENBLAS_NUM_THREADS' in env) expect(threads).toBe(1);
      expect(cpu).toBe(1);
    }
  });

  test('an unknown MAGA_BACKEND names the accepted values', async () => {
    const run = await fresh(chooseAndPrint, { MAGA_BACKEND: 'tpu' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('MAGA_BACKEND=tpu is not one of: auto, native, webgpu, cpu');
  }, 60_000);
});

/** A float64 native backend (poisoned pool), or the reason it could not start as the test's error. */
async function nativeFloat64(): Promise<T.NativeBackend> {
  const b64 = await T.NativeBackend.create({ float64: true, poison: true });
  if ('error' in b64) throw new Error(b64.error);
  return b64;
}

/** Normal values of a shape from `rng`, drawn on the float64 reference backend. */
const referenceNormals = (rng: T.Rng) => (shape: number[]) => T.withBackend(reference, () => rng.normal(shape).data64());

describe.skipIf(!native)('native float64 mode (dgemm) against the TypeScript reference', () => {
  const rng = new T.Rng(17);
  const values = referenceNormals(rng);

  test('matmul with transposed operands and odd sizes 1, 3, 17, 65', async () => {
    const b64 = await nativeFloat64();
    expect(b64.description).toContain('float64');
    for (const [m, k, n] of [[1, 1, 1], [3, 17, 65], [65, 3, 17], [17, 65, 1]]) {
      const a = await values([k, m]);
      const b = await values([n, k]);
      const run = (backend: T.Backend) => T.withBackend(backend, () => T.tidy(() => T.linear(T.tensor(a, [k, m]).transpose(), T.tensor(b, [n, k])).data64()));
      const ours = await run(b64);
      const want = await run(reference);
      expect(maxAbsDiff(ours, want)).toBeLessThan(1e-12);
    }
  });

  test('conv2d forward and gradients (stride 2, padding 1, odd sizes) agree to 1e-12', async () => {
    const b64 = await nativeFloat64();
    const x = await values([3, 5, 17, 13]);
    const w = await values([7, 5, 4, 3]);
    const run = (backend: T.Backend) =>
      T.withBackend(backend, async () => {
        const xt = T.tensor(x, [3, 5, 17, 13]).requireGrad();
        const wt = T.tensor(w, [7, 5, 4, 3]).requireGrad();
        const y = T.conv2d(xt, wt, undefined, { stride: 2, padding: 1 });
        T.backward(y.square().sum());
        return [await y.data64(), await xt.grad!.data64(), await wt.grad!.data64()];
      });
    const ours = await run(b64);
    const want = await run(reference);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i], want[i])).toBeLessThan(1e-9);
  });
});

describe.skipIf(!native)('the native kernel table', () => {
  test('has its own loops for matmul, the convolutions, reductions, copies, padding, the inverse and every elementwise kernel; none for the rest', () => {
    for (const name of ['matmul', 'conv2d', 'conv2d_input_grad', 'conv2d_weight_grad', 'reduce', 'strided_copy', 'pad', 'inverse', 'add', 'exp', 'tanh', 'multiply_add', 'bce_with_logits']) {
      expect(nativeKernel(name)).not.toBeNull();
    }
    for (const name of ['fill', 'random', 'lu', 'concat', 'no_such_kernel']) expect(nativeKernel(name)).toBeNull();
  });

  test('the backend runs a kernel by its name from the table, not its reference loop', async () => {
    const b = native!;
    const impostor: T.Kernel<StridedParams> = {
      ...stridedKernel,
      cpu: () => {
        throw new Error('the reference loop ran');
      },
    };
    const x = b.alloc(6);
    const out = b.alloc(6);
    b.write(x, [1, 2, 3, 4, 5, 6]);
    // The transpose of a 2×3 matrix.
    b.run(impostor, [x], [out], { n: 6, dims: [3, 2], strides: [1, 3], offset: 0 });
    expect([...(await b.read(out))]).toEqual([1, 4, 2, 5, 3, 6]);
    b.release(x);
    b.release(out);
  });
});

describe.skipIf(!native)('the native pool', () => {
  test('reuses buffers: a training-like loop allocates nothing new once warm', async () => {
    const b = native!;
    await T.withBackend(b, async () => {
      const w = T.keep(T.tensor(new Float32Array(64 * 32).fill(0.01), [64, 32]).requireGrad());
      const step = () =>
        T.tidy(() => {
          const x = T.full([16, 32], 0.5);
          T.backward(T.linear(x, w).relu().sum());
          w.grad?.dispose();
          w.grad = null;
        });
      step();
      const warm = b.stats();
      for (let i = 0; i < 50; i++) step();
      const after = b.stats();
      expect(after.liveBytes).toBe(warm.liveBytes);
      expect(after.pooledBytes).toBe(warm.pooledBytes);
      w.dispose();
    });
  });
});

describe.skipIf(!native)('native loops against the TypeScript reference (float64 mode)', () => {
  const rng = new T.Rng(23);
  const values = referenceNormals(rng);

  // The broadcasts below put each stride pattern that has its own loop in the inner row of the
  // elementwise loop (unit/unit, unit/zero, zero/unit; one operand alone for unary maps).
  test('broadcast maps: per-channel, per-row and leading operands', async () => {
    const b64 = await nativeFloat64();
    const cases: [number[], number[], boolean][] = [
      [[5, 3, 4, 7], [1, 3, 1, 1], false],
      [[1, 3, 1, 1], [5, 3, 4, 7], false],
      [[6, 17], [6, 1], false],
      [[1, 17], [6, 17], false],
      [[2, 65], [65], false],
      [[9, 4], [4, 9], true],
      [[3, 1], [1, 5], false],
    ];
    for (const [aShape, bShape, transposeB] of cases) {
      const a = await values(aShape);
      const b = await values(bShape);
      const run = (backend: T.Backend) =>
        T.withBackend(backend, () =>
          T.tidy(() => {
            const x = T.tensor(a, aShape);
            const y = transposeB ? T.tensor(b, bShape).transpose() : T.tensor(b, bShape);
            return Promise.all([x.sub(y).data64(), x.mul(y).data64(), y.sub(x).data64(), x.exp().add(y).data64()]);
          }),
        );
      const ours = await run(b64);
      const want = await run(reference);
      for (let i = 0; i < ours.length; i++) expect(maxAbsDiff(ours[i], want[i])).toBeLessThan(1e-12);
    }
  });

  test('strided copies: squeeze2d, unsqueeze2d and permutes whose inner dimension is shorter than the next', async () => {
    const b64 = await nativeFloat64();
    const x = await values([3, 8, 6, 10]);
    const run = (backend: T.Backend) =>
      T.withBackend(backend, () =>
        T.tidy(() => {
          const t = T.tensor(x, [3, 8, 6, 10]);
          return Promise.all([T.squeeze2d(t).data64(), T.unsqueeze2d(t).data64(), t.permute([3, 1, 0, 2]).data64(), t.permute([0, 2, 3, 1]).data64(), t.reshape([3, 8, 60]).permute([2, 0, 1]).data64()]);
        }),
      );
    const ours = await run(b64);
    const want = await run(reference);
    for (let i = 0; i < ours.length; i++) expect(maxAbsDiff(ours[i], want[i])).toBe(0);
  });
});
