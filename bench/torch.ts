// Ours against PyTorch: `bun run bench:torch [--steps 10] [--warmup 20] [--batches 16,32,64]
// [--backends native,webgpu,cpu] [--threads 1,N] [--models maganet,latent-action,flow-action]
// [--contended] [--json]`. The default MAGANet
// (MAGANET_DEFAULTS, fixed pivot, as bench:model) is trained with Adam on the same dSprites batches
// by each of our backends and by the PyTorch twin (python/maga_torch through bench/torch/main.py,
// run by MAGA_PYTHON or the first python3 that imports torch): training
// and inference (encode + decode) images/s, peak RSS and the ratio ours/PyTorch, then
//   - threads: ours (MAGA_THREADS=n) and the twin (torch.set_num_threads(n)) at each n of --threads
//     (default 1 and every core), and n threads against 1;
//   - roofline: FLOPs and bytes per image of a step (counted by our engine), the machine's sgemm
//     peak (matmul 1024³, 1 and every thread) and copy bandwidth, and the fraction of that peak each
//     engine reaches;
//   - with --contended, at the largest batch: each engine beside one busy process (a spinning
//     loop), and two of its runs side by side (their images/s together against one run alone);
//   - the known-group models latent-action and flow-action (quick size, SO(2) pairs): ours
//     (native) against their twins, training and inference;
//   - matmul 1024³ and the convolution 64×32×32×32 → 32, k4 s2 p1, forward+backward.
// Each run is a child process of its own (peak RSS is that run's alone). Both engines warm up for
// `--warmup` steps before the timed ones: ours runs on a JIT (JavaScriptCore) that is still
// compiling the step's code for its first few dozen steps (measured: its compiler threads took
// ~50 ms of CPU a step over the first 50 steps of a batch-16 step of ~50 ms, and each shard's
// worker compiles its own), so that a warm-up of one step would time the compiler, not the steady
// state a training run lives in. Our native runs use
// DataParallel: the batch's shards on the engine's threads (docs/performance.md). A backend that
// does not initialise is reported as unavailable with the reason; without python3-torch only ours
// print. The targets of issue 25 assume nothing set by the user: a set OPENBLAS_NUM_THREADS or
// OMP_NUM_THREADS is reported, since it changes both engines.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataParallel, MAGANET_DEFAULTS, ShardThreads, configure, createModel, decodeSafetensors, encodeModule, encodeSafetensors, lossTerms, reconstructLogits, type ModelConfig, type TrainingBatch } from '@maga/model';
import * as T from '@maga/tensor';
import { writeImages as writeImagesFile } from './torch/images.ts';
import { PYTHON_DIR, TWIN_MAIN, probeTorch, runTwin } from './torch/python.ts';
import { benchFlags } from './flags.ts';

const BACKENDS = ['native', 'webgpu', 'cpu'] as const;
const CONFIG = { ...MAGANET_DEFAULTS, pairing: 'fixed' as const };
const CORES = os.availableParallelism?.() ?? os.cpus().length;

const { flag, positiveInt, positiveList } = benchFlags('bench:torch');

const steps = positiveInt('steps', '10');
const warmup = positiveInt('warmup', '20');

/** Peak resident set of this process in bytes (VmHWM, the measure the twin reads as well). */
function peakRssBytes(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

// ---- the child: one backend, one batch size, one thread count -------------------------------------

interface Costs {
  /** FLOPs and minimum bytes per image, as the native engine counts them (cost.ts). */
  trainFlops: number;
  trainBytes: number;
  inferFlops: number;
  inferBytes: number;
}

interface ChildResult {
  backend: string;
  description: string;
  trainImagesPerSecond: number;
  inferImagesPerSecond: number;
  peakRssBytes: number;
  costs?: Costs;
  matmulGflops?: number;
  convForwardBackwardMs?: number;
  /** The schedule DataParallel chose (adaptive runs). */
  schedule?: string;
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
  const schedule = flag('schedule', 'threads') as 'threads' | 'adapt';
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
  const config = JSON.parse(fs.readFileSync(flag('config', ''), 'utf8')) as ModelConfig;
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(flag('images', ''))));
  // Batches cycle through the file: rows of every per-image tensor, the pivot (MAGANet) whole.
  const rowsOf = (name: string) => tensors[name].shape[0];
  const perRow = (name: string) => tensors[name].data.length / rowsOf(name);
  const batches = Math.floor(rowsOf(tensors.varying ? 'varying' : 'x') / batch);
  let cursor = 0;
  const nextBatch = (): TrainingBatch => {
    const i = cursor++ % batches;
    const rows = (name: string) => T.tensor(tensors[name].data.subarray(i * batch * perRow(name), (i + 1) * batch * perRow(name)), [batch, ...tensors[name].shape.slice(1)]);
    if (tensors.varying) return { pivot: T.tensor(tensors.pivot.data, tensors.pivot.shape), varying: rows('varying') };
    return { x: rows('x'), gx: rows('gx'), g: rows('g') };
  };

  const model = await createModel(config, 0);
  // ActNorm from the first batch, as the twin does.
  T.tidy(() => model.initializeFromData(nextBatch()));
  const rng = new T.Rng(1);
  const optimizer = T.adam(model.parameters(), { lr: 5e-4, clipNorm: 1 });
  // The batch's shards on the engine's threads; 'adapt' (contended runs) lets it fall back to one.
  const parallel = await DataParallel.create(model, { schedule, announce: null });
  const trainStep = (shards: DataParallel | null) =>
    T.tidy(() => {
      if (shards) return void shards.trainStep(nextBatch(), optimizer, rng);
      const terms = lossTerms(model, nextBatch(), rng);
      T.backward(terms.loss);
      optimizer.update();
      optimizer.zeroGrad();
    });
  const inference = () => T.tidy(() => void reconstructLogits(model, nextBatch(), parallel));
  // The adaptive schedule makes its first choice after a warm-up and a probe: those steps are not timed.
  const warm = schedule === 'adapt' ? Math.max(warmup, new ShardThreads(2, null).firstChoiceAfter) : warmup;
  await medianMs(backend, warm, () => (trainStep(parallel), inference()));
  const trainMs = await medianMs(backend, steps, () => trainStep(parallel));
  const inferMs = await medianMs(backend, steps, inference);
  const result: ChildResult = {
    backend: name,
    description: backend.description,
    trainImagesPerSecond: (batch / trainMs) * 1000,
    inferImagesPerSecond: (batch / inferMs) * 1000,
    peakRssBytes: peakRssBytes(),
  };
  if (parallel) result.schedule = `${parallel.shards} shards${schedule === 'adapt' ? ` (${parallel.usesThreads ? 'on their threads' : 'on one thread'})` : ''}`;
  parallel?.dispose();

  // FLOPs and bytes of one step and one inference batch, counted on this thread alone (untimed).
  if (backend instanceof T.NativeBackend) {
    const count = (f: () => void) => {
      const before = backend.costs();
      backend.countCosts(true);
      f();
      backend.countCosts(false);
      const after = backend.costs();
      return { flops: (after.flops - before.flops) / batch, bytes: (after.bytes - before.bytes) / batch };
    };
    const train = count(() => trainStep(null));
    const infer = count(() => T.tidy(() => void reconstructLogits(model, nextBatch())));
    result.costs = { trainFlops: train.flops, trainBytes: train.bytes, inferFlops: infer.flops, inferBytes: infer.bytes };
  }
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

// ---- memory bandwidth (the parent measures it, before any child runs) ----------------------------

/** GB/s of a large copy (read + write) on `threads` threads at once: Float32Array.set, a memcpy. */
async function copyBandwidth(threads: number): Promise<number> {
  const elements = 1 << 24; // 64 MiB per thread, well past any cache
  const source = `
    const a = new Float32Array(${elements}).fill(1), b = new Float32Array(${elements});
    b.set(a);
    let best = Infinity;
    for (let r = 0; r < 5; r++) { const t = performance.now(); b.set(a); best = Math.min(best, performance.now() - t); }
    postMessage(best);`;
  const url = URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
  const workers = Array.from({ length: threads }, () => new Worker(url));
  const times = await Promise.all(workers.map((w) => new Promise<number>((resolve) => (w.onmessage = (e) => resolve(e.data as number)))));
  for (const w of workers) w.terminate();
  URL.revokeObjectURL(url);
  // Bytes moved by all threads over the slowest thread's best time.
  return (threads * 2 * elements * 4) / (Math.max(...times) / 1000) / 1e9;
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

interface RunOptions {
  /** Thread count (MAGA_THREADS for ours, --threads for the twin); undefined: each engine's default. */
  threads?: number;
  kernels?: boolean;
  schedule?: 'threads' | 'adapt';
  /** Extra steps for runs side by side, so that they overlap for most of their timed steps. */
  steps?: number;
  /** The model's directory (config.json, init.safetensors); MAGANet's by default. */
  model?: string;
}

function lastJsonLine(stdout: string): unknown {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line);
}

/** Where each model's config.json and initial weights are written (set by the parent). */
let modelDirs = new Map<string, string>();
const modelDir = (o: RunOptions) => o.model ?? modelDirs.get('maganet')!;

function childArgs(backend: string, batch: number, images: string, o: RunOptions): { args: string[]; env: Record<string, string | undefined> } {
  const args = [process.execPath, import.meta.path, '--child', backend, '--config', path.join(modelDir(o), 'config.json'), '--batch', String(batch), '--steps', String(o.steps ?? steps), '--warmup', String(warmup), '--images', images, '--schedule', o.schedule ?? 'threads'];
  if (o.kernels) args.push('--kernels');
  const env = { ...process.env, MAGA_BACKEND: backend, ...(o.threads ? { MAGA_THREADS: String(o.threads) } : {}) };
  return { args, env };
}

function twinArgs(batch: number, _dir: string, images: string, o: RunOptions): string[] {
  const args = ['bench', '--config', path.join(modelDir(o), 'config.json'), '--checkpoint', path.join(modelDir(o), 'init.safetensors'), '--images', images, '--batch', String(batch), '--steps', String(o.steps ?? steps), '--warmup', String(warmup)];
  if (o.kernels) args.push('--kernels');
  if (o.threads) args.push('--threads', String(o.threads));
  return args;
}

/** Runs a command to its end; its last JSON line, or why it failed. */
async function spawnJson<R>(args: string[], env: Record<string, string | undefined>): Promise<Outcome<R>> {
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', env });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (proc.exitCode !== 0) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    return { ok: false, reason: `exited with ${proc.exitCode ?? proc.signalCode}: ${last}` };
  }
  const parsed = lastJsonLine(stdout) as R | { unavailable: string };
  return parsed && typeof parsed === 'object' && 'unavailable' in parsed ? { ok: false, reason: (parsed as { unavailable: string }).unavailable } : { ok: true, value: parsed as R };
}

function runChild(backend: string, batch: number, images: string, o: RunOptions = {}): Promise<Outcome<ChildResult>> {
  const { args, env } = childArgs(backend, batch, images, o);
  return spawnJson<ChildResult>(args, env);
}

function runTorch(batch: number, dir: string, images: string, o: RunOptions = {}): Outcome<TwinResult> {
  try {
    return { ok: true, value: lastJsonLine(runTwin(twinArgs(batch, dir, images, o))) as TwinResult };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n').at(-1) ?? String(e) };
  }
}

/** The twin as a child process of its own (for runs side by side), with the interpreter runTwin uses. */
function spawnTorch(batch: number, dir: string, images: string, o: RunOptions = {}): Promise<Outcome<TwinResult>> {
  const torch = probeTorch();
  if (!torch.ok) return Promise.resolve({ ok: false, reason: torch.reason });
  const env = { ...process.env, PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  return spawnJson<TwinResult>([torch.python, '-B', TWIN_MAIN, ...twinArgs(batch, dir, images, o)], env);
}

/** Runs `run` with one CPU-bound process (a spinning loop) beside it. */
async function besideBusy<R>(run: () => Promise<R>): Promise<R> {
  const busy = Bun.spawn([process.execPath, '-e', 'for (;;) {}'], { stdout: 'ignore', stderr: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    return await run();
  } finally {
    busy.kill();
    await busy.exited;
  }
}

/** Batches in an images file: those a run consumes (initialisation, warm-up, timed steps), at most 16, then cycled. */
const batchesPerFile = () => Math.min(16, 1 + 2 * (warmup + steps));

function writeImages(file: string, batch: number): void {
  writeImagesFile(file, batch, batchesPerFile());
}

/**
 * Pairs (x, g·x, g) for a known-group model, as main.py and our child read them: seeded uniform
 * pixels (training speed does not depend on what they show), g·x = 1 − x, g an angle of SO(2).
 */
async function writePairs(file: string, config: ModelConfig, batch: number): Promise<void> {
  const group = (config as { group?: { kind: string } }).group;
  if (group?.kind !== 'so2') throw new Error(`bench:torch: pairs are written for SO(2) models; ${config.model} acts by ${group?.kind}`);
  const rows = batch * batchesPerFile();
  const shape = [rows, config.channels, config.imageSize, config.imageSize];
  const x = await T.withBackend(new T.CpuBackend(), () => new T.Rng(7).uniform(shape).data());
  fs.writeFileSync(
    file,
    encodeSafetensors({
      x: { shape, data: x },
      gx: { shape, data: x.map((v) => 1 - v) },
      g: { shape: [rows], data: Float32Array.from({ length: rows }, (_, i) => ((i % 8) * Math.PI) / 4) },
    }),
  );
}

/** The models bench:torch knows: MAGANet (every section), and the known-group models (training and inference). */
const MODELS: Record<string, () => ModelConfig> = {
  maganet: () => CONFIG,
  'latent-action': () => configure('latent-action', 'quick'),
  'flow-action': () => configure('flow-action', 'quick'),
};

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));
const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const ratio = (ours: number | undefined, theirs: number | undefined) => (ours === undefined || theirs === undefined ? undefined : ours / theirs);
const times = (r: number | undefined) => (r === undefined ? '' : ` (${r.toFixed(2)}×)`);
const pct = (x: number | undefined) => (x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function parent(): Promise<void> {
  const batches = positiveList('batches', '16,32,64');
  const threadCounts = positiveList('threads', [...new Set([1, CORES])].join(','));
  const backends = flag('backends', BACKENDS.join(','))
    .split(',')
    .map((s) => s.trim());
  for (const b of backends) {
    if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`bench:torch: --backends: '${b}' is not one of ${BACKENDS.join(', ')}`);
  }
  const pairModels = flag('models', 'maganet,latent-action,flow-action')
    .split(',')
    .map((s) => s.trim())
    .filter((m) => {
      if (!(m in MODELS)) throw new Error(`bench:torch: --models: '${m}' is not one of ${Object.keys(MODELS).join(', ')}`);
      return m !== 'maganet';
    });
  const contended = process.argv.includes('--contended');
  const json = process.argv.includes('--json');
  const progress = (line: string) => console.error(`bench:torch: ${line}`);
  const userThreads = ['OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'MAGA_THREADS'].filter((v) => process.env[v]).map((v) => `${v}=${process.env[v]}`);
  const loadAtStart = os.loadavg()[0];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-bench-torch-'));
  try {
    progress(`copy bandwidth on 1 and ${CORES} threads…`);
    const bandwidth = { one: await copyBandwidth(1), all: await copyBandwidth(CORES) };
    // The twin starts from the same initial weights as our children (createModel with seed 0).
    T.setBackend(new T.CpuBackend());
    modelDirs = new Map();
    for (const name of ['maganet', ...pairModels]) {
      const config = MODELS[name]();
      const at = path.join(dir, name);
      fs.mkdirSync(at);
      const model = await createModel(config, 0);
      fs.writeFileSync(path.join(at, 'config.json'), JSON.stringify(config));
      fs.writeFileSync(path.join(at, 'init.safetensors'), await encodeModule(model));
      model.dispose();
      modelDirs.set(name, at);
    }
    const imageFiles = new Map(batches.map((b) => [b, path.join(dir, `images-${b}.safetensors`)]));
    for (const [b, file] of imageFiles) writeImages(file, b);

    const torch = probeTorch();
    // ours.get(backend).get(batch): each engine's default threads.
    const ours = new Map<string, Map<number, ChildResult>>();
    const unavailable = new Map<string, string>();
    for (const backend of backends) {
      for (const b of batches) {
        progress(`${backend}, batch ${b}…`);
        const r = await runChild(backend, b, imageFiles.get(b)!, { kernels: b === batches[0] });
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
        const r = runTorch(b, dir, imageFiles.get(b)!, { kernels: b === batches[0] });
        if (!r.ok) {
          torchReason = r.reason;
          break;
        }
        twin.set(b, r.value);
      }
    }
    if (torchReason) progress(`PyTorch twin not run: ${torchReason}`);

    // The known-group models: ours (native, its default threads) and their twins, training and inference.
    const pairs = new Map<string, Map<number, { ours?: ChildResult; twin?: TwinResult; note?: string }>>();
    if (ours.has('native')) {
      for (const name of pairModels) {
        const at = modelDirs.get(name)!;
        const config = JSON.parse(fs.readFileSync(path.join(at, 'config.json'), 'utf8')) as ModelConfig;
        pairs.set(name, new Map());
        for (const b of batches) {
          const file = path.join(at, `pairs-${b}.safetensors`);
          await writePairs(file, config, b);
          progress(`${name}: native, batch ${b}…`);
          const r = await runChild('native', b, file, { model: at });
          const t = torchReason ? null : (progress(`${name}: torch, batch ${b}…`), runTorch(b, dir, file, { model: at }));
          pairs.get(name)!.set(b, { ours: r.ok ? r.value : undefined, twin: t?.ok ? t.value : undefined, note: [r.ok ? '' : `ours: ${r.reason}`, t && !t.ok ? `torch: ${t.reason}` : ''].filter(Boolean).join('; ') || undefined });
        }
      }
    }

    // Threads: ours (native) and the twin at each count, every batch; the first batch also times the kernels.
    const nativeByThreads = new Map<number, Map<number, ChildResult>>();
    const twinByThreads = new Map<number, Map<number, TwinResult>>();
    if (ours.has('native')) {
      for (const n of threadCounts) {
        nativeByThreads.set(n, new Map());
        if (!torchReason) twinByThreads.set(n, new Map());
        // Every core with nothing set is each engine's default: the runs above.
        const isDefault = n === CORES && userThreads.length === 0;
        for (const b of batches) {
          const r = isDefault && ours.get('native')?.has(b) ? ({ ok: true, value: ours.get('native')!.get(b)! } as const) : (progress(`threads: native with MAGA_THREADS=${n}, batch ${b}…`), await runChild('native', b, imageFiles.get(b)!, { threads: n, kernels: b === batches[0] }));
          if (r.ok) nativeByThreads.get(n)!.set(b, r.value);
          else progress(`native with ${n} threads: ${r.reason}`);
          if (torchReason) continue;
          const t = isDefault && twin.has(b) ? ({ ok: true, value: twin.get(b)! } as const) : (progress(`threads: torch with ${n} threads, batch ${b}…`), runTorch(b, dir, imageFiles.get(b)!, { threads: n, kernels: b === batches[0] }));
          if (t.ok) twinByThreads.get(n)!.set(b, t.value);
        }
      }
    }

    // Contention at the largest batch: beside a busy process, and two runs side by side.
    const big = Math.max(...batches);
    const contention: { engine: string; alone?: number; besideBusy?: number; twoRuns?: [number, number]; schedule?: string }[] = [];
    if (contended) {
      const longer = { steps: steps * 2, schedule: 'adapt' as const };
      if (ours.has('native')) {
        progress(`contended: native alone, beside a busy process, two side by side (batch ${big})…`);
        const alone = await runChild('native', big, imageFiles.get(big)!, longer);
        const busy = await besideBusy(() => runChild('native', big, imageFiles.get(big)!, longer));
        const pair = await Promise.all([runChild('native', big, imageFiles.get(big)!, longer), runChild('native', big, imageFiles.get(big)!, longer)]);
        contention.push({
          engine: 'native',
          alone: alone.ok ? alone.value.trainImagesPerSecond : undefined,
          besideBusy: busy.ok ? busy.value.trainImagesPerSecond : undefined,
          twoRuns: pair[0].ok && pair[1].ok ? [pair[0].value.trainImagesPerSecond, pair[1].value.trainImagesPerSecond] : undefined,
          schedule: [busy, ...pair].every((r) => r.ok && r.value.schedule) ? [busy, ...pair].map((r) => (r.ok ? r.value.schedule : '?')).join(' | ') : undefined,
        });
      }
      if (!torchReason) {
        progress(`contended: torch alone, beside a busy process, two side by side (batch ${big})…`);
        const alone = await spawnTorch(big, dir, imageFiles.get(big)!, longer);
        const busy = await besideBusy(() => spawnTorch(big, dir, imageFiles.get(big)!, longer));
        const pair = await Promise.all([spawnTorch(big, dir, imageFiles.get(big)!, longer), spawnTorch(big, dir, imageFiles.get(big)!, longer)]);
        contention.push({
          engine: 'torch',
          alone: alone.ok ? alone.value.trainImagesPerSecond : undefined,
          besideBusy: busy.ok ? busy.value.trainImagesPerSecond : undefined,
          twoRuns: pair[0].ok && pair[1].ok ? [pair[0].value.trainImagesPerSecond, pair[1].value.trainImagesPerSecond] : undefined,
        });
      }
    }

    // The roofline: peak from sgemm (ours, every thread), bandwidth from the copy, FLOPs and bytes per image from our engine.
    const peak = (n: number) => nativeByThreads.get(n)?.get(batches[0])?.matmulGflops;
    const peakGflops = Math.max(...[...nativeByThreads.keys()].map((n) => peak(n) ?? 0), ours.get('native')?.get(batches[0])?.matmulGflops ?? 0);
    const roofline = batches.map((b) => {
      const c = ours.get('native')?.get(b)?.costs;
      const at = (ips: number | undefined, flops: number | undefined) => (ips === undefined || flops === undefined ? undefined : (ips * flops) / 1e9);
      const r = ours.get('native')?.get(b);
      const t = twin.get(b);
      return {
        batch: b,
        trainFlopsPerImage: c?.trainFlops,
        trainBytesPerImage: c?.trainBytes,
        inferFlopsPerImage: c?.inferFlops,
        inferBytesPerImage: c?.inferBytes,
        oursTrainGflops: at(r?.trainImagesPerSecond, c?.trainFlops),
        torchTrainGflops: at(t?.trainImagesPerSecond, c?.trainFlops),
        oursInferGflops: at(r?.inferImagesPerSecond, c?.inferFlops),
        torchInferGflops: at(t?.inferImagesPerSecond, c?.inferFlops),
      };
    });
    const bound = (flops: number | undefined, bytes: number | undefined) => (flops === undefined || bytes === undefined || !peakGflops ? undefined : Math.min(peakGflops, (flops / bytes) * bandwidth.all));

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
    const loadAtEnd = os.loadavg()[0];
    const report = {
      model: 'MAGANET_DEFAULTS, fixed pivot',
      cores: CORES,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      userThreadVariables: userThreads,
      steps,
      warmup,
      batches,
      torch: torchReason ? { available: false, reason: torchReason } : { available: true, version: torch.ok ? torch.version : '', python: torch.ok ? torch.python : '', detail: twin.get(firstBatch)?.backend },
      backends: Object.fromEntries(backends.map((name) => [name, unavailable.has(name) ? { available: false, reason: unavailable.get(name) } : { available: true, description: ours.get(name)?.get(firstBatch)?.description }])),
      trainImagesPerSecond: per('trainImagesPerSecond'),
      inferImagesPerSecond: per('inferImagesPerSecond'),
      peakRssBytes: per('peakRssBytes'),
      ratios: { trainImagesPerSecond: ratios('trainImagesPerSecond'), inferImagesPerSecond: ratios('inferImagesPerSecond'), peakRssBytes: ratios('peakRssBytes') },
      threads: {
        counts: threadCounts,
        native: Object.fromEntries([...nativeByThreads].map(([n, m]) => [n, Object.fromEntries([...m].map(([b, r]) => [b, { train: r.trainImagesPerSecond, infer: r.inferImagesPerSecond, matmulGflops: r.matmulGflops }]))])),
        torch: Object.fromEntries([...twinByThreads].map(([n, m]) => [n, Object.fromEntries([...m].map(([b, r]) => [b, { train: r.trainImagesPerSecond, infer: r.inferImagesPerSecond, matmulGflops: r.matmulGflops }]))])),
      },
      roofline: { peakGflops, bandwidthGBps: bandwidth, perBatch: roofline },
      knownGroupModels: Object.fromEntries(
        [...pairs].map(([name, m]) => [
          name,
          Object.fromEntries(
            [...m].map(([b, r]) => [
              b,
              {
                ours: r.ours ? { train: r.ours.trainImagesPerSecond, infer: r.ours.inferImagesPerSecond, peakRssBytes: r.ours.peakRssBytes } : null,
                torch: r.twin ? { train: r.twin.trainImagesPerSecond, infer: r.twin.inferImagesPerSecond, peakRssBytes: r.twin.peakRssBytes } : null,
                trainRatio: ratio(r.ours?.trainImagesPerSecond, r.twin?.trainImagesPerSecond) ?? null,
                note: r.note ?? null,
              },
            ]),
          ),
        ]),
      ),
      contention,
      kernels: { matmul1024Gflops: kernel('matmulGflops'), convK4S2P1ForwardBackwardMs: kernel('convForwardBackwardMs') },
    };
    if (json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }

    const torchLine = torchReason ? `PyTorch twin: not run (${torchReason})` : `PyTorch twin: ${twin.get(firstBatch)?.backend}`;
    console.log(`\nbench:torch: MAGANet (MAGANET_DEFAULTS, fixed pivot), Adam, median of ${steps} steps after ${warmup} warm-up; ratios are ours / PyTorch\n${torchLine}`);
    console.log(`load average ${loadAtStart.toFixed(2)} at the start, ${loadAtEnd.toFixed(2)} at the end, on ${CORES} cores${Math.max(loadAtStart, loadAtEnd) > 1 ? ': other work shared the machine, the figures are indicative only' : ''}`);
    if (userThreads.length > 0) console.log(`note: ${userThreads.join(', ')} set in the environment: both engines run as those say, not as they would by default`);
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

    if (pairs.size > 0) {
      console.log(`\nthe known-group models (quick size, SO(2) pairs of ${[...pairs.keys()].map((n) => `${n}`).join(', ')}; native, its default threads, against the twin; pairs/s):`);
      const prows = [['model', 'batch', 'train pairs/s', 'inference pairs/s', 'peak RSS']];
      for (const [name, m] of pairs) {
        for (const [b, r] of m) {
          prows.push([name, String(b), fmt(r.ours?.trainImagesPerSecond, 1) + times(ratio(r.ours?.trainImagesPerSecond, r.twin?.trainImagesPerSecond)), fmt(r.ours?.inferImagesPerSecond, 0) + times(ratio(r.ours?.inferImagesPerSecond, r.twin?.inferImagesPerSecond)), mib(r.ours?.peakRssBytes) + times(ratio(r.ours?.peakRssBytes, r.twin?.peakRssBytes))]);
          if (r.twin) prows.push([`  torch`, String(b), fmt(r.twin.trainImagesPerSecond, 1), fmt(r.twin.inferImagesPerSecond, 0), mib(r.twin.peakRssBytes)]);
          if (r.note) prows.push([`  (${r.note})`, '', '', '', '']);
        }
      }
      console.log(table(prows));
    }

    if (nativeByThreads.size > 0) {
      const base = threadCounts[0];
      console.log(`\nthreads (training | inference images/s; × against ${base} thread${base === 1 ? '' : 's'} of the same engine)`);
      const trows = [['', 'threads', ...batches.map((b) => `batch ${b}`), `matmul 1024³ GFLOP/s`]];
      const cell = (r: { trainImagesPerSecond: number; inferImagesPerSecond: number } | undefined, b0: { trainImagesPerSecond: number; inferImagesPerSecond: number } | undefined) =>
        r ? `${fmt(r.trainImagesPerSecond, 1)}${times(ratio(r.trainImagesPerSecond, b0?.trainImagesPerSecond))} | ${fmt(r.inferImagesPerSecond, 0)}${times(ratio(r.inferImagesPerSecond, b0?.inferImagesPerSecond))}` : '—';
      for (const [engine, byThreads] of [['native', nativeByThreads], ['torch', twinByThreads]] as const) {
        for (const n of threadCounts) {
          const m = (byThreads as Map<number, Map<number, ChildResult | TwinResult>>).get(n);
          if (!m) continue;
          const b0 = (byThreads as Map<number, Map<number, ChildResult | TwinResult>>).get(base);
          trows.push([engine, String(n), ...batches.map((b) => cell(m.get(b), b0?.get(b))), fmt(m.get(batches[0])?.matmulGflops, 1)]);
        }
      }
      console.log(table(trows));
    }

    if (roofline.some((r) => r.trainFlopsPerImage !== undefined)) {
      console.log(
        `\nroofline: peak ${fmt(peakGflops, 1)} GFLOP/s (sgemm 1024³, best thread count), copy bandwidth ${fmt(bandwidth.one, 1)} GB/s on 1 thread, ${fmt(bandwidth.all, 1)} on ${CORES}; FLOPs and bytes (each kernel's inputs read and outputs written once) counted by our engine, the same model for both`,
      );
      const rrows = [['batch', 'pass', 'GFLOP/image', 'MB/image', 'FLOP/byte', 'bound GFLOP/s', 'ours GFLOP/s (of peak, of bound)', 'torch GFLOP/s (of peak, of bound)']];
      for (const r of roofline) {
        for (const [pass, flops, bytes, o, t] of [
          ['train', r.trainFlopsPerImage, r.trainBytesPerImage, r.oursTrainGflops, r.torchTrainGflops],
          ['infer', r.inferFlopsPerImage, r.inferBytesPerImage, r.oursInferGflops, r.torchInferGflops],
        ] as const) {
          const limit = bound(flops, bytes);
          const of = (g: number | undefined) => `${fmt(g, 1)} (${pct(ratio(g, peakGflops))}, ${pct(ratio(g, limit))})`;
          rrows.push([String(r.batch), pass, fmt(flops === undefined ? undefined : flops / 1e9, 3), fmt(bytes === undefined ? undefined : bytes / 1e6, 1), fmt(flops !== undefined && bytes ? flops / bytes : undefined, 2), fmt(limit, 1), of(o), of(t)]);
        }
      }
      console.log(table(rrows));
    }

    if (contention.length > 0) {
      console.log(`\ncontended (batch ${big}, training images/s; adaptive schedule for ours, after its probe):`);
      const crows = [['', 'alone', 'beside a busy process', 'two runs side by side (together)', 'together / alone']];
      for (const c of contention) {
        const together = c.twoRuns ? c.twoRuns[0] + c.twoRuns[1] : undefined;
        crows.push([c.engine, fmt(c.alone, 1), fmt(c.besideBusy, 1), c.twoRuns ? `${fmt(c.twoRuns[0], 1)} + ${fmt(c.twoRuns[1], 1)} = ${fmt(together, 1)}` : '—', fmt(ratio(together, c.alone), 2)]);
      }
      console.log(table(crows));
      for (const c of contention) if (c.schedule) console.log(`${c.engine} schedules (beside busy | run 1 | run 2): ${c.schedule}`);
    }

    const t = twin.get(firstBatch);
    const krows = [['', 'matmul 1024³ GFLOP/s', 'conv 64×32×32×32 k4 s2 p1 forward+backward']];
    for (const [name, m] of ours) {
      const r = m.get(firstBatch);
      krows.push([name, fmt(r?.matmulGflops, 1) + times(ratio(r?.matmulGflops, t?.matmulGflops)), `${fmt(r?.convForwardBackwardMs, 1)} ms` + times(ratio(r?.convForwardBackwardMs, t?.convForwardBackwardMs))]);
    }
    if (t) krows.push(['torch', fmt(t.matmulGflops, 1), `${fmt(t.convForwardBackwardMs, 1)} ms`]);
    console.log(`\n${table(krows)}\n(every ratio is ours / PyTorch: above 1× is better for images/s and GFLOP/s, below 1× for RSS and ms)`);
    for (const [name, m] of ours) console.log(`${name}: ${m.get(firstBatch)?.description}${m.get(firstBatch)?.schedule ? `; ${m.get(firstBatch)?.schedule}` : ''}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
