// Tests of `bun run experiments`: a tiny blog-table (the tiny preset, 2 seeds) end to end through
// the real entry point into a temporary directory (run directories, the table with intervals, the
// results file, its figure); --resume after an interruption trains only what is missing;
// --dry-run trains nothing; unknown names and malformed tables exit with code 2 naming the problem.
// The backend is MAGA_BACKEND, else auto (testDevice).
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLog, readMetrics, readRunConfig, readRunState, type Reporter } from '@maga/cli';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { planExperiment } from '../packages/cli/src/experiments/plan.ts';
import { runExperiment } from '../packages/cli/src/experiments/runner.ts';
import { checkExperiment, type Experiment } from '../packages/cli/src/experiments/table.ts';
import { EXPERIMENTS } from '../packages/cli/src/experiments/tables.ts';
import { meanInterval, tQuantile } from '../packages/cli/src/experiments/stats.ts';
import { writeResults } from '../packages/cli/src/experiments/results.ts';
import { PNG } from 'pngjs';
import { cliSuite } from './support/index.ts';

const { choice: BACKEND } = await testDevice('experiments tests');
const { tmp, cli } = cliSuite('experiments', BACKEND);

/** The shipped blog table (its models, its data, its table kind), at test size: 2 seeds of the tiny preset. */
const BLOG = EXPERIMENTS.find((e) => e.name === 'blog-table')!;
const TINY: Experiment = {
  ...BLOG,
  name: 'tiny-blog',
  title: 'the blog table, tiny',
  description: 'a test-sized blog table',
  seeds: 2,
  preset: 'tiny',
  training: { tiny: { steps: 4, evalCount: 8 } },
  sizing: 'seconds',
};

/** A reporter that prints nothing. */
const QUIET: Reporter = { note() {}, step() {}, log() {}, finish() {} };

/**
 * Trains TINY changed by `change` (a latent-action table unless it says otherwise) into tmp/`dir`,
 * on the test backend, reporting nothing.
 */
async function runTiny(dir: string, change: Partial<Experiment> & { name: string }) {
  await T.init({ backend: BACKEND as T.BackendChoice, quiet: true });
  const runs = path.join(tmp, dir);
  const experiment: Experiment = { ...TINY, table: 'latent-action', ...change };
  const done = await runExperiment(experiment, { runs, print() {}, reporter: QUIET, command: `test ${dir}` });
  return { runs, experiment, done };
}

function writeTable(name: string, table: unknown): string {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(table));
  return file;
}

test('the 95 % t quantiles are the textbook ones, and an interval is mean ± t·s/√n', () => {
  // Student t table, two-sided 95 %: df 1, 2, 4, 10, 30.
  for (const [df, t] of [[1, 12.706], [2, 4.303], [4, 2.776], [10, 2.228], [30, 2.042]]) expect(tQuantile(df)).toBeCloseTo(t, 3);
  const i = meanInterval([1, 2, 3]);
  expect(i.mean).toBe(2);
  expect(i.sd).toBeCloseTo(1, 12);
  expect(i.halfWidth!).toBeCloseTo((4.302653 * 1) / Math.sqrt(3), 5);
  expect(meanInterval([5]).halfWidth).toBeNull();
  expect(() => meanInterval([1, NaN])).toThrow(/NaN is not a finite number/);
});

describe('usage errors exit with code 2 and name the problem', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown experiment', () => ['experiment', 'blog-tabel'], /unknown experiment "blog-tabel": expected one of blog-table, latent-action-table/],
    ['no name', () => ['experiment'], /experiment takes one experiment name, got 0/],
    ['an unknown model in a table', () => ['experiment', 'bad', '--table', writeTable('model', [{ ...TINY, name: 'bad', models: ['maganet', 'gan'] }])], /entry 0: experiment "bad": model "gan" is not one of/],
    ['an unknown split in a table', () => ['experiment', 'bad', '--table', writeTable('split', [{ ...TINY, name: 'bad', data: [{ split: 'to-nowhere' }] }])], /data\[0\]\.split "to-nowhere" is not one of/],
    ['a model on data it cannot train on', () => ['experiment', 'bad', '--table', writeTable('pairs', [{ ...TINY, name: 'bad', data: [{ dataset: 'rotated-mnist', group: 'so2' }] }])], /model maganet trains on dSprites: \{ split \}, not on rotated-mnist-so2/],
    ['zero seeds', () => ['experiment', 'bad', '--table', writeTable('seeds', [{ ...TINY, name: 'bad', seeds: 0 }])], /seeds must be a positive integer, got 0/],
    ['a table file that does not exist', () => ['experiment', 'x', '--table', path.join(tmp, 'missing.json')], /--table .*missing\.json: no such file/],
    ['a table that is not a list', () => ['experiment', 'x', '--table', writeTable('object', { name: 'x' })], /--table .*: expected a non-empty JSON list of experiments/],
  ];
  test.each(cases)('%s', async (_, args, message) => {
    const result = await cli(args());
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });

  test('a table checked in-process names the field', () => {
    expect(() => checkExperiment({ ...TINY, training: { tiny: { steps: -1 } } })).toThrow(/training\.tiny\.steps: --steps: "-1" is not an integer in \[1, /);
    expect(() => checkExperiment({ ...TINY, data: [{ split: 'to-element' }, { split: 'to-element' }] })).toThrow(/data to-element is listed twice/);
  });

  test("an ablation's variants are checked: their settings, labels and models", () => {
    const ablation: Experiment = { ...TINY, name: 'abl', models: ['latent-action'], data: [{ dataset: 'objects3d', group: 'so3' }], table: 'latent-action', variants: [{ label: 'on', skips: 'channels' }, { label: 'off', skips: 'none' }] };
    expect(() => checkExperiment(ablation)).not.toThrow();
    expect(() => planExperiment({ ...ablation, models: ['latent-action', 'flow-action'] }, { runs: path.join(tmp, 'never') })).toThrow(/run flow-action-on-objects3d-so3-seed0: --skips applies to --model latent-action only, not --model flow-action/);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'on', skips: 'channels' }, { label: 'on', skips: 'none' }] })).toThrow(/variant on is listed twice/);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'on', skips: 'channels' }] })).toThrow(/two or more/);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'on', skips: 'yes' }, { label: 'off', skips: 'none' }] })).toThrow(/variants\[0\]\.skips: --skips: "yes" is not one of: none, channels, invariant, spatial/);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'on', skips: null as never }, { label: 'off', skips: 'none' }] })).toThrow(/variants\[0\]\.skips must be a value of --skips \(none\|channels\|invariant\|spatial\), got null/);
    expect(planExperiment({ ...ablation, variants: [{ label: 'invariant', skips: 'invariant' }, { label: 'none', skips: 'none' }] }, { runs: path.join(tmp, 'never') }).map((r) => (r.config.model as { skips?: string }).skips)).toEqual(['invariant', 'invariant', 'none', 'none']);
    // Tables written before the skip modes said true/false: read as channels/none.
    expect(planExperiment({ ...ablation, variants: [{ label: 'on', skips: true }, { label: 'off', skips: false }] }, { runs: path.join(tmp, 'never') }).map((r) => [(r.config.model as { skips?: string }).skips, r.flags.join(' ').match(/--skips \S+/)?.[0]])).toEqual([['channels', '--skips channels'], ['channels', '--skips channels'], ['none', '--skips none'], ['none', '--skips none']]);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'On Skips', skips: 'channels' }, { label: 'off', skips: 'none' }] })).toThrow(/variants\[0\]\.label must be lower-case/);
    expect(() => checkExperiment({ ...ablation, variants: [{ label: 'on', depth: 3 } as never, { label: 'off', skips: 'none' }] })).toThrow(/variants\[0\]\.depth: "depth" is not a cli train setting; expected one of steps, batch, lr/);
    expect(() => checkExperiment({ ...ablation, data: [{ dataset: 'objects3d', group: 'c4' }] })).toThrow(/data\[0\]: data set 'objects3d' does not take the group 'c4'/);
    const planned = planExperiment(ablation, { runs: path.join(tmp, 'never') });
    expect(planned.map((r) => r.name)).toEqual(['latent-action-on-objects3d-so3-seed0', 'latent-action-on-objects3d-so3-seed1', 'latent-action-off-objects3d-so3-seed0', 'latent-action-off-objects3d-so3-seed1']);
    expect(planned.map((r) => r.variant)).toEqual(['on', 'on', 'off', 'off']);
    expect(planned.map((r) => (r.config.model as { skips?: string }).skips)).toEqual(['channels', 'channels', 'none', 'none']);
    expect(planned[2].flags.join(' ')).toContain('--model latent-action --skips none --dataset objects3d --group so3 --preset tiny --seed 0');
  });
});

test("a table's per-model settings are checked, reach only that model's runs, and a model with nothing to learn trains 0 steps", () => {
  const table: Experiment = {
    ...TINY,
    name: 'headline',
    models: ['latent-action', 'flow-action', 'rotate-x'],
    data: [{ dataset: 'rotated-blocked-mnist', group: 'so2' }],
    table: 'latent-action',
    training: { tiny: { steps: 7 } },
    modelSettings: { 'latent-action': { skips: 'spatial', betaSkip: 1, equivariance: 'relative', frequencies: 4 } },
  };
  const never = { runs: path.join(tmp, 'never') };
  expect(() => checkExperiment(table)).not.toThrow();
  expect(() => checkExperiment({ ...table, modelSettings: { 'latent-action': { depth: 3 } } })).toThrow(/modelSettings\.latent-action\.depth: "depth" is not a cli train setting; expected one of .*frequencies/);
  expect(() => planExperiment({ ...table, modelSettings: { 'flow-action': { betaSkip: 1 } } }, never)).toThrow(/run flow-action-rotated-blocked-mnist-so2-seed0: --beta-skip applies to --model latent-action only/);
  expect(() => checkExperiment({ ...table, modelSettings: { winter: { skips: 'none' } } })).toThrow(/modelSettings\.winter: winter is not one of the experiment's models/);
  expect(() => checkExperiment({ ...table, modelSettings: { 'latent-action': { betaSkip: [1] as never } } })).toThrow(/modelSettings\.latent-action\.betaSkip must be a value of --beta-skip/);
  expect(() => checkExperiment({ ...table, modelSettings: { 'latent-action': { skips: 'sideways' } } })).toThrow(/sideways/);
  const planned = planExperiment(table, never);
  const [latent, flow, rotate] = [0, 2, 4].map((i) => planned[i]);
  expect(planned.map((r) => r.name)).toContain('rotate-x-rotated-blocked-mnist-so2-seed1');
  const model = latent.config.model as { skips: string; betaSkip: number; equivarianceScale: string; group: { frequencies: number[] } };
  expect([model.skips, model.betaSkip, model.equivarianceScale, model.group.frequencies]).toEqual(['spatial', 1, 'relative', [1, 2, 3, 4]]);
  expect(latent.flags.join(' ')).toContain('--model latent-action --skips spatial --beta-skip 1 --equivariance relative --frequencies 4 --dataset rotated-blocked-mnist');
  // flow-action keeps its defaults (its own frequencies), rotate-x trains nothing and takes no --steps.
  expect(flow.config.model).toEqual(planExperiment({ ...table, modelSettings: undefined }, never)[2].config.model);
  expect([latent.config.training.steps, flow.config.training.steps, rotate.config.training.steps]).toEqual([7, 7, 0]);
  expect(rotate.flags.join(' ')).not.toContain('--steps');
  // An arm's setting wins over the model's, and its flag is given once.
  const armed = planExperiment({ ...table, models: ['latent-action'], variants: [{ label: 'a', skips: 'none' }, { label: 'b', skips: 'invariant' }] }, never);
  expect(armed.map((r) => (r.config.model as { skips: string }).skips)).toEqual(['none', 'none', 'invariant', 'invariant']);
  expect(armed[0].flags.filter((f) => f.startsWith('--skips '))).toEqual(['--skips none']);
});

test('--dry-run lists every run with its flags and estimate, and creates nothing', async () => {
  const runs = path.join(tmp, 'dry');
  const result = await cli(['experiment', 'blog-table', '--dry-run', '--runs', runs]);
  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n').filter((l) => /^\s*\d+\/12 /.test(l));
  expect(lines.length).toBe(12);
  expect(lines[0]).toContain('--model maganet --split to-element --preset quick --seed 0 --steps 2000');
  expect(result.stdout).toMatch(/estimated time to run what is not done: (\d+h)?\d+m/);
  expect(fs.existsSync(runs)).toBe(false);
  const pairs = await cli(['experiment', 'latent-action-table', '--dry-run', '--runs', runs]);
  expect(pairs.code).toBe(0);
  expect(pairs.stdout).toContain('18/18  flow-action-contrast-c4-seed2');
  expect(pairs.stdout).toContain('--model latent-action --dataset rotated-blocked-mnist --group so2 --preset quick --seed 1');
  expect(fs.existsSync(runs)).toBe(false);
});

test('a tiny experiment runs end to end: run directories, the table with intervals, results and figure', async () => {
  const table = writeTable('tiny', [TINY]);
  const runs = path.join(tmp, 'runs');
  const results = path.join(tmp, 'docs', 'results.md');
  const result = await cli(['experiment', 'tiny-blog', '--table', table, '--runs', runs, '--results', results, '--quiet']);
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('run 1 of 8: maganet-to-element-seed0');
  expect(result.stdout).toMatch(/run 8 of 8: vae-to-range-ellipse-seed1, ETA of the experiment/);
  for (const name of ['maganet-to-element-seed0', 'maganet-to-range-ellipse-seed1', 'vae-to-element-seed1', 'vae-to-range-ellipse-seed0']) {
    const dir = path.join(runs, 'tiny-blog', name);
    expect(readRunConfig(dir).status).toBe('done');
    expect(readMetrics(dir)!.count).toBe(8);
    expect(readRunState(dir)!.step).toBe(4);
  }
  const text = fs.readFileSync(results, 'utf8');
  expect(text).toContain('bun run experiments tiny-blog --table');
  // Two seeds: every cell is a mean ± an interval, beside the blog's number.
  const maganet = text.split('\n').find((l) => l.startsWith('| MAGANet |'))!;
  expect(maganet).toMatch(/^\| MAGANet \| [\d.]+ ± [\d.]+ \| 18\.54 \| [\d.]+ ± [\d.]+ \| 38\.62 \| [\d.]+ ± [\d.]+ \| 68\.86 \| 2 \|$/);
  // The interval is the t interval of the two runs' metrics.
  const bces = [0, 1].map((s) => readMetrics(path.join(runs, 'tiny-blog', `maganet-to-element-seed${s}`))!.test.bce);
  const expected = meanInterval(bces);
  expect(maganet).toContain(`${expected.mean.toFixed(2)} ± ${expected.halfWidth!.toFixed(2)}`);
  // Group laws of the MAGANet runs (not the VAE's), in float32 and float64.
  const laws = text.split('\n').filter((l) => /^\| maganet-.*-seed\d \| /.test(l));
  expect(laws.length).toBe(4);
  for (const row of laws) {
    const errors = row.split('|').slice(2, 8).map((c) => Number(c.trim()));
    for (const e of errors) expect(Number.isFinite(e)).toBe(true);
    // float64 holds every law far below float32 rounding on a 4-step model.
    for (const e of errors.slice(3)) expect(e).toBeLessThan(1e-9);
  }
  expect(text).not.toMatch(/\| vae-.*-seed\d \| \d/);
  const figure = path.join(tmp, 'docs', 'figures', 'tiny-blog-recombination.png');
  expect(fs.readFileSync(figure).subarray(1, 4).toString()).toBe('PNG');
  expect(text).toContain('](figures/tiny-blog-recombination.png)');
  // The blog's latent maps: one PNG per factor, MAGANet's panel beside the VAE's.
  for (const factor of ['shape', 'posX', 'posY', 'scale']) {
    const file = path.join(tmp, 'docs', 'figures', `tiny-blog-latent-${factor}.png`);
    const png = PNG.sync.read(fs.readFileSync(file));
    expect(png.width).toBe(2 * 360 + 3 * 8);
    expect(text).toContain(`](figures/tiny-blog-latent-${factor}.png)`);
  }
  expect(text).toContain('MAGANet | β-VAE: UMAP (2-D, 50 neighbours, seed 0) of the codes of 200 to-element training images');

  // Run again without --resume: refused, nothing retrained.
  const again = await cli(['experiment', 'tiny-blog', '--table', table, '--runs', runs, '--results', results]);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already holds 8 runs of this experiment: continue with --resume/);
});

test('a tiny pair experiment: latent-action and flow-action on contrast, PSNR and SSIM with intervals, paired differences, laws of both', async () => {
  const { runs, experiment: pairs, done } = await runTiny('pairs', {
    name: 'tiny-pairs',
    models: ['latent-action', 'flow-action'],
    data: [{ dataset: 'contrast', group: 'c4' }],
    training: { tiny: { steps: 4, evalCount: 8 } },
    modelSettings: { 'latent-action': { skips: 'invariant', frequencies: 2 } },
  });
  expect(done.ran).toEqual(['latent-action-contrast-c4-seed0', 'latent-action-contrast-c4-seed1', 'flow-action-contrast-c4-seed0', 'flow-action-contrast-c4-seed1']);
  const out = path.join(tmp, 'pairs-results.md');
  await writeResults({ runs, out, experiments: [pairs], backend: T.backend().description });
  const text = fs.readFileSync(out, 'utf8');
  const psnr = [0, 1].map((s) => readMetrics(path.join(runs, 'tiny-pairs', `flow-action-contrast-c4-seed${s}`))!.test.psnr);
  const row = text.split('\n').find((l) => l.startsWith('| flow-action |'))!;
  expect(row).toContain(`| ${meanInterval(psnr).mean.toFixed(2)} ± ${meanInterval(psnr).halfWidth!.toFixed(2)} |`);
  // Grey images: PSNR of the set and per image, and SSIM, no MS-SSIM column.
  expect(text.split('\n').find((l) => l.startsWith('| latent-action |'))).toMatch(/^\| latent-action \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| 2 \|$/);
  expect(text).not.toContain('MS-SSIM');
  expect(text).toContain('- Settings: latent-action skips invariant, frequencies 2');
  expect((readRunConfig(path.join(runs, 'tiny-pairs', 'latent-action-contrast-c4-seed0')).model as { skips: string }).skips).toBe('invariant');
  // The paired difference by hand: two seeds, d̄ ± t(0.975, 1) · |d₀ − d₁| / 2 with t = 12.7062.
  const metric = (model: string, s: number) => readMetrics(path.join(runs, 'tiny-pairs', `${model}-contrast-c4-seed${s}`))!.test as { psnrSet: number; ssim: number };
  const d = [0, 1].map((s) => metric('latent-action', s).psnrSet - metric('flow-action', s).psnrSet);
  const dSsim = [0, 1].map((s) => metric('latent-action', s).ssim - metric('flow-action', s).ssim);
  const half = (v: number[]) => (12.7062 * Math.abs(v[0] - v[1])) / 2;
  const mean = (v: number[]) => (v[0] + v[1]) / 2;
  const paired = text.split('\n').find((l) => l.startsWith('| latent-action − flow-action | contrast-c4 |'))!;
  const cells = paired.split('|').map((c) => c.trim());
  expect(cells[3]).toBe(`${mean(d).toFixed(2)} ± ${half(d).toFixed(2)}`);
  expect(cells[4]).toBe(`[${(mean(d) - half(d)).toFixed(2)}, ${(mean(d) + half(d)).toFixed(2)}]`);
  expect(cells[5]).toBe(`${mean(dSsim).toFixed(4)} ± ${half(dSsim).toFixed(4)}`);
  expect(cells[7]).toBe('2');
  // flow-action's decoder is a bijection: its laws hold in float64 far below float32 rounding.
  for (const s of [0, 1]) {
    const laws = text.split('\n').find((l) => l.startsWith(`| flow-action-contrast-c4-seed${s} |`))!;
    const errors = laws.split('|').slice(2, 8).map((c) => Number(c.trim()));
    for (const e of errors.slice(3)) expect(e).toBeLessThan(1e-9);
  }
  expect(text).toContain('| latent-action-contrast-c4-seed0 |');
});

test('a tiny ablation on colour renders: a row per arm, with MS-SSIM, each arm trained with its own setting', async () => {
  const { runs, experiment: ablation, done } = await runTiny('ablation', {
    name: 'tiny-ablation',
    models: ['latent-action'],
    variants: [{ label: 'skips-on', skips: 'channels' }, { label: 'skips-off', skips: 'none' }],
    data: [{ dataset: 'objects3d', group: 'so3' }],
    training: { tiny: { steps: 2, evalCount: 8 } },
  });
  expect(done.ran).toEqual(['latent-action-skips-on-objects3d-so3-seed0', 'latent-action-skips-on-objects3d-so3-seed1', 'latent-action-skips-off-objects3d-so3-seed0', 'latent-action-skips-off-objects3d-so3-seed1']);
  for (const [arm, skips] of [['on', 'channels'], ['off', 'none']] as const) {
    expect((readRunConfig(path.join(runs, 'tiny-ablation', `latent-action-skips-${arm}-objects3d-so3-seed0`)).model as { skips?: string }).skips).toBe(skips);
  }
  const out = path.join(tmp, 'ablation-results.md');
  await writeResults({ runs, out, experiments: [ablation], backend: T.backend().description });
  const text = fs.readFileSync(out, 'utf8');
  expect(text).toContain('| model | objects3d-so3 PSNR (set) | objects3d-so3 PSNR (per image) | objects3d-so3 SSIM | objects3d-so3 MS-SSIM | seeds |');
  expect(text).toContain('| latent-action (skips-on) − latent-action (skips-off) | objects3d-so3 |');
  expect(text).toContain('latent-action × skips-on, skips-off × objects3d-so3 × 2 seeds');
  const msssim = [0, 1].map((s) => readMetrics(path.join(runs, 'tiny-ablation', `latent-action-skips-off-objects3d-so3-seed${s}`))!.test.msssim!);
  const off = text.split('\n').find((l) => l.startsWith('| latent-action (skips-off) |'))!;
  expect(off).toMatch(/^\| latent-action \(skips-off\) \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| 2 \|$/);
  expect(off).toContain(`${meanInterval(msssim).mean.toFixed(4)} ± ${meanInterval(msssim).halfWidth!.toFixed(4)}`);
  expect(text.split('\n').some((l) => l.startsWith('| latent-action (skips-on) |'))).toBe(true);
});

test('--resume after an interruption trains only what is missing', async () => {
  await T.init({ backend: BACKEND as T.BackendChoice, quiet: true });
  const runs = path.join(tmp, 'resume');
  const small: Experiment = { ...TINY, name: 'tiny-resume', models: ['maganet'], data: [{ split: 'to-element' }] };
  const planned = planExperiment(small, { runs });
  expect(planned.map((r) => r.name)).toEqual(['maganet-to-element-seed0', 'maganet-to-element-seed1']);
  const stop = { requested: false };
  // Interrupted in the second run, after its step 2 (its checkpoint is at step 2).
  const interrupting: Reporter = {
    note() {},
    step() {},
    log(p) {
      if (p.step === 2 && planned[1].dir && fs.existsSync(planned[1].dir)) stop.requested = true;
    },
    finish() {},
  };
  const printed: string[] = [];
  const first = await runExperiment(small, { runs, print: (t) => printed.push(t), reporter: interrupting, stop, command: 'test' });
  expect(first.status).toBe('stopped');
  expect(first.ran).toEqual(['maganet-to-element-seed0']);
  expect(readRunState(planned[1].dir)!.step).toBe(2);
  const firstRunModel = fs.statSync(path.join(planned[0].dir, 'model.safetensors')).mtimeMs;
  const firstRunLog = readLog(planned[0].dir);

  // Without --resume the experiment refuses to touch its runs.
  await expect(runExperiment(small, { runs, print() {}, reporter: QUIET, command: 'test' })).rejects.toThrow(/already holds 2 runs/);
  const second = await runExperiment(small, { runs, resume: true, print: (t) => printed.push(t), reporter: QUIET, command: 'test --resume' });
  expect(second.status).toBe('done');
  expect(second.skipped).toEqual(['maganet-to-element-seed0']);
  expect(second.ran).toEqual(['maganet-to-element-seed1']);
  expect(printed).toContain('run 1 of 2: maganet-to-element-seed0 is done, skipped');
  expect(printed.some((l) => l.startsWith('run 2 of 2: maganet-to-element-seed1 (resuming)'))).toBe(true);
  // The finished run was not retrained; the stopped one continued from its step 2, not from 0.
  expect(fs.statSync(path.join(planned[0].dir, 'model.safetensors')).mtimeMs).toBe(firstRunModel);
  expect(readLog(planned[0].dir)).toEqual(firstRunLog);
  expect(readLog(planned[1].dir).map((l) => l.step)).toEqual([1, 2, 3, 4]);
  expect(readRunConfig(planned[1].dir).status).toBe('done');
  const record = JSON.parse(fs.readFileSync(path.join(runs, 'tiny-resume', 'experiment.json'), 'utf8'));
  expect(Object.keys(record.runs).sort()).toEqual(['maganet-to-element-seed0', 'maganet-to-element-seed1']);
  expect(record.finishedAt).not.toBeNull();

  // A third pass has nothing to do.
  const third = await runExperiment(small, { runs, resume: true, print() {}, reporter: QUIET, command: 'test --resume' });
  expect(third.ran).toEqual([]);

  // The results of a table with one model and one split: its cells, and no to-diff without the second split.
  const out = path.join(tmp, 'resume-results.md');
  const written = await writeResults({ runs, out, experiments: [small], backend: T.backend().description });
  expect(written.reported).toEqual(['tiny-resume']);
  expect(fs.readFileSync(out, 'utf8')).toMatch(/\| MAGANet \| [\d.]+ ± [\d.]+ \| 18\.54 \| — \| /);
});
