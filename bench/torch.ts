// Ours against PyTorch: `bun run bench:torch [--steps 5] [--warmup 1] [--batches 16,64]
// [--backends native,webgpu,cpu] [--json]`. The default MAGANet (MAGANET_DEFAULTS, fixed pivot,
// as bench:model) is trained with Adam on the same dSprites batches by each of our backends and by
// the PyTorch twin (python/maga_torch through bench/torch/main.py, run by MAGA_PYTHON or the first
// python3 that imports torch, as many threads as cores): training and
// inference (encode + decode) images/s, peak RSS and the ratio ours/PyTorch, plus matmul 1024³
// and the convolution 64×32×32×32 → 32, k4 s2 p1, forward+backward. Each backend and batch size
// runs in its own child process, so peak RSS is that run's alone. A backend that does not
// initialise is reported as unavailable with the reason; without a Python that has torch only ours print.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAGANET_DEFAULTS, Maganet, Sampler, createModel, decodeSafetensors, dsprites, encodeModule, encodeSafetensors, lossTerms, reconstructLogits, type Batch } from '@maga/model';
import * as T from '@maga/tensor';
import { probeTorch, runTwin } from './torch/python.ts';

const BACKENDS = ['native', 'webgpu', 'cpu'] as const;
const CONFIG = { ...MAGANET_DEFAULTS, pairing: 'fixed' as const };
const IMAGE = 64;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`bench:torch: --${name} needs a value`);
  return value;
}

function positiveInt(name: string, fallback: string): number {
  const v = Number(flag(name, fallback));
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench:torch: --${name} must be a positive integer, got ${flag(name, fallback)}`);
  return v;
}

const steps = positiveInt('steps', '5');
const warmup = positiveInt('warmup', '1');

/** Peak resident set of this process in bytes (VmHWM, the measure the twin reads as well). */
function peakRssBytes(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

// ---- the child: one backend, one batch size ------------------------------------------------------

interface ChildResult {
  backend: string;
  description: string;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  peakRssBytes: number;
  matmulGflops?: number;
  convForwardBackwardMs?: number;
}

async function medianMs(backend: T.Backend, reps: number, f: () => void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    f();
    await backend.sync();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function child(): Promise<void> {
  const name = flag('child', '');
  const batch = positiveInt('batch', '16');
  let backend: T.Backend;
  try {
    // Chosen through MAGA_BACKEND (set by the parent), which init() validates: an unknown name is an error there.
    backend = await T.init({ quiet: true });
  } catch (e) {
    console.log(JSON.stringify({ unavailable: (e as Error).message }));
    return;
  }
  // A backend that fell back to another must not be reported under this one's name.
  if ((backend.kind as string) !== name) {
    console.log(JSON.stringify({ unavailable: `MAGA_BACKEND=${name} gave the ${backend.kind} backend (${backend.description})` }));
    return;
  }
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(flag('images', ''))));
  const pool = tensors.varying.data;
  const pivotPixels = tensors.pivot.data;
  const batches = Math.floor(pool.length / (batch * IMAGE * IMAGE));
  let cursor = 0;
  const nextBatch = (): Batch => {
    const i = cursor++ % batches;
    return {
      pivot: T.tensor(pivotPixels, [1, 1, IMAGE, IMAGE]),
      varying: T.tensor(pool.subarray(i * batch * IMAGE * IMAGE, (i + 1) * batch * IMAGE * IMAGE), [batch, 1, IMAGE, IMAGE]),
    };
  };

  const model = await createModel(CONFIG, 0);
  if (!(model instanceof Maganet)) throw new Error('bench:torch: the benchmarked model must be MAGANet');
  T.tidy(() => model.initialize(nextBatch().varying));
  const rng = new T.Rng(1);
  const optimizer = T.adam(model.parameters(), { lr: 5e-4, clipNorm: 1 });
  const trainStep = () =>
    T.tidy(() => {
      const terms = lossTerms(model, nextBatch(), rng);
      T.backward(terms.loss);
      optimizer.update();
      optimizer.zeroGrad();
    });
  const inference = () => T.tidy(() => void reconstructLogits(model, nextBatch()));
  await medianMs(backend, warmup, () => (trainStep(), inference()));
  const trainMs = await medianMs(backend, steps, trainStep);
  const inferMs = await medianMs(backend, steps, inference);
  const result: ChildResult = {
    backend: name,
    description: backend.description,
    trainImagesPerSecond: (batch / trainMs) * 1000,
    inferImagesPerSecond: (batch / inferMs) * 1000,
    peakRssBytes: peakRssBytes(),
  };
  optimizer.dispose();
  model.dispose();

  if (process.argv.includes('--kernels')) {
    // As bench:tensor: one warm-up run, then the median (one run on the slow TypeScript loops).
    const reps = backend.kind === 'cpu' ? 1 : 5;
    const n = 1024;
    const a = T.keep(T.full([n, n], 0.5));
    const b = T.keep(T.full([n, n], 0.25));
    const mm = () => T.tidy(() => void T.matmul(a, b));
    await medianMs(backend, 1, mm);
    result.matmulGflops = (2 * n ** 3) / (await medianMs(backend, reps, mm)) / 1e6;
    const x = T.keep(T.full([64, 32, 32, 32], 0.1)).requireGrad();
    const w = T.keep(T.full([32, 32, 4, 4], 0.01)).requireGrad();
    const bias = T.keep(T.zeros([32])).requireGrad();
    const conv = () => T.tidy(() => void T.grad(T.sum(T.conv2d(x, w, bias, { stride: 2, padding: 1 })), [x, w, bias]));
    await medianMs(backend, 1, conv);
    result.convForwardBackwardMs = await medianMs(backend, reps, conv);
    for (const t of [a, b, x, w, bias]) t.dispose();
  }
  console.log(JSON.stringify(result));
}

// ---- the parent: prepare, run every child and the twin, report ------------------------------------

type Outcome<R> = { ok: true; value: R } | { ok: false; reason: string };

interface TwinResult {
  backend: string;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  peakRssBytes: number;
  matmulGflops?: number;
  convForwardBackwardMs?: number;
}

function lastJsonLine(stdout: string): unknown {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line);
}

async function runChild(backend: string, batch: number, images: string, kernels: boolean): Promise<Outcome<ChildResult>> {
  const args = [process.execPath, import.meta.path, '--child', backend, '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), '--images', images];
  if (kernels) args.push('--kernels');
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, MAGA_BACKEND: backend } });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (proc.exitCode !== 0) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    return { ok: false, reason: `child exited with ${proc.exitCode ?? proc.signalCode}: ${last}` };
  }
  const parsed = lastJsonLine(stdout) as ChildResult | { unavailable: string };
  return 'unavailable' in parsed ? { ok: false, reason: parsed.unavailable } : { ok: true, value: parsed };
}

function runTorch(batch: number, dir: string, images: string, kernels: boolean): Outcome<TwinResult> {
  const args = ['bench', '--config', path.join(dir, 'config.json'), '--checkpoint', path.join(dir, 'init.safetensors'), '--images', images, '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)];
  if (kernels) args.push('--kernels');
  try {
    return { ok: true, value: lastJsonLine(runTwin(args)) as TwinResult };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n').at(-1) ?? String(e) };
  }
}

/** The images of every batch a run consumes (initialisation, warm-up, timed steps), up to 16 batches, then cycled. */
function writeImages(file: string, batch: number): void {
  const count = Math.min(16, 1 + 2 * (warmup + steps));
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: batch, pivots: 'fixed', seed: 0 });
  const indices = new Int32Array(count * batch);
  let pivot: ArrayLike<number> = new Int32Array(0);
  for (let i = 0; i < count; i++) {
    const b = sampler.next();
    indices.set(b.varying, i * batch);
    pivot = b.pivot;
  }
  fs.writeFileSync(
    file,
    encodeSafetensors({
      pivot: { shape: [1, 1, IMAGE, IMAGE], data: dsprites.renderBatch(pivot) },
      varying: { shape: [indices.length, 1, IMAGE, IMAGE], data: dsprites.renderBatch(indices) },
    }),
  );
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '—' : n.toFixed(digits));
const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const ratio = (ours: number | undefined, theirs: number | undefined) => (ours === undefined || theirs === undefined ? undefined : ours / theirs);
const times = (r: number | undefined) => (r === undefined ? '' : ` (${r.toFixed(2)}×)`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function parent(): Promise<void> {
  const batches = flag('batches', '16,64')
    .split(',')
    .map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 1) throw new Error(`bench:torch: --batches must list positive integers, got '${s}'`);
      return v;
    });
  const backends = flag('backends', BACKENDS.join(','))
    .split(',')
    .map((s) => s.trim());
  for (const b of backends) {
    if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`bench:torch: --backends: '${b}' is not one of ${BACKENDS.join(', ')}`);
  }
  const json = process.argv.includes('--json');
  const progress = (line: string) => console.error(`bench:torch: ${line}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-bench-torch-'));
  try {
    // The twin starts from the same initial weights as our children (createModel with seed 0).
    T.setBackend(new T.CpuBackend());
    const model = await createModel(CONFIG, 0);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG));
    fs.writeFileSync(path.join(dir, 'init.safetensors'), await encodeModule(model));
    model.dispose();
    const imageFiles = new Map(batches.map((b) => [b, path.join(dir, `images-${b}.safetensors`)]));
    for (const [b, file] of imageFiles) writeImages(file, b);

    const torch = probeTorch();
    const ours = new Map<string, Map<number, ChildResult>>();
    const unavailable = new Map<string, string>();
    for (const backend of backends) {
      for (const b of batches) {
        progress(`${backend}, batch ${b}…`);
        const r = await runChild(backend, b, imageFiles.get(b)!, b === batches[0]);
        if (!r.ok) {
          unavailable.set(backend, r.reason);
          progress(`${backend}: unavailable (${r.reason})`);
          break;
        }
        if (!ours.has(backend)) ours.set(backend, new Map());
        ours.get(backend)!.set(b, r.value);
      }
    }
    const twin = new Map<number, TwinResult>();
    let torchReason = torch.ok ? '' : torch.reason;
    if (torch.ok) {
      for (const b of batches) {
        progress(`torch ${torch.version}, batch ${b}…`);
        const r = runTorch(b, dir, imageFiles.get(b)!, b === batches[0]);
        if (!r.ok) {
          torchReason = r.reason;
          break;
        }
        twin.set(b, r.value);
      }
    }
    if (torchReason) progress(`PyTorch twin not run: ${torchReason}`);

    const per = <K extends 'trainImagesPerSecond' | 'inferImagesPerSecond' | 'peakRssBytes'>(key: K) =>
      Object.fromEntries(
        batches.map((b) => [
          String(b),
          { ours: Object.fromEntries([...ours].filter(([, m]) => m.has(b)).map(([name, m]) => [name, m.get(b)![key]])), torch: twin.get(b)?.[key] ?? null },
        ]),
      );
    const ratios = (key: 'trainImagesPerSecond' | 'inferImagesPerSecond' | 'peakRssBytes') =>
      Object.fromEntries(
        batches.map((b) => [String(b), Object.fromEntries([...ours].filter(([, m]) => m.has(b)).map(([name, m]) => [name, ratio(m.get(b)![key], twin.get(b)?.[key]) ?? null]))]),
      );
    const firstBatch = batches[0];
    const kernel = (key: 'matmulGflops' | 'convForwardBackwardMs') => ({
      ours: Object.fromEntries([...ours].map(([name, m]) => [name, m.get(firstBatch)?.[key] ?? null])),
      torch: twin.get(firstBatch)?.[key] ?? null,
    });
    const report = {
      model: 'MAGANET_DEFAULTS, fixed pivot',
      cores: os.cpus().length,
      loadAverage: os.loadavg()[0],
      steps,
      warmup,
      batches,
      torch: torchReason ? { available: false, reason: torchReason } : { available: true, version: torch.ok ? torch.version : '', python: torch.ok ? torch.python : '', detail: twin.get(firstBatch)?.backend },
      backends: Object.fromEntries(backends.map((name) => [name, unavailable.has(name) ? { available: false, reason: unavailable.get(name) } : { available: true, description: ours.get(name)?.get(firstBatch)?.description }])),
      trainImagesPerSecond: per('trainImagesPerSecond'),
      inferImagesPerSecond: per('inferImagesPerSecond'),
      peakRssBytes: per('peakRssBytes'),
      ratios: { trainImagesPerSecond: ratios('trainImagesPerSecond'), inferImagesPerSecond: ratios('inferImagesPerSecond'), peakRssBytes: ratios('peakRssBytes') },
      kernels: { matmul1024Gflops: kernel('matmulGflops'), convK4S2P1ForwardBackwardMs: kernel('convForwardBackwardMs') },
    };
    if (json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }

    const torchLine = torchReason ? `PyTorch twin: not run (${torchReason})` : `PyTorch twin: ${twin.get(firstBatch)?.backend}`;
    console.log(`\nbench:torch: MAGANet (MAGANET_DEFAULTS, fixed pivot), Adam, median of ${steps} steps after ${warmup} warm-up; ratios are ours / PyTorch\n${torchLine}`);
    // PyTorch's OpenMP threads spin while they wait, so a busy machine slows it far more than ours.
    const load = os.loadavg()[0];
    if (load > os.cpus().length) console.log(`note: load average ${load.toFixed(1)} on ${os.cpus().length} cores at the end: other work shared the machine, the figures are indicative only (PyTorch, whose threads spin while they wait, suffers most)`);
    console.log('');
    const rows = [['', 'batch', 'train images/s', 'inference images/s', 'peak RSS']];
    for (const b of batches) {
      for (const [name, m] of ours) {
        const r = m.get(b);
        if (!r) continue;
        const t = twin.get(b);
        rows.push([name, String(b), fmt(r.trainImagesPerSecond, 1) + times(ratio(r.trainImagesPerSecond, t?.trainImagesPerSecond)), fmt(r.inferImagesPerSecond, 0) + times(ratio(r.inferImagesPerSecond, t?.inferImagesPerSecond)), mib(r.peakRssBytes) + times(ratio(r.peakRssBytes, t?.peakRssBytes))]);
      }
      const t = twin.get(b);
      if (t) rows.push(['torch', String(b), fmt(t.trainImagesPerSecond, 1), fmt(t.inferImagesPerSecond, 0), mib(t.peakRssBytes)]);
    }
    console.log(table(rows));
    for (const [name, reason] of unavailable) console.log(`${name}: unavailable (${reason})`);

    const t = twin.get(firstBatch);
    const krows = [['', 'matmul 1024³ GFLOP/s', 'conv 64×32×32×32 k4 s2 p1 forward+backward']];
    for (const [name, m] of ours) {
      const r = m.get(firstBatch);
      krows.push([name, fmt(r?.matmulGflops, 1) + times(ratio(r?.matmulGflops, t?.matmulGflops)), `${fmt(r?.convForwardBackwardMs, 1)} ms` + times(ratio(r?.convForwardBackwardMs, t?.convForwardBackwardMs))]);
    }
    if (t) krows.push(['torch', fmt(t.matmulGflops, 1), `${fmt(t.convForwardBackwardMs, 1)} ms`]);
    console.log(`\n${table(krows)}\n(every ratio is ours / PyTorch: above 1× is better for images/s and GFLOP/s, below 1× for RSS and ms)`);
    for (const [name, m] of ours) console.log(`${name}: ${m.get(firstBatch)?.description}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
