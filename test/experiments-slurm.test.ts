// `experiments NAME --slurm` on a real one-node Slurm cluster (test/support/slurm.ts): a tiny
// experiment (MAGANet and the β-VAE × 2 seeds, the tiny preset, a test curve) submitted as a job
// array with a dependent report job; one task is requeued mid-run with `scontrol requeue`, resumes
// from its checkpoint and trains each step once; the report job writes the results, and its tables
// equal, number for number, those of the same experiment run here without Slurm. Skipped, with the
// reason printed, where Slurm is not installed or the tests do not run as root.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLog, readRunConfig } from '@maga/cli';
import { testDevice } from '@maga/tensor/testing';
import { readEvalLog } from '../packages/cli/src/run/rundir.ts';
import { cli as runCli, tempDir, type Env } from './support/index.ts';
import { slurmUnavailable, startSlurm, type SlurmCluster } from './support/slurm.ts';

const { choice: BACKEND, missing } = await testDevice('Slurm experiment test');
const unavailable = slurmUnavailable();
if (unavailable) console.log(`skipping the Slurm experiment test: ${unavailable}`);

const STEPS = 24;
const TABLE = [
  {
    name: 'tiny-slurm',
    title: 'the blog table on Slurm, tiny',
    description: 'MAGANet and the β-VAE on to-element, 2 seeds, a test curve',
    models: ['maganet', 'vae'],
    data: [{ split: 'to-element' }],
    seeds: 2,
    preset: 'tiny',
    training: { tiny: { steps: STEPS, 'eval-count': 8, 'eval-every': 4, 'eval-sample': 8 } },
    sizing: 'seconds',
    table: 'blog',
  },
];
const RUNS = ['maganet-to-element-seed0', 'maganet-to-element-seed1', 'vae-to-element-seed0', 'vae-to-element-seed1'];

/** The lines of a results file that hold numbers of the runs: the tables' rows. */
const tableRows = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^\| (MAGANet \||β-VAE \||to-element \||maganet-)/.test(l));

describe.skipIf(unavailable !== null || missing !== null)('experiments on a real Slurm', () => {
  let cluster: SlurmCluster;
  const tmp = tempDir('experiments-slurm');
  const table = path.join(tmp, 'table.json');
  fs.writeFileSync(table, JSON.stringify(TABLE));
  beforeAll(async () => {
    cluster = await startSlurm({ killWait: 10 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  // The CLI as a user on the cluster runs it: its SLURM_CONF, the suite's backend. The tables are
  // compared number for number, so the local runs and the tasks (whose script sets MAGA_THREADS
  // from SLURM_CPUS_PER_TASK when nothing else does) shard their batches alike: one thread each.
  const cli = (args: string[], env: Env = {}) => runCli(args, { SLURM_CONF: cluster.conf, MAGA_BACKEND: BACKEND, MAGA_THREADS: '1', ...env });
  const queue = async () => (await cluster.run(['squeue', '--noheader', '--array', '--format=%i %T %r'])).stdout.trim();

  test('submitted as a job array, one task requeued mid-run, the report by the dependent job: the tables equal the local ones', async () => {
    const began = performance.now();
    // The same experiment here, without Slurm, meanwhile.
    const localRuns = path.join(tmp, 'local');
    const localDone = cli(['experiment', 'tiny-slurm', '--table', table, '--runs', localRuns, '--quiet']);
    const slurmRuns = path.join(tmp, 'slurm');
    const submitted = await cli(['experiment', 'tiny-slurm', '--table', table, '--runs', slurmRuns, '--slurm', '--max-running', '2', '--report-after', '--time', '10']);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const job = /Slurm job array (\d+)/.exec(submitted.stdout)?.[1];
    expect(job).toBeDefined();
    expect(submitted.stdout).toMatch(new RegExp(`the results: job \\d+ runs --report when the array is over \\(afterany:${job}\\)`));
    const script = fs.readFileSync(path.join(slurmRuns, 'tiny-slurm', 'slurm', 'array.sh'), 'utf8');
    for (const line of ['#SBATCH --array=0-3%2', '#SBATCH --requeue', '#SBATCH --signal=B:TERM@120', '#SBATCH --time=10', '#SBATCH --open-mode=append']) expect(script).toContain(line);

    // Requeue task 0 once its run has logged a few steps (and has a checkpoint: every 2 steps).
    const first = path.join(slurmRuns, 'tiny-slurm', RUNS[0]);
    let requeuedAt = 0;
    for (let i = 0; i < 1200 && requeuedAt === 0; i++) {
      const step = fs.existsSync(path.join(first, 'log.jsonl')) ? (readLog(first).at(-1)?.step ?? 0) : 0;
      if (step >= 3) {
        expect(step).toBeLessThan(STEPS);
        const requeued = await cluster.run(['scontrol', 'requeue', `${job}_0`]);
        expect(requeued.stderr).toBe('');
        requeuedAt = step;
      } else {
        await Bun.sleep(50);
      }
    }
    expect(requeuedAt).toBeGreaterThan(0);
    // Slurm holds a requeued job back for about two minutes (its BeginTime); let it start again now.
    for (let i = 0; i < 300; i++) {
      if ((await queue()).includes(`${job}_0 PENDING`)) {
        const update = await cluster.run(['scontrol', 'update', `JobId=${job}_0`, 'StartTime=now']);
        if (update.code === 0) break;
      }
      await Bun.sleep(200);
    }
    // The array, then the report job.
    for (let i = 0; i < 3000 && (await queue()) !== ''; i++) await Bun.sleep(200);
    expect(await queue()).toBe('');
    const slurmSeconds = (performance.now() - began) / 1000;

    // The requeued run: two sessions in one log (appended), resumed from its checkpoint, every step once.
    const taskLog = fs.readFileSync(path.join(slurmRuns, 'tiny-slurm', 'slurm', 'logs', `${job}_0.log`), 'utf8');
    expect(taskLog).toContain(`task 0 of job ${job}: ${RUNS[0]} on ${cluster.node}, restart 0`);
    expect(taskLog).toContain(`task 0 of job ${job}: ${RUNS[0]} on ${cluster.node}, restart 1`);
    expect(taskLog).toMatch(/SIGTERM: stopping the current run after this step/);
    expect(taskLog).toMatch(new RegExp(`resuming .*${RUNS[0]} at step \\d+`));
    const record = JSON.parse(fs.readFileSync(path.join(slurmRuns, 'tiny-slurm', 'experiment.json'), 'utf8'));
    expect(record.runs[RUNS[0]].sessions).toBe(2);
    for (const name of RUNS) {
      const dir = path.join(slurmRuns, 'tiny-slurm', name);
      expect(readRunConfig(dir).status).toBe('done');
      expect(readLog(dir).map((l) => l.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      expect(readEvalLog(dir).map((l) => l.step)).toEqual([4, 8, 12, 16, 20, 24]);
      if (name !== RUNS[0]) expect(record.runs[name].sessions).toBe(1);
    }
    const status = await cli(['experiment', 'tiny-slurm', '--table', table, '--runs', slurmRuns, '--status']);
    expect(status.stdout).toContain('4 done');

    const local = await localDone;
    expect(local.code).toBe(0);
    const slurmRows = tableRows(path.join(slurmRuns, 'tiny-slurm', 'results.md'));
    const localRows = tableRows(path.join(localRuns, 'tiny-slurm', 'results.md'));
    expect(slurmRows.filter((r) => /^\| (MAGANet|β-VAE) /.test(r))).toHaveLength(2);
    expect(slurmRows.filter((r) => r.startsWith('| to-element |'))).toHaveLength(2); // the test curves' rows
    expect(slurmRows.filter((r) => r.startsWith('| maganet-'))).toHaveLength(2); // the group laws' rows
    expect(slurmRows).toEqual(localRows);
    console.log(`Slurm end to end: ${slurmSeconds.toFixed(0)} s on Slurm (requeued at step ${requeuedAt}), ${((performance.now() - began) / 1000).toFixed(0)} s with the local run beside it`);
  }, 900_000);
});
