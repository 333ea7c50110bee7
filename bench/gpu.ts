// The GPU-ready check: `bun run bench:gpu [--batches 64,256] [--steps 5] [--threads 1,2,4,8,16]
// [--skip-cpu] [--json]`, one command that a machine with a real GPU runs as is, in under 8 minutes:
//   1. WebGPU on the machine's adapter: MAGANet and latent-action, training and inference at each
//      batch size — step time, images/s, dispatches, submits, FLOPs and bytes per step, live device
//      memory — after checking that the first step's loss equals the CPU engine's on the same
//      weights, batch and noise;
//   2. the PyTorch twin of MAGANet on CUDA, where torch has it (bench/torch, `--device cuda`);
//   3. the native CPU engine on 1, 2, 4, … cores (MAGA_THREADS) against PyTorch CPU on as many
//      threads (MAGANet, the largest batch): do we scale past 2 threads?
// On a software adapter (lavapipe, SwiftShader) it runs too, for correctness only: its figures
// mean nothing (e.g. `--batches 8 --steps 1`).
//
// Bringing the Vulkan loader (WebGPU under Bun is Dawn on Vulkan; Dawn opens libvulkan.so.1, which
// loads the driver named by an ICD file in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d):
//   - Debian/Ubuntu: `apt-get install libvulkan1 vulkan-tools`, then the driver's Vulkan part:
//     NVIDIA — the proprietary driver (nvidia-driver, or libnvidia-gl-<version> on Ubuntu), which
//     installs nvidia_icd.json; AMD/Intel — `apt-get install mesa-vulkan-drivers` (radv, anv).
//     Check with `vulkaninfo --summary`: the GPU must be listed, not only llvmpipe.
//   - In a container: the loader and the ICD file must be inside. With the NVIDIA Container
//     Toolkit, run with `--gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics` (graphics
//     mounts the Vulkan ICD and libGLX_nvidia); if vulkaninfo still sees no GPU, point the loader at
//     the file: `VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/nvidia_icd.json` (or
//     /etc/vulkan/icd.d/nvidia_icd.json).
//   - On a Slurm node: request the GPU (`--gres=gpu:1`) and run bench:gpu inside the allocation.
//   - MAGA_BACKEND=webgpu makes the rest of the tool use it; `auto` already prefers a real adapter.
// PyTorch on CUDA needs a CUDA build of torch in the Python bench/torch/python.ts picks (MAGA_PYTHON,
// else the first python3 that imports torch; Debian's python3-torch is CPU-only: that part is then
// skipped, saying so).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAGANET_DEFAULTS, configure, createModel, decodeSafetensors, encodeModule, lossTerms, reconstructLogits, uploadPairs, type Batch, type GroupPairBatch, type Model, type ModelConfig, type TrainingBatch } from '@maga/model';
import * as T from '@maga/tensor';
import { writeImages } from './torch/images.ts';
import { probeTorch, runTwin } from './torch/python.ts';
import { benchFlags } from './flags.ts';

const { positiveList } = benchFlags('bench:gpu');

const CORES = os.availableParallelism?.() ?? os.cpus().length;
const batches = positiveList('batches', '64,256');
const steps = positiveList('steps', '5')[0];
const threadCounts = positiveList('threads', [1, 2, 4, 8, 16, 32, 64].filter((n) => n <= CORES).concat(CORES).filter((n, i, a) => a.indexOf(n) === i).join(','));
const json = process.argv.includes('--json');
const started = performance.now();
const progress = (line: string) => console.error(`bench:gpu [${((performance.now() - started) / 1000).toFixed(0)} s]: ${line}`);

// ---- the models and their batches ------------------------------------------------------------------

const MAGANET: ModelConfig = { ...MAGANET_DEFAULTS, pairing: 'fixed' };
const LATENT_ACTION = configure('latent-action', 'quick');
const MODELS: { name: string; config: ModelConfig }[] = [
  { name: 'MAGANet', config: MAGANET },
  { name: 'latent-action', config: LATENT_ACTION },
];

/** A batch for `config` from a seeded stream: dSprites-like random pixels (the figures do not depend on what they show). */
async function batchFor(config: ModelConfig, batch: number, seed: number): Promise<() => TrainingBatch> {
  const rng = new T.Rng(seed);
  const pixels = config.channels * config.imageSize * config.imageSize;
  const host = await T.withBackend(new T.CpuBackend(), async () => ({ a: await rng.uniform([batch * pixels]).data(), b: await rng.uniform([pixels]).data() }));
  if (config.model === 'maganet') {
    return (): Batch => ({ pivot: T.tensor(host.b, [1, config.channels, config.imageSize, config.imageSize]), varying: T.tensor(host.a, [batch, config.channels, config.imageSize, config.imageSize]) });
  }
  const group = (config as { group: Parameters<typeof uploadPairs>[2] }).group;
  const pairs: GroupPairBatch = { size: batch, x: host.a, gx: host.a.map((v) => 1 - v), g: Float32Array.from({ length: batch }, (_, i) => (i % 4) * 0.5) };
  return () => uploadPairs(pairs, [config.channels, config.imageSize, config.imageSize], group);
}

interface GpuRun {
  model: string;
  batch: number;
  trainMs: number;
  inferMs: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  flopsPerStep: number;
  bytesPerStep: number;
  liveDeviceBytes: number;
}

/** The first step's loss on `backend`, from seed-0 weights, the batch of seed 1 and noise of seed 2. */
async function firstLoss(backend: T.Backend, config: ModelConfig, batch: number): Promise<number> {
  return T.withBackend(backend, async () => {
    const model = await createModel(config, 0);
    const next = await batchFor(config, batch, 1);
    T.tidy(() => model.initializeFromData(next()));
    const loss = await T.tidy(() => lossTerms(model, next(), new T.Rng(2)).loss).item();
    model.dispose();
    return loss;
  });
}

async function gpuRun(gpu: T.WebGpuBackend, name: string, config: ModelConfig, batch: number): Promise<GpuRun> {
  return T.withBackend(gpu, async () => {
    const model: Model = await createModel(config, 0);
    const next = await batchFor(config, batch, 1);
    T.tidy(() => model.initializeFromData(next()));
    const rng = new T.Rng(2);
    const optimizer = T.adam(model.parameters(), { lr: 5e-4, clipNorm: 1 });
    const train = () =>
      T.tidy(() => {
        const terms = lossTerms(model, next(), rng);
        T.backward(terms.loss);
        optimizer.update();
        optimizer.zeroGrad();
      });
    const infer = () => T.tidy(() => void reconstructLogits(model, next()));
    // The first step compiles every pipeline.
    train();
    infer();
    await gpu.sync();
    const median = async (f: () => void) => {
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        f();
        await gpu.sync();
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    };
    const trainMs = await median(train);
    const inferMs = await median(infer);
    const before = gpu.stats();
    const costs0 = gpu.costs();
    gpu.countCosts(true);
    train();
    await gpu.sync();
    gpu.countCosts(false);
    const after = gpu.stats();
    const costs1 = gpu.costs();
    const run: GpuRun = {
      model: name,
      batch,
      trainMs,
      inferMs,
      dispatchesPerStep: after.dispatches - before.dispatches,
      submitsPerStep: after.submits - before.submits,
      flopsPerStep: costs1.flops - costs0.flops,
      bytesPerStep: costs1.bytes - costs0.bytes,
      liveDeviceBytes: after.liveBytes,
    };
    optimizer.dispose();
    model.dispose();
    return run;
  });
}

// ---- CPU scaling and the twin, through bench:torch's child runs ------------------------------------

interface CpuRun {
  engine: 'native' | 'torch';
  threads: number;
  train: number | null;
  infer: number | null;
  note?: string;
}

async function nativeChild(threads: number, batch: number, images: string): Promise<CpuRun> {
  const args = [process.execPath, path.join(import.meta.dir, 'torch.ts'), '--child', 'native', '--batch', String(batch), '--steps', String(steps), '--warmup', '1', '--images', images, '--schedule', 'threads'];
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, MAGA_BACKEND: 'native', MAGA_THREADS: String(threads) } });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  if (proc.exitCode !== 0) return { engine: 'native', threads, train: null, infer: null, note: err.trim().split('\n').at(-1) };
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { trainImagesPerSecond?: number; inferImagesPerSecond?: number; unavailable?: string };
  return { engine: 'native', threads, train: r.trainImagesPerSecond ?? null, infer: r.inferImagesPerSecond ?? null, note: r.unavailable };
}

function twin(dir: string, batch: number, images: string, extra: string[]): { train: number | null; infer: number | null; note?: string; detail?: string } {
  try {
    const out = runTwin(['bench', '--config', path.join(dir, 'config.json'), '--checkpoint', path.join(dir, 'init.safetensors'), '--images', images, '--batch', String(batch), '--steps', String(steps), '--warmup', '1', ...extra]);
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { trainImagesPerSecond: number; inferImagesPerSecond: number; backend: string };
    return { train: r.trainImagesPerSecond, infer: r.inferImagesPerSecond, detail: r.backend };
  } catch (e) {
    return { train: null, infer: null, note: (e as Error).message.split('\n').at(-1) };
  }
}

function cudaAvailable(): boolean {
  const torch = probeTorch();
  if (!torch.ok) return false;
  try {
    const out = Bun.spawnSync([torch.python, '-c', 'import torch; print(torch.cuda.is_available())']).stdout.toString().trim();
    return out === 'True';
  } catch {
    return false;
  }
}

// ---- report ------------------------------------------------------------------------------------------

const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

const lines: string[] = [];
const report: Record<string, unknown> = { cores: CORES, loadAverage: os.loadavg()[0], steps, batches };

// 1. WebGPU
const adapter = await T.WebGpuBackend.probe();
if (!adapter) {
  lines.push('webgpu: no adapter: the GPU part is skipped (see the header of bench/gpu.ts to bring the Vulkan loader and driver)');
  report.webgpu = { available: false };
} else {
  const gpu = (await T.webgpuBackend())!;
  const reference = await T.nativeBackend();
  const cpu = 'error' in reference ? new T.CpuBackend() : reference;
  lines.push(`webgpu: ${gpu.description}${adapter.software ? ' — a software adapter: correctness only, its figures mean nothing' : ''}`);
  const runs: GpuRun[] = [];
  const checks: { model: string; gpu: number; cpu: number; relative: number }[] = [];
  for (const { name, config } of MODELS) {
    progress(`${name}: the first step's loss on webgpu and on ${cpu.kind}…`);
    const [g, c] = [await firstLoss(gpu, config, 4), await firstLoss(cpu, config, 4)];
    checks.push({ model: name, gpu: g, cpu: c, relative: Math.abs(g - c) / Math.max(1e-6, Math.abs(c)) });
    for (const batch of batches) {
      progress(`${name}, batch ${batch} on webgpu…`);
      runs.push(await gpuRun(gpu, name, config, batch));
    }
  }
  lines.push('', `the first step's loss, batch 4, on webgpu and on the ${cpu.kind} engine (same weights, batch and noise):`);
  lines.push(table([['model', 'webgpu', cpu.kind, 'relative difference'], ...checks.map((c) => [c.model, c.gpu.toPrecision(7), c.cpu.toPrecision(7), `${c.relative.toExponential(1)}${c.relative > 1e-3 ? '  ← MORE THAN 1e-3: check this adapter' : ''}`])]));
  lines.push('', `webgpu, median of ${steps} steps after one that compiles the pipelines:`);
  lines.push(
    table([
      ['model', 'batch', 'train ms', 'train images/s', 'inference images/s', 'dispatches/step', 'submits/step', 'GFLOP/step', 'MB/step', 'live device'],
      ...runs.map((r) => [r.model, String(r.batch), fmt(r.trainMs, 1), fmt((r.batch / r.trainMs) * 1000, 1), fmt((r.batch / r.inferMs) * 1000, 0), String(r.dispatchesPerStep), String(r.submitsPerStep), fmt(r.flopsPerStep / 1e9, 2), fmt(r.bytesPerStep / 1e6, 0), `${fmt(r.liveDeviceBytes / 2 ** 20)} MiB`]),
    ]),
  );
  report.webgpu = { available: true, description: gpu.description, software: adapter.software, checks, runs };
}

// 2. and 3. need the twin's files: MAGANet's initial weights and the images of the largest batch.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-bench-gpu-'));
try {
  T.setBackend(new T.CpuBackend());
  const model = await createModel(MAGANET, 0);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(MAGANET));
  fs.writeFileSync(path.join(dir, 'init.safetensors'), await encodeModule(model));
  model.dispose();
  const imagesFor = new Map<number, string>();
  for (const b of batches) {
    const file = path.join(dir, `images-${b}.safetensors`);
    writeImages(file, b, Math.min(8, 2 + 2 * steps));
    imagesFor.set(b, file);
  }
  // The files are what the children read: check one decodes.
  decodeSafetensors(new Uint8Array(fs.readFileSync(imagesFor.get(batches[0])!)));
  const torch = probeTorch();

  if (torch.ok && cudaAvailable()) {
    const rows = [['model', 'batch', 'train images/s', 'inference images/s']];
    const cuda: unknown[] = [];
    for (const b of batches) {
      progress(`the PyTorch twin on CUDA, batch ${b}…`);
      const r = twin(dir, b, imagesFor.get(b)!, ['--device', 'cuda']);
      rows.push(['MAGANet', String(b), fmt(r.train, 1), fmt(r.infer, 0)]);
      cuda.push({ batch: b, ...r });
    }
    lines.push('', `PyTorch twin on CUDA (${torch.version}):`, table(rows));
    report.cuda = cuda;
  } else {
    lines.push('', `PyTorch on CUDA: not run (${torch.ok ? `torch ${torch.version} has no CUDA device here` : torch.reason})`);
  }

  if (!process.argv.includes('--skip-cpu')) {
    const big = Math.max(...batches);
    const cpuRuns: CpuRun[] = [];
    for (const n of threadCounts) {
      progress(`native engine on ${n} thread${n === 1 ? '' : 's'}, MAGANet batch ${big}…`);
      cpuRuns.push(await nativeChild(n, big, imagesFor.get(big)!));
      if (torch.ok) {
        progress(`PyTorch CPU on ${n} thread${n === 1 ? '' : 's'}…`);
        cpuRuns.push({ engine: 'torch', threads: n, ...twin(dir, big, imagesFor.get(big)!, ['--threads', String(n)]) });
      }
    }
    const one = (engine: string) => cpuRuns.find((r) => r.engine === engine && r.threads === threadCounts[0]);
    const rows = [['engine', 'threads', 'train images/s', `× ${threadCounts[0]} thread`, 'inference images/s', `× ${threadCounts[0]} thread`]];
    for (const r of cpuRuns) {
      const base = one(r.engine);
      rows.push([r.engine, String(r.threads), fmt(r.train, 1), r.train && base?.train ? `${(r.train / base.train).toFixed(2)}×` : '—', fmt(r.infer, 0), r.infer && base?.infer ? `${(r.infer / base.infer).toFixed(2)}×` : '—']);
    }
    const userThreads = ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MAGA_THREADS'].filter((v) => process.env[v]);
    lines.push('', `CPU scaling, MAGANet batch ${big} on ${CORES} cores (ours: MAGA_THREADS=n, data-parallel shards; PyTorch: torch.set_num_threads(n)):${userThreads.length ? ` note: ${userThreads.join(', ')} set in the environment` : ''}`, table(rows));
    for (const r of cpuRuns) if (r.note) lines.push(`${r.engine} ${r.threads}: ${r.note}`);
    report.cpu = cpuRuns;
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

report.seconds = (performance.now() - started) / 1000;
if (json) console.log(JSON.stringify(report, null, 2));
else console.log(`\nbench:gpu: ${os.cpus()[0]?.model ?? 'CPU'} × ${CORES}, load average ${os.loadavg()[0].toFixed(2)}, ${fmt(report.seconds as number, 0)} s\n${lines.join('\n')}`);
process.exit(0);
