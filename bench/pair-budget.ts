// Steps per second of the pair models side by side, for equal wall-clock budgets:
//   bun run bench:pair-budget [--dataset rotated-blocked-mnist] [--group so2] [--preset quick]
//     [--rounds 6] [--steps 20] [--arms FILE.json]
// Each arm is a model as `cli train` plans it (preset, data set, model choices); the arms take
// turns, `steps` training steps each per round on the data set's real batches (sampling and
// rendering included, as in a run), for `rounds` rounds after one warm-up round, so that a change in
// the machine's load reaches every arm alike. Printed per arm: wall and CPU milliseconds per step
// (CPU time of this process: single-threaded with OPENBLAS_NUM_THREADS=1, so it is the step's cost
// whatever else the machine runs), their ratios to the first arm, and the steps that fit in
// --budget seconds (default 600) at the CPU rate. The load average is printed before and after.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as T from '@maga/tensor';
import { createModel, openDataset, trainStep, uploadPairs, type ModelConfig } from '@maga/model';
import { planRun, type RunChoices } from '../packages/cli/src/train/plan.ts';
import { benchFlags } from './flags.ts';

const { flag, positiveInt, number } = benchFlags('bench:pair-budget');

interface Arm {
  label: string;
  choices: RunChoices;
  /** Model configuration fields set after planning (fields no CLI flag reaches yet). */
  model?: Record<string, unknown>;
}

const dataset = flag('dataset', 'rotated-blocked-mnist');
const group = flag('group', dataset === 'contrast' ? 'c4' : 'so2');
const preset = flag('preset', 'quick') as RunChoices['preset'];
const rounds = positiveInt('rounds', '6');
const steps = positiveInt('steps', '20');
const budget = number('budget', '600');
const defaultArms: Arm[] = ['latent-action', 'flow-action'].map((model) => ({ label: model, choices: { model: model as RunChoices['model'] } }));
const arms: Arm[] = process.argv.includes('--arms') ? JSON.parse(fs.readFileSync(flag('arms', ''), 'utf8')) : defaultArms;

const backend = await T.init({ backend: 'native' });
console.log(`backend: ${backend.description}; ${dataset} ${group}, preset ${preset}; ${rounds} rounds of ${steps} steps per arm; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const data = await openDataset(dataset, group);

const runs = await Promise.all(
  arms.map(async (arm) => {
    const config = planRun({ ...arm.choices, dataset, group, preset }, 'native');
    const modelConfig = { ...config.model, ...(arm.model ?? {}) } as ModelConfig;
    const model = await createModel(modelConfig, 0);
    const sampler = data.sampler({ part: 'train', batchSize: config.training.batchSize, seed: 0 });
    const optimizer = T.adam(model.parameters(), { lr: config.training.lr, clipNorm: config.training.clipNorm });
    const groupConfig = (modelConfig as { group: Parameters<typeof uploadPairs>[2] }).group;
    const upload = () => uploadPairs(sampler.next(), data.imageShape, groupConfig);
    T.tidy(() => model.initializeFromData(upload()));
    return { arm, model, optimizer, upload, batch: config.training.batchSize, wall: 0, cpu: 0, steps: 0 };
  }),
);
const rng = new T.Rng(0);
for (let round = 0; round <= rounds; round++) {
  for (const run of runs) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    for (let s = 0; s < steps; s++) {
      const terms = T.tidy(() => trainStep(run.model, run.upload(), run.optimizer, rng));
      await terms.loss.item();
      for (const t of Object.values(terms)) t.dispose();
    }
    if (round === 0) continue; // warm-up
    const used = process.cpuUsage(cpu);
    run.wall += performance.now() - wall;
    run.cpu += (used.user + used.system) / 1000;
    run.steps += steps;
  }
}
const first = runs[0];
for (const run of runs) {
  const [wall, cpu] = [run.wall / run.steps, run.cpu / run.steps];
  console.log(
    `${run.arm.label.padEnd(28)} ${run.model.parameterCount().toLocaleString('en').padStart(9)} parameters  ${wall.toFixed(1).padStart(7)} ms/step wall  ${cpu.toFixed(1).padStart(7)} ms/step CPU` +
      `  (×${(cpu / (first.cpu / first.steps)).toFixed(2)} of ${first.arm.label})  ${Math.floor((budget * 1000) / cpu)} steps in ${budget} CPU-s`,
  );
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
