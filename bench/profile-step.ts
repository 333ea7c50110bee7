// Kernel profile of one MAGANet training step: `bun run bench:profile [--batch 32]`.
// Prints device milliseconds and launch counts per kernel (timestamp queries), largest first,
// and the step's wall time, so a reader sees where a step's time goes.
import * as T from '@maga/tensor';
import { MAGANET_DEFAULTS, Maganet, Sampler, createModel, lossTerms, pivotMode, uploadBatch } from '@maga/model';

const i = process.argv.indexOf('--batch');
const batch = i >= 0 ? Number(process.argv[i + 1]) : 32;
const backend = await T.init({ backend: 'webgpu' });

const model = await createModel({ ...MAGANET_DEFAULTS }, 0);
const sampler = new Sampler({ split: 'to-range', part: 'train', batchSize: batch, pivots: pivotMode(model), seed: 0 });
const rng = new T.Rng(1);
const optimizer = T.adam(model.parameters(), { lr: 5e-4, clipNorm: 1 });
const step = async () => {
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
const first = sampler.next();
if (model instanceof Maganet) T.tidy(() => model.initialize(uploadBatch(first.pivot, first.varying).varying));
await step();
await step();
const wall = await step();
type Profiler = { startProfile(): void; stopProfile(): Promise<{ kernel: string; ms: number; count: number }[]> };
const profiler = backend as unknown as Partial<Profiler>;
if (!profiler.startProfile || !profiler.stopProfile) throw new Error(`profile-step: the ${backend.kind} backend has no kernel profiler`);
profiler.startProfile();
await step();
const profile = await profiler.stopProfile();
const total = profile.reduce((sum, p) => sum + p.ms, 0);
const count = profile.reduce((sum, p) => sum + p.count, 0);
console.log(`batch ${batch}: step ${wall.toFixed(0)} ms wall; profiled device time ${total.toFixed(0)} ms in ${count} dispatches`);
for (const p of profile.slice(0, 30)) console.log(`${p.kernel.padEnd(28)} ${p.ms.toFixed(1).padStart(8)} ms ${String(p.count).padStart(6)} dispatches`);
