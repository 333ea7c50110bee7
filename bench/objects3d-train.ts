// Benchmark: does a latent-action training step on objects3d (3×64×64, so3) wait on rendering?
// Times, on the machine's default backend (native on a CPU), the three parts of a step separately
// — rendering a batch of pairs on the host (PairSampler.next), the training step on a batch
// rendered beforehand — then the serial loop that does both, and the loop `cli train` runs, where
// the next batch renders in a worker during the step (RenderAhead), at the quick size, batches of
// 32 and 64. Both loops are timed in this one run, side by side.
// Run: bun run bench:objects3d-train [--steps N]   (prints seconds; nothing here is asserted anywhere)
import * as os from 'node:os';
import { RenderAhead } from '@maga/cli';
import { configure, createModel, openDataset, trainStep, uploadPairs, type GroupConfig } from '@maga/model';
import * as T from '@maga/tensor';

const argSteps = process.argv.indexOf('--steps');
const STEPS = argSteps > 0 ? Number(process.argv[argSteps + 1]) : 10;
await T.init({ quiet: true });
console.log(`backend ${T.backend().description}; load average ${os.loadavg()[0].toFixed(1)} on ${navigator.hardwareConcurrency} cores; ${STEPS} steps each`);

const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

for (const batchSize of [32, 64]) {
  const dataset = await openDataset('objects3d', 'so3');
  const sampler = dataset.sampler({ part: 'train', batchSize, seed: 1 });
  const group: GroupConfig = { kind: 'so3', degrees: [1, 1, 1, 2] };
  const model = await createModel(configure('latent-action', 'quick', { group, imageSize: 64, channels: 3 }), 0);
  const optimizer = T.adam(model.parameters(), { lr: 1e-3, clipNorm: 1 });
  const rng = new T.Rng(1);
  const step = async (batch: Parameters<typeof uploadPairs>[0]) => {
    const terms = T.tidy(() => trainStep(model, uploadPairs(batch, dataset.imageShape, group), optimizer, rng));
    await terms.loss.item();
    for (const t of Object.values(terms)) t.dispose();
  };
  await step(sampler.next()); // warm-up
  // Rendering alone.
  let [wall, cpu] = [performance.now(), process.cpuUsage()];
  const batches = Array.from({ length: STEPS }, () => sampler.next());
  const render = { wall: (performance.now() - wall) / 1000 / STEPS, cpu: cpuSeconds(cpu) / STEPS };
  // Steps alone, on the batches rendered above.
  [wall, cpu] = [performance.now(), process.cpuUsage()];
  for (const b of batches) await step(b);
  const train = { wall: (performance.now() - wall) / 1000 / STEPS, cpu: cpuSeconds(cpu) / STEPS };
  // The serial loop: render, then step.
  [wall, cpu] = [performance.now(), process.cpuUsage()];
  for (let i = 0; i < STEPS; i++) await step(sampler.next());
  const serial = { wall: (performance.now() - wall) / 1000 / STEPS, cpu: cpuSeconds(cpu) / STEPS };
  // The loop of `cli train`: the next batch renders in a worker while this one trains.
  const ahead = new RenderAhead(dataset.sampler({ part: 'train', batchSize, seed: 2 }), { name: 'objects3d', group: 'so3' });
  await ahead.next(); // the worker's start and its first batch
  [wall, cpu] = [performance.now(), process.cpuUsage()];
  for (let i = 0; i < STEPS; i++) await step(await ahead.next());
  const overlapped = { wall: (performance.now() - wall) / 1000 / STEPS, cpu: cpuSeconds(cpu) / STEPS };
  ahead.close();
  const f = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(3)} s wall, ${x.cpu.toFixed(3)} s CPU`;
  console.log(`batch ${batchSize}: render ${f(render)} | step ${f(train)} | render + step ${f(serial)} | rendering is ${((100 * render.wall) / serial.wall).toFixed(1)} % of the serial loop's wall time`);
  console.log(`batch ${batchSize}: rendered ahead + step ${f(overlapped)} (CPU: this thread's and the worker's) | ${(serial.wall / overlapped.wall).toFixed(2)}× the serial loop's speed; a step waits ${(Math.max(0, overlapped.wall - train.wall) * 1000).toFixed(0)} ms beyond the step alone`);
  optimizer.dispose();
  model.dispose();
}
