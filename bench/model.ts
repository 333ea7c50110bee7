// Model benchmark: `bun run bench:model [--batch 64] [--steps 5] [--backend webgpu|cpu|native]
// [--models maganet,maganet-random,vae] [--profile]`.
// Training step time and images/s of the default MAGANet (fixed pivot and random pairs) and the
// β-VAE, the forward/backward split, inference images/s, live device bytes and host RSS. The
// anchor to compare with: the blog's PyTorch MAGANet trains at ~280 images/s on this machine's two
// cores (PyTorch CPU, batch 64, 0.76 GB RSS). With --profile it also prints, for each model, the
// time per kernel of one training step and of one inference batch (device time on webgpu, loop
// time on cpu and native), largest first, next to the call's wall time: on the host backends the
// difference is what the ops cost outside their kernels (tensors, tape, scopes, parameters).
import * as T from '@maga/tensor';
import { MAGANET_DEFAULTS, Sampler, VAE_DEFAULTS, createModel, lossTerms, reconstructLogits, uploadBatch, type Model, type ModelConfig } from '@maga/model';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const batch = Number(flag('batch', '64'));
const steps = Number(flag('steps', '5'));
const backend = await T.init({ backend: flag('backend', 'auto') as T.BackendChoice });
const PYTORCH_IMAGES_PER_SECOND = 280;

const rows: string[][] = [];
const profiles: string[] = [];

const MODELS = ['maganet', 'maganet-random', 'vae'];
const chosen = flag('models', MODELS.join(',')).split(',');
for (const m of chosen) if (!MODELS.includes(m)) throw new Error(`bench:model: --models takes ${MODELS.join(', ')}; got '${m}'`);

/** Device time per kernel of one call of `step` (what: its name), as printable lines. */
async function profileOf(label: string, what: string, step: () => Promise<number>): Promise<string> {
  backend.startProfile();
  const wall = await step();
  const kernels = await backend.stopProfile();
  const total = kernels.reduce((sum, k) => sum + k.ms, 0);
  const dispatches = kernels.reduce((sum, k) => sum + k.count, 0);
  const lines = kernels.slice(0, 15).map((k) => `  ${k.kernel.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.count).padStart(6)} dispatches`);
  return [`${label}: ${what}, ${wall.toFixed(0)} ms wall, ${total.toFixed(0)} ms of kernel time in ${dispatches} dispatches`, ...lines].join('\n');
}

async function bench(label: string, config: ModelConfig): Promise<void> {
  const model: Model = await createModel(config, 0);
  const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: batch, pivots: model.pivots, seed: 0 });
  const rng = new T.Rng(1);
  const optimizer = T.adam(model.parameters(), { lr: 5e-4, clipNorm: 1 });
  const first = sampler.next();
  T.tidy(() => model.initializeFromData(uploadBatch(first.pivot, first.varying)));

  const forwardOnly = async () => {
    const b = sampler.next();
    const started = performance.now();
    T.tidy(() => void lossTerms(model, uploadBatch(b.pivot, b.varying), rng));
    await backend.sync();
    return performance.now() - started;
  };
  const fullStep = async () => {
    const b = sampler.next();
    const started = performance.now();
    T.tidy(() => {
      const terms = lossTerms(model, uploadBatch(b.pivot, b.varying), rng);
      T.backward(terms.loss);
      optimizer.update();
      optimizer.zeroGrad();
    });
    await backend.sync();
    return performance.now() - started;
  };
  const inference = async () => {
    const b = sampler.next();
    const started = performance.now();
    T.tidy(() => void reconstructLogits(model, uploadBatch(b.pivot, b.varying)));
    await backend.sync();
    return performance.now() - started;
  };
  // Warm-up compiles every pipeline (lavapipe JIT-compiles at first dispatch).
  const compileStarted = performance.now();
  await fullStep();
  await inference();
  const warmup = performance.now() - compileStarted;
  const median = async (f: () => Promise<number>) => {
    const times: number[] = [];
    for (let i = 0; i < steps; i++) times.push(await f());
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  };
  const stepMs = await median(fullStep);
  const forwardMs = await median(forwardOnly);
  const inferMs = await median(inference);
  const stats = backend.stats();
  if (process.argv.includes('--profile')) {
    profiles.push(await profileOf(label, 'one training step', fullStep));
    profiles.push(await profileOf(label, 'one inference batch', inference));
  }
  const imagesPerSecond = (batch / stepMs) * 1000;
  rows.push([
    label,
    `${stepMs.toFixed(0)} ms`,
    `${imagesPerSecond.toFixed(1)}`,
    `${(imagesPerSecond / PYTORCH_IMAGES_PER_SECOND).toFixed(2)}×`,
    `${forwardMs.toFixed(0)} / ${(stepMs - forwardMs).toFixed(0)} ms`,
    `${((batch / inferMs) * 1000).toFixed(0)}`,
    `${(stats.liveBytes / 2 ** 20).toFixed(0)} MiB`,
    `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    `${(warmup / 1000).toFixed(1)} s`,
  ]);
  optimizer.dispose();
  model.dispose();
}

if (chosen.includes('maganet')) await bench('MAGANet, fixed pivot', { ...MAGANET_DEFAULTS, pairing: 'fixed' });
if (chosen.includes('maganet-random')) await bench('MAGANet, random pairs', { ...MAGANET_DEFAULTS, pairing: 'random' });
if (chosen.includes('vae')) await bench('β-VAE', VAE_DEFAULTS);

const header = ['model', 'step', 'images/s', 'vs PyTorch CPU', 'forward / backward+update', 'inference images/s', 'live device', 'host RSS', 'first step (compile)'];
console.log(`\nmodel benchmark: batch ${batch}, median of ${steps} steps, on ${backend.description}\n`);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
for (const p of profiles) console.log(`\n${p}`);
