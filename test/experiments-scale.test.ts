// Experiments beyond one process, without Slurm: `--shard 0/2` and `--shard 1/2` at once, and two
// whole experiments at once, each train every run exactly once (the run locks); a sweep table
// expands to the runs --dry-run prints and a bad grid is exit 2 naming the key; `cli train
// --eval-every` writes the expected test curve, a run resumed after a crash continues it without
// duplicates, and the curve leaves training unchanged; `--report` writes each experiment's section
// and keeps the others; the default results file is <runs>/<experiment>/results.md, not docs/.
import { afterAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLog, readMetrics, readRunConfig } from '@maga/cli';
import { planExperiment } from '../packages/cli/src/experiments/plan.ts';
import { mergeResults, parseResults } from '../packages/cli/src/experiments/sections.ts';
import type { Experiment } from '../packages/cli/src/experiments/table.ts';
import { readEvalLog } from '../packages/cli/src/run/rundir.ts';

const ROOT = path.resolve(import.meta.dir, '..');
const BACKEND = process.env.MAGA_BACKEND || 'cpu';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-experiments-scale-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function spawn(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, 'packages/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, MAGA_BACKEND: BACKEND, ...env }, stdout: 'pipe', stderr: 'pipe' });
  return (async () => {
    const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
    return { code: await child.exited, stdout, stderr };
  })();
}

function writeTable(name: string, table: unknown): string {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(table));
  return file;
}

/** Pair runs on contrast: the fastest tiny runs (no UMAP, no to-diff in their summary). */
const PAIRS = {
  name: 'tiny-shards',
  title: 'tiny pair runs',
  description: 'latent-action and flow-action on contrast',
  models: ['latent-action', 'flow-action'],
  data: [{ dataset: 'contrast', group: 'c4' }],
  seeds: 2,
  preset: 'tiny',
  training: { tiny: { steps: 4, 'eval-count': 8 } },
  sizing: 'seconds',
  table: 'latent-action',
} satisfies Experiment;
const PAIR_RUNS = ['latent-action-contrast-c4-seed0', 'latent-action-contrast-c4-seed1', 'flow-action-contrast-c4-seed0', 'flow-action-contrast-c4-seed1'];

function trainedOnce(root: string) {
  const record = JSON.parse(fs.readFileSync(path.join(root, 'experiment.json'), 'utf8'));
  for (const name of PAIR_RUNS) {
    expect(readRunConfig(path.join(root, name)).status).toBe('done');
    expect(readLog(path.join(root, name)).map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(record.runs[name].sessions).toBe(1);
  }
}

test('--shard 0/2 and --shard 1/2 at once train every run exactly once; so do two whole experiments at once', async () => {
  const table = writeTable('shards', [PAIRS]);
  const runs = path.join(tmp, 'shards');
  const [a, b] = await Promise.all([0, 1].map((i) => spawn(['experiment', 'tiny-shards', '--table', table, '--runs', runs, '--shard', `${i}/2`, '--quiet'])));
  expect(a.stderr + b.stderr).not.toMatch(/error/);
  expect([a.code, b.code]).toEqual([0, 0]);
  // Shard i takes runs i, i + 2, … of the plan.
  expect(a.stdout).toContain(`shard 0/2: run 1 of 2: ${PAIR_RUNS[0]}`);
  expect(a.stdout).toContain(`shard 0/2: run 2 of 2: ${PAIR_RUNS[2]}`);
  expect(b.stdout).toContain(`shard 1/2: run 1 of 2: ${PAIR_RUNS[1]}`);
  expect(b.stdout).toContain(`shard 1/2: run 2 of 2: ${PAIR_RUNS[3]}`);
  trainedOnce(path.join(runs, 'tiny-shards'));
  // The last shard to finish found every run done and wrote the results.
  expect(fs.readFileSync(path.join(runs, 'tiny-shards', 'results.md'), 'utf8')).toContain('Runs: 4 of 4 finished');

  // Two processes each running the whole experiment: the locks share the runs out.
  const both = path.join(tmp, 'both');
  const [c, d] = await Promise.all([0, 1].map(() => spawn(['experiment', 'tiny-shards', '--table', table, '--runs', both, '--resume', '--quiet'])));
  expect([c.code, d.code]).toEqual([0, 0]);
  trainedOnce(path.join(both, 'tiny-shards'));
  const trained = (out: string) => PAIR_RUNS.filter((n) => new RegExp(`run \\d of 4: ${n}(,| \\(resuming\\))`).test(out));
  expect([...trained(c.stdout), ...trained(d.stdout)].sort()).toEqual([...PAIR_RUNS].sort());
}, 600_000);

test('--only trains the named runs; a second process on the same run is told who holds it', async () => {
  const table = writeTable('only', [{ ...PAIRS, training: { tiny: { steps: 12, 'eval-count': 8 } } }]);
  const runs = path.join(tmp, 'only');
  const [a, b] = await Promise.all([0, 1].map(() => spawn(['experiment', 'tiny-shards', '--table', table, '--runs', runs, '--only', PAIR_RUNS[0], '--quiet'])));
  const codes = [a.code, b.code].sort();
  expect(codes).toEqual([0, 75]);
  const loser = a.code === 75 ? a : b;
  expect(loser.stdout).toMatch(new RegExp(`${PAIR_RUNS[0]} is being trained by ${os.hostname()} pid \\d+`));
  expect(readLog(path.join(runs, 'tiny-shards', PAIR_RUNS[0])).map((l) => l.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(fs.existsSync(path.join(runs, 'tiny-shards', PAIR_RUNS[1]))).toBe(false);
  const unknown = await spawn(['experiment', 'tiny-shards', '--table', table, '--runs', runs, '--only', 'nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('--only nope: no such run in this plan');
  const badShard = await spawn(['experiment', 'tiny-shards', '--table', table, '--runs', runs, '--shard', '2/2']);
  expect(badShard.code).toBe(2);
  expect(badShard.stderr).toContain('--shard "2/2": expected i/n with 0 ≤ i < n');
}, 300_000);

const SWEEP = {
  name: 'sweep',
  title: 'a sweep',
  description: 'learning rate × latent size',
  models: ['maganet'],
  data: [{ split: 'to-element' }],
  seeds: 1,
  preset: 'tiny',
  training: {},
  grid: { lr: [0.001, 0.0003], 'latent-dim': [4, 8] },
  settings: { 'beta-kl': 1 },
  sizing: 'seconds',
  table: 'blog',
};

test('a sweep expands in a stable order with readable names, the runs --dry-run prints', async () => {
  const table = writeTable('sweep', [SWEEP]);
  const runs = path.join(tmp, 'sweep');
  const result = await spawn(['experiment', 'sweep', '--table', table, '--runs', runs, '--dry-run']);
  expect(result.code).toBe(0);
  const names = ['maganet-lr0.001-latent-dim4-to-element-seed0', 'maganet-lr0.001-latent-dim8-to-element-seed0', 'maganet-lr0.0003-latent-dim4-to-element-seed0', 'maganet-lr0.0003-latent-dim8-to-element-seed0'];
  const lines = result.stdout.split('\n').filter((l) => /^\d\/4 /.test(l));
  expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(names);
  expect(lines[2]).toContain('--model maganet --lr 0.0003 --latent-dim 4 --split to-element --preset tiny --seed 0 --beta-kl 1');
  expect(result.stdout).toMatch(/estimated time to run what is not done: .* core-hours/);
  expect(fs.existsSync(runs)).toBe(false);
  // The same plan in-process: each run's config holds its combination.
  const planned = planExperiment(SWEEP as unknown as Experiment, { runs });
  expect(planned.map((r) => r.name)).toEqual(names);
  expect(planned.map((r) => [r.config.training.lr, (r.config.model as { latentDim: number }).latentDim, (r.config.model as { betaKl: number }).betaKl])).toEqual([
    [0.001, 4, 1],
    [0.001, 8, 1],
    [0.0003, 4, 1],
    [0.0003, 8, 1],
  ]);
});

test.each([
  ['an unknown setting', { 'learning-rate': [0.1] }, /grid\.learning-rate: "learning-rate" is not a cli train setting; expected one of steps, batch, lr/],
  ['a value its flag refuses', { lr: [0.001, -1] }, /grid\.lr\[1\]: --lr: "-1" is not a positive number/],
  ['an empty list', { lr: [] }, /grid\.lr must be a non-empty list of values, got \[\]/],
  ['an axis of the table', { seed: [1, 2] }, /grid\.seed: "seed" is not a cli train setting \(seed is an axis of the table/],
  ['a value twice', { batch: [8, 8] }, /grid\.batch lists a value twice/],
])('a bad grid is exit 2 naming the key: %s', async (_, grid, message) => {
  const result = await spawn(['experiment', 'sweep', '--table', writeTable(`bad-${_.replace(/\W/g, '')}`, [{ ...SWEEP, grid }]), '--dry-run']);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
});

test('--eval-every: the expected lines; after a crash the resumed run continues them without duplicates; training is unchanged by them', async () => {
  const curve = path.join(tmp, 'curve');
  const plain = path.join(tmp, 'plain');
  const flags = ['train', '--preset', 'tiny', '--steps', '8', '--checkpoint-every', '4', '--quiet'];
  // The second save (the final one, at step 8) dies half-written: the checkpoint on disk is step 4's.
  const crashed = await spawn([...flags, '--eval-every', '2', '--out', curve], { MAGA_TEST_CRASH: 'checkpoint:2:write-model' });
  expect(crashed.code).not.toBe(0);
  expect(readEvalLog(curve).map((l) => l.step)).toEqual([2, 4, 6, 8]);
  const resumed = await spawn(['train', '--resume', curve, '--quiet']);
  expect(resumed.stderr).not.toMatch(/error/);
  expect(resumed.code).toBe(0);
  const lines = readEvalLog(curve);
  expect(lines.map((l) => l.step)).toEqual([2, 4, 6, 8]);
  expect(lines.map((l) => l.images)).toEqual([16, 32, 48, 64]);
  for (const l of lines) expect(Object.keys(l.test).sort()).toEqual(['bce', 'mse', 'psnr', 'ssim']);
  // The last point's sample is the final evaluation's (16 images each): the same numbers.
  const metrics = readMetrics(curve)!;
  expect(lines[3].count).toBe(metrics.count);
  expect(lines[3].test.bce).toBeCloseTo(metrics.test.bce, 2);
  // Without --eval-every the same run trains and ends the same: the curve does not touch training.
  expect((await spawn([...flags, '--out', plain])).code).toBe(0);
  expect(fs.existsSync(path.join(plain, 'eval.jsonl'))).toBe(false);
  expect(readMetrics(plain)!.test).toEqual(metrics.test);
  expect(readLog(plain).map((l) => l.loss)).toEqual(readLog(curve).map((l) => l.loss));
}, 300_000);

test('--report writes each experiment its own section and keeps the others; the default results file is <runs>/<experiment>/results.md', async () => {
  const small = { ...PAIRS, models: ['flow-action'], seeds: 1, training: { tiny: { steps: 2, 'eval-count': 8 } } };
  const table = writeTable('two', [
    { ...small, name: 'first' },
    { ...small, name: 'second' },
  ]);
  const [r1, r2] = [path.join(tmp, 'r1'), path.join(tmp, 'r2')];
  const docs = path.join(ROOT, 'docs', 'results.md');
  const docsBefore = fs.existsSync(docs) ? fs.readFileSync(docs, 'utf8') : null;
  const [one, two] = await Promise.all([spawn(['experiment', 'first', '--table', table, '--runs', r1, '--quiet']), spawn(['experiment', 'second', '--table', table, '--runs', r2, '--quiet'])]);
  expect([one.code, two.code]).toEqual([0, 0]);
  expect(fs.readFileSync(path.join(r1, 'first', 'results.md'), 'utf8')).toContain('## first: ');
  expect(fs.existsSync(docs) ? fs.readFileSync(docs, 'utf8') : null).toBe(docsBefore);

  const out = path.join(tmp, 'merged', 'results.md');
  expect((await spawn(['experiment', 'first', '--report', '--table', table, '--runs', r1, '--results', out])).code).toBe(0);
  expect((await spawn(['experiment', 'second', '--report', '--table', table, '--runs', r2, '--results', out])).code).toBe(0);
  const both = parseResults(fs.readFileSync(out, 'utf8'));
  expect([...both.sections.keys()]).toEqual(['first', 'second']);
  // A report of every experiment from r1 (where second has no runs) rewrites first and keeps second as it was.
  const all = await spawn(['experiment', '--report', '--table', table, '--runs', r1, '--results', out]);
  expect(all.stdout).toContain(`sections of second kept as they were (no runs under ${r1}/)`);
  const after = parseResults(fs.readFileSync(out, 'utf8'));
  expect([...after.sections.keys()]).toEqual(['first', 'second']);
  expect(after.sections.get('second')).toBe(both.sections.get('second'));
  expect(after.sections.get('first')).toContain('| flow-action |');
});

test('a results file written before sections had markers: its sections are read by their headings and kept', () => {
  const legacy = ['# Results', '', 'Written by hand long ago.', '', '## blog-table: the blog', '', '| MAGANet | 1 |', '', '### Group laws', '', 'rows', '', '## objects3d-skips: ablation', '', 'text'].join('\n');
  const parsed = parseResults(legacy);
  expect([...parsed.sections.keys()]).toEqual(['blog-table', 'objects3d-skips']);
  expect(parsed.sections.get('blog-table')).toBe('## blog-table: the blog\n\n| MAGANet | 1 |\n\n### Group laws\n\nrows');
  const merged = mergeResults(legacy, '# Results\n\nnew preamble', new Map([['objects3d-skips', '## objects3d-skips: ablation\n\nnew text']]));
  const again = parseResults(merged);
  expect(again.preamble).toBe('# Results\n\nnew preamble');
  expect(again.sections.get('blog-table')).toBe(parsed.sections.get('blog-table'));
  expect(again.sections.get('objects3d-skips')).toBe('## objects3d-skips: ablation\n\nnew text');
  // Merging nothing changes nothing.
  expect(mergeResults(merged, '# Results\n\nnew preamble', new Map())).toBe(merged);
});

test('a task whose run fails prints its log path; --status lists the run as failed with that log', async () => {
  const table = writeTable('failing', [{ ...SWEEP, name: 'failing', grid: undefined, settings: { lr: 1000, clip: 0, steps: 40, 'log-every': 1, 'eval-count': 2 } }]);
  const runs = path.join(tmp, 'failing');
  const run = 'maganet-to-element-seed0';
  // As a Slurm array task would run it (task 0 of job 7).
  const failed = await spawn(['experiment', 'failing', '--table', table, '--runs', runs, '--only', run, '--quiet'], { SLURM_ARRAY_JOB_ID: '7', SLURM_ARRAY_TASK_ID: '0' });
  expect(failed.code).toBe(1);
  const log = path.join(path.resolve(runs), 'failing', 'slurm', 'logs', '7_0.log');
  expect(failed.stderr).toContain(`run ${run} failed: training diverged at step`);
  expect(failed.stderr).toContain(`this task's log: ${log}`);
  // Slurm writes that log; --status points at it.
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, failed.stdout + failed.stderr);
  const status = await spawn(['experiment', 'failing', '--table', table, '--runs', path.resolve(runs), '--status']);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(new RegExp(`${run} +diverged at step \\d+/40: .* \\(log: ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
  expect(status.stdout).toContain('1 failed');
}, 120_000);

test.each([
  ['a Slurm flag without --slurm', ['--partition', 'cpu'], /--partition applies with --slurm only/],
  ['a time Slurm cannot read', ['--slurm', '--time', '2h'], /--time "2h" is not a Slurm time/],
  ['a signal the CLI does not answer', ['--slurm', '--signal', 'KILL@60'], /--signal "KILL@60": expected SIG@SECONDS/],
  ['--shard with --slurm', ['--slurm', '--shard', '0/2'], /--shard shares runs between processes you start/],
])('--slurm: %s is exit 2 naming it', async (_, flags, message) => {
  const result = await spawn(['experiment', 'blog-table', '--dry-run', '--runs', path.join(tmp, 'never'), ...flags]);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
});
