// The native engine's thread plan (native/threads.ts): the user's OPENBLAS_NUM_THREADS /
// OMP_NUM_THREADS always win and are never changed, MAGA_THREADS sets the cores, and where the
// engine steers the libraries it asks them for one thread except for large calls. Each case runs in
// a fresh process, since the libraries' thread counts are process state.
import { describe, expect, test } from 'bun:test';
import { threadPlan, userThreadVariables } from '../src/native/threads.ts';
import { native } from '../testing.ts';

const root = new URL('../../..', import.meta.url).pathname;

async function fresh(code: string, env: Record<string, string | undefined>): Promise<{ stderr: string; stdout: string; code: number }> {
  const clean = { ...process.env, MAGA_BACKEND: 'native', MAGA_THREADS: undefined, OPENBLAS_NUM_THREADS: undefined, GOTO_NUM_THREADS: undefined, OMP_NUM_THREADS: undefined };
  const proc = Bun.spawn([process.execPath, '-e', code], { cwd: root, env: { ...clean, ...env }, stderr: 'pipe', stdout: 'pipe' });
  const [stderr, stdout] = await Promise.all([new Response(proc.stderr).text(), new Response(proc.stdout).text()]);
  return { stderr, stdout, code: await proc.exited };
}

// Reports the libraries' own counts (through their get functions), before and after a small and a
// large product, and the environment as the process sees it at the end.
const probe = `
import * as T from './packages/tensor/index.ts';
import { loadLibraryThreads } from './packages/tensor/src/native/threads.ts';
const b = await T.init();
const lib = await loadLibraryThreads(b.blas.path, 'libdnnl.so.2');
const counts = () => [lib.blas?.get() ?? null, lib.openmp?.get() ?? null, b.libraryThreads];
const start = counts();
T.tidy(() => T.matmul(T.ones([8, 8]), T.ones([8, 8])));
const small = counts();
T.tidy(() => T.matmul(T.ones([512, 512]), T.ones([512, 512])));
const large = counts();
b.setSharded(true);
T.tidy(() => T.matmul(T.ones([512, 512]), T.ones([512, 512])));
const sharded = counts();
console.log(JSON.stringify({ start, small, large, sharded, threads: b.threads, plan: b.plan, env: [process.env.OPENBLAS_NUM_THREADS ?? null, process.env.OMP_NUM_THREADS ?? null] }));
`;

describe('the thread plan', () => {
  test('MAGA_THREADS sets the cores; the user’s library variables leave the libraries alone and default to one thread', () => {
    expect(threadPlan(4, undefined, {})).toMatchObject({ threads: 4, controls: true });
    expect(threadPlan(4, undefined, { MAGA_THREADS: '2' })).toMatchObject({ threads: 2, controls: true });
    expect(threadPlan(4, undefined, { MAGA_THREADS: 'auto' })).toMatchObject({ threads: 4, controls: true });
    expect(threadPlan(4, 3, { MAGA_THREADS: '2' })).toMatchObject({ threads: 3, controls: true });
    expect(threadPlan(4, undefined, { OMP_NUM_THREADS: '4' })).toMatchObject({ threads: 1, controls: false });
    expect(threadPlan(4, undefined, { OPENBLAS_NUM_THREADS: '1', MAGA_THREADS: '2' })).toMatchObject({ threads: 2, controls: false });
    expect(threadPlan(4, undefined, { OPENBLAS_NUM_THREADS: '1' }).why).toContain('OPENBLAS_NUM_THREADS=1');
    expect(userThreadVariables({ GOTO_NUM_THREADS: '3', OMP_NUM_THREADS: '' })).toEqual(['GOTO_NUM_THREADS=3']);
  });

  test('a bad MAGA_THREADS is an error naming it', () => {
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => threadPlan(2, undefined, { MAGA_THREADS: bad })).toThrow(`MAGA_THREADS=${bad} is not a positive integer`);
  });
});

describe.skipIf(!native)('the libraries’ threads at run time', () => {
  test('with OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set, the engine never changes them, whatever MAGA_THREADS says', async () => {
    const run = await fresh(probe, { OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '2', MAGA_THREADS: '2' });
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    for (const at of [r.start, r.small, r.large, r.sharded]) expect(at).toEqual([2, 2, 0]);
    expect(r.env).toEqual(['2', '2']);
    expect(r.plan.controls).toBe(false);
    expect(run.stderr).toContain('BLAS and oneDNN as you set them (OPENBLAS_NUM_THREADS=2, OMP_NUM_THREADS=2)');
  }, 60_000);

  test('without them, the libraries run one thread, the plan’s threads for a large product outside a shard; the choice is printed once', async () => {
    const run = await fresh(probe, { MAGA_THREADS: '2' });
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(r.start).toEqual([1, 1, 1]);
    expect(r.small).toEqual([1, 1, 1]);
    expect(r.large).toEqual([2, 2, 2]);
    expect(r.sharded).toEqual([1, 1, 1]);
    expect(r.env).toEqual([null, null]);
    const lines = run.stderr.split('\n').filter((l) => l.includes('maga: backend native'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('2 threads: MAGA_THREADS=2; BLAS and oneDNN 1 thread a shard');
  }, 60_000);
});
