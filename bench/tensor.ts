// Tensor-core benchmark: `bun run bench:tensor` (add `--cpu` to include the cpu backend, slow).
// Prints one table: matmul GFLOP/s, conv2d forward and forward+backward time, per-op dispatch
// overhead, and live memory after a training loop, for each backend. Timings never go in tests.
import * as T from '@maga/tensor';

type Row = { backend: string; what: string; value: string };
const rows: Row[] = [];
const includeCpu = process.argv.includes('--cpu');

/** Median wall time of `reps` runs of `f` (each in its own scope), after one warm-up run. */
async function time(backend: T.Backend, reps: number, f: () => unknown): Promise<number> {
  const run = async () => {
    const started = performance.now();
    T.tidy(() => void f());
    await backend.sync();
    return performance.now() - started;
  };
  await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await run());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function benchBackend(name: string, backend: T.Backend): Promise<void> {
  T.setBackend(backend);
  const slow = backend.kind === 'cpu';
  for (const n of [512, 1024]) {
    const a = T.keep(T.full([n, n], 0.5));
    const b = T.keep(T.full([n, n], 0.25));
    const ms = await time(backend, slow ? 1 : 5, () => T.matmul(a, b));
    rows.push({ backend: name, what: `matmul ${n}³`, value: `${((2 * n ** 3) / ms / 1e6).toFixed(2)} GFLOP/s (${ms.toFixed(1)} ms)` });
    a.dispose();
    b.dispose();
  }
  // The convolution: input 64×32×32×32 (NCHW), 32 output channels, kernel 4, stride 2, padding 1.
  const x = T.keep(T.full([64, 32, 32, 32], 0.1)).requireGrad();
  const w = T.keep(T.full([32, 32, 4, 4], 0.01)).requireGrad();
  const bias = T.keep(T.zeros([32])).requireGrad();
  const conv = () => T.conv2d(x, w, bias, { stride: 2, padding: 1 });
  const forward = await time(backend, slow ? 1 : 5, conv);
  const both = await time(backend, slow ? 1 : 5, () => T.grad(T.sum(conv()), [x, w, bias]));
  const flops = 2 * 64 * 32 * 16 * 16 * 32 * 16;
  rows.push({ backend: name, what: 'conv2d forward', value: `${forward.toFixed(1)} ms (${(flops / forward / 1e6).toFixed(2)} GFLOP/s)` });
  rows.push({ backend: name, what: 'conv2d forward+backward', value: `${both.toFixed(1)} ms (${((3 * flops) / both / 1e6).toFixed(2)} GFLOP/s)` });
  for (const t of [x, w, bias]) t.dispose();

  // Dispatch overhead: many tiny ops recorded and run, per op.
  const small = T.keep(T.ones([64]));
  const ops = 2000;
  const chain = await time(backend, 3, () => {
    let y = small;
    for (let i = 0; i < ops; i++) y = T.add(y, 1);
    return y;
  });
  rows.push({ backend: name, what: 'per-op overhead (add on 64 floats)', value: `${((chain / ops) * 1000).toFixed(1)} µs` });
  small.dispose();

  // Memory: a small MLP trained with Adam; live bytes must not grow from step to step.
  const rng = new T.Rng(0);
  const params = { w1: rng.normal([32, 128], 0, 0.1), b1: T.zeros([128]), w2: rng.normal([128, 1], 0, 0.1), b2: T.zeros([1]) };
  for (const p of Object.values(params)) T.keep(p).requireGrad();
  const input = T.keep(rng.normal([256, 32]));
  const target = T.keep(T.full([256, 1], 1));
  const opt = T.adam(params, { lr: 1e-3, clipNorm: 1 });
  const step = () =>
    T.tidy(() => {
      const h = T.relu(T.add(T.matmul(input, params.w1), params.b1));
      T.backward(T.mse(T.add(T.matmul(h, params.w2), params.b2), target));
      opt.update();
      opt.zeroGrad();
    });
  step();
  await backend.sync();
  const before = backend.stats().liveBytes;
  const started = performance.now();
  for (let i = 0; i < 100; i++) step();
  await backend.sync();
  const after = backend.stats();
  rows.push({ backend: name, what: 'MLP Adam step (256×32→128→1)', value: `${((performance.now() - started) / 100).toFixed(2)} ms` });
  rows.push({ backend: name, what: 'live bytes after 1 / 101 steps', value: `${before} / ${after.liveBytes} (pool ${after.pooledBytes})` });
}

const gpu = await T.webgpuBackend();
if (gpu) await benchBackend('webgpu', gpu);
else console.error(`no WebGPU adapter: ${T.WEBGPU_HELP}`);
if (includeCpu) await benchBackend('cpu', new T.CpuBackend());

console.log(`\ntensor benchmark on ${gpu?.description ?? 'cpu only'}\n`);
const width = Math.max(...rows.map((r) => r.what.length));
for (const r of rows) console.log(`${r.backend.padEnd(7)} ${r.what.padEnd(width)}  ${r.value}`);
