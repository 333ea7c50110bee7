// The Slurm job script and sbatch's values, without a cluster: the flags map to sbatch's, a bad one
// is refused naming it, the script is valid bash, task k runs the CLI for run k of the plan, and
// the engine's threads (MAGA_THREADS) come from SLURM_CPUS_PER_TASK unless the environment already
// sets them or the BLAS/OpenMP threads.
import { afterAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { arrayScript, arraySpec, batchSignal, checkSlurmRequest, reportScript, shellWord, slurmSeconds, type ScriptInput, type SlurmRequest } from '../packages/cli/src/experiments/slurm.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-slurm-script-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const request: SlurmRequest = { partition: 'cpu', account: 'lab', time: '1-12', cpusPerTask: 4, mem: '16G', gpus: 1, maxRunning: 3, sbatchArgs: ['--qos=long'], signal: 'TERM@120', requeue: true };
const input: ScriptInput = {
  experiment: 'blog-table',
  root: path.join(tmp, 'runs', 'blog-table'),
  runNames: ['maganet-to-element-seed0', 'maganet-to-element-seed1', 'vae-to-element-seed0'],
  indices: [0, 2],
  planArgs: ['--runs', path.join(tmp, 'runs'), '--preset', 'paper', '--seeds', '2', '--table', path.join(tmp, 'my table.json')],
  projectRoot: tmp,
  cli: ['/opt/bun', '/opt/maga/main.ts'],
  command: 'bun run experiments blog-table --slurm',
  request,
};

test('sbatch values: arrays compressed, times read, signals to the batch shell, bad values refused naming the flag', () => {
  expect(arraySpec([0, 1, 2, 3, 5, 7, 8, 9])).toBe('0-3,5,7-9');
  expect(arraySpec([4, 2, 3], 2)).toBe('2-4%2');
  expect(batchSignal('TERM@120')).toBe('B:TERM@120');
  expect(batchSignal('B:USR1@60')).toBe('B:USR1@60');
  expect(batchSignal('15@30')).toBe('B:TERM@30');
  expect([slurmSeconds('90'), slurmSeconds('1:30'), slurmSeconds('2:00:00'), slurmSeconds('1-12'), slurmSeconds('2-00:00:00')]).toEqual([5400, 90, 7200, 129600, 172800]);
  expect(checkSlurmRequest(request)).toBeNull();
  expect(checkSlurmRequest({ ...request, time: '2h' })).toMatch(/^--time "2h" is not a Slurm time/);
  expect(checkSlurmRequest({ ...request, mem: '16GB' })).toMatch(/^--mem "16GB" is not a Slurm memory size/);
  expect(checkSlurmRequest({ ...request, signal: 'KILL@10' })).toMatch(/^--signal "KILL@10": expected SIG@SECONDS with SIG one of TERM, INT, USR1, USR2/);
  expect(checkSlurmRequest({ ...request, sbatchArgs: ['--array=0-3'] })).toMatch(/^--sbatch-arg --array=0-3: the experiment sets this itself/);
  expect(checkSlurmRequest({ ...request, sbatchArgs: ['qos=long'] })).toMatch(/^--sbatch-arg: "qos=long" is not an sbatch flag/);
  expect(checkSlurmRequest({ ...request, partition: 'a b' })).toMatch(/^--partition "a b"/);
  expect(shellWord("it's here")).toBe(`'it'\\''s here'`);
});

test('the array script: sbatch flags, valid bash, task k runs run k, MAGA_THREADS from SLURM_CPUS_PER_TASK unless set', async () => {
  const script = arrayScript(input);
  for (const line of ['#SBATCH --job-name=maga-blog-table', '#SBATCH --array=0,2%3', `#SBATCH --output=${input.root}/slurm/logs/%A_%a.log`, '#SBATCH --open-mode=append', '#SBATCH --requeue', '#SBATCH --signal=B:TERM@120', '#SBATCH --partition=cpu', '#SBATCH --account=lab', '#SBATCH --time=1-12', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=16G', '#SBATCH --gres=gpu:1', '#SBATCH --qos=long']) {
    expect(script).toContain(`${line}\n`);
  }
  // Every #SBATCH line comes before the first command (sbatch stops reading them there).
  const lines = script.split('\n');
  const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
  expect(lines.slice(firstCommand).some((l) => l.startsWith('#SBATCH'))).toBe(false);
  expect(arrayScript({ ...input, request: { ...request, requeue: false } })).toContain('#SBATCH --no-requeue\n');

  const file = path.join(tmp, 'array.sh');
  fs.writeFileSync(file, script);
  expect(Bun.spawnSync(['bash', '-n', file]).exitCode).toBe(0);
  // A stand-in CLI that prints its threads and arguments.
  const fake = path.join(tmp, 'fake-cli.sh');
  fs.writeFileSync(fake, '#!/bin/bash\necho "threads ${MAGA_THREADS:-unset} ${OPENBLAS_NUM_THREADS:-unset} ${OMP_NUM_THREADS:-unset} cwd $(pwd)"\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  const run = (env: Record<string, string>) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^((OPENBLAS|OMP)_NUM_THREADS|MAGA_THREADS)$/.test(k))) as Record<string, string>;
    const out = Bun.spawnSync(['bash', file], { env: { ...clean, MAGA_CLI: fake, SLURM_ARRAY_JOB_ID: '42', SLURM_ARRAY_TASK_ID: '2', ...env } });
    expect(out.exitCode).toBe(0);
    return out.stdout.toString().split('\n');
  };
  const output = run({ SLURM_CPUS_PER_TASK: '4' });
  expect(output[0]).toMatch(/^task 2 of job 42: vae-to-element-seed0 on .*, restart 0, /);
  expect(output[1]).toBe(`threads 4 unset unset cwd ${fs.realpathSync(tmp)}`);
  expect(output.slice(2, -1)).toEqual(['experiment', 'blog-table', '--only', 'vae-to-element-seed0', ...input.planArgs]);
  // The user's own settings win: their BLAS threads (the engine then leaves the libraries as set), or their MAGA_THREADS.
  expect(run({ SLURM_CPUS_PER_TASK: '4', OPENBLAS_NUM_THREADS: '1' })[1]).toBe(`threads unset 1 unset cwd ${fs.realpathSync(tmp)}`);
  expect(run({ SLURM_CPUS_PER_TASK: '4', OMP_NUM_THREADS: '2' })[1]).toBe(`threads unset unset 2 cwd ${fs.realpathSync(tmp)}`);
  expect(run({ SLURM_CPUS_PER_TASK: '4', MAGA_THREADS: '2' })[1]).toBe(`threads 2 unset unset cwd ${fs.realpathSync(tmp)}`);
  expect(run({})[1]).toBe(`threads unset unset unset cwd ${fs.realpathSync(tmp)}`);
  // Without MAGA_CLI, the CLI the submission ran with.
  expect(script).toContain("else CLI=(/opt/bun /opt/maga/main.ts); fi");

  const report = reportScript({ ...input, reportArgs: ['--results', '/x/results.md'] });
  expect(report).toContain('#SBATCH --job-name=maga-blog-table-report\n');
  expect(report).not.toContain('--gres');
  expect(report).toContain(`experiment blog-table --report --runs ${input.planArgs[1]} --preset paper --seeds 2 --table '${input.planArgs[7]}' --results /x/results.md`);
});
