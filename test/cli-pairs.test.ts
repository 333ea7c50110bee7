// End-to-end tests of `bun run cli` for the known-group models (latent-action, flow-action) on
// pairs (x, g·x): usage errors, a tiny run's directory, its metrics per bucket of g, eval side by
// side, render's figures, and an exact resume. Each case runs the real entry point in a child
// process on the tiny preset over a temporary directory, on MAGA_BACKEND (else auto: testDevice;
// a backend that cannot start is reported as skipped, never as passed).
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, planRun, readLog, readRunConfig, UsageError } from '@maga/cli';
import { evaluationSet, openGroupDataset } from '@maga/model';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { cliSuite, configRefusals, evalJson, expectResumedLikeUninterrupted, latentActionRunMetrics, ROOT } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('cli pair tests');

const { cli, runDir } = cliSuite('cli-pairs', BACKEND);

describe('pair-run usage errors exit 2 and name the value and what is accepted', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--dataset', 'mnist'], /--dataset: "mnist" is not one of: dsprites, rotated-mnist, rotated-blocked-mnist, contrast, objects3d, planes-sky/],
    [['train', '--model', 'latent-action', '--group', 'so3'], /--group: data set 'rotated-mnist' does not take the group 'so3' \(rotations in space\): it takes 'so2' or 'c<n>'; so3 is for objects3d and planes-sky/],
    [['train', '--model', 'latent-action', '--group', 'so5'], /--group: unknown group 'so5': expected 'so2' or 'c<n>'/],
    [['train', '--dataset', 'contrast', '--group', 'so2'], /--group: data set 'contrast' does not take the group 'so2': it takes 'c<n>'/],
    [['train', '--model', 'maganet', '--dataset', 'rotated-mnist'], /--dataset rotated-mnist holds pairs with a known g, for --model latent-action or flow-action or winter or rotate-x or copy-x; --model maganet trains on dsprites/],
    [['train', '--model', 'latent-action', '--split', 'to-range'], /--split applies to dSprites runs \(--model maganet or vae\), not --model latent-action/],
    [['train', '--model', 'vae', '--group', 'c4'], /--group applies to --model latent-action or flow-action or winter or rotate-x or copy-x only, not --model vae/],
    [['train', '--model', 'flow-action', '--dataset', 'dsprites'], /--model flow-action trains on pairs .* not dsprites/],
    [['train', '--model', 'latent-action', '--pairing', 'random'], /--pairing applies to --model maganet only, not --model latent-action/],
    [['train', '--model', 'latent-action', '--group', 'c1'], /--group c1: .*n must be at least 2/],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(fs.existsSync(path.join(ROOT, 'runs', 'latent-action'))).toBe(false);
    });
  }
});

test('planRun: --dataset alone implies latent-action; contrast defaults to C_4; the model takes the group and the 32×32 images', () => {
  const la = planRun({ preset: 'tiny', dataset: 'rotated-blocked-mnist' });
  expect(la.model.model).toBe('latent-action');
  expect(la.data).toEqual({ dataset: 'rotated-blocked-mnist', group: 'so2', limit: 256 });
  expect(la.model).toMatchObject({ imageSize: 32, channels: 1, group: { kind: 'so2' } });
  const contrast = planRun({ preset: 'tiny', model: 'flow-action', dataset: 'contrast' });
  expect(contrast.data).toEqual({ dataset: 'contrast', group: 'c4', limit: 256 });
  expect(contrast.model).toMatchObject({ group: { kind: 'cyclic', n: 4 } });
  // The quick preset's pair lengths, not MAGANet's.
  const quick = planRun({ model: 'latent-action' });
  expect(quick.training).toMatchObject({ steps: 2000, batchSize: 32, schedule: 'cosine' });
  expect(planRun({}).training).toMatchObject({ steps: 2000, batchSize: 32 });
  expect(() => planRun({ model: 'latent-action', dataset: 'rotated-mnist', group: 'c4', limit: 4, batch: 8 })).toThrow(UsageError);
});

test("config.json: a pair run's data must agree with its model, or the file is refused naming the field", () => {
  const config = JSON.parse(JSON.stringify(planRun({ preset: 'tiny', model: 'latent-action', group: 'c4' })));
  expect(parseRunConfig(config).data).toEqual({ dataset: 'rotated-mnist', group: 'c4', limit: 256 });
  const refused = configRefusals(config);
  refused((c) => (c.data.group = 'so2'), /data.group must be the model's group c4, got "so2"/);
  refused((c) => (c.data.group = 'c0'), /config.json: data: unknown group 'c0'/);
  refused((c) => (c.data.dataset = 'cifar'), /config.json: data: unknown data set 'cifar'/);
  refused((c) => (c.data = { dataset: 'dsprites', split: 'to-range', pairing: 'none', limit: null }), /data.dataset must be a pair data set for model latent-action, not dsprites/);
  refused((c) => (c.model.imageSize = 64), /model.imageSize and model.channels must be 32 and 1/);
  const dsprites = JSON.parse(JSON.stringify(planRun({ preset: 'tiny' })));
  dsprites.data = { dataset: 'rotated-mnist', group: 'so2', limit: null };
  expect(() => parseRunConfig(dsprites, 'config.json')).toThrow(/data.dataset must be dsprites for model maganet/);
});

withDevice(`a tiny latent-action run on rotated-mnist (backend ${BACKEND})`, () => {
  const A = runDir('la');
  test('train writes a run directory with the loss terms and metrics per 45° bucket', async () => {
    const result = await cli(['train', '--model', 'latent-action', '--preset', 'tiny', '--out', A]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/latent-action on rotated-mnist so2, 4 steps of 8/);
    expect(result.stdout).toMatch(/loss \S+ reconstruction \S+ identity \S+ equivariance \S+/);
    const config = readRunConfig(A);
    expect(config).toMatchObject({ status: 'done', data: { dataset: 'rotated-mnist', group: 'so2', limit: 256 } });
    const metrics = latentActionRunMetrics(A);
    for (const part of ['test', 'train']) {
      expect(metrics[part].images).toBe(16);
      expect(metrics[part].buckets.map((b: { name: string }) => b.name)).toEqual(['0–45°', '45–90°', '90–135°', '135–180°', '180–225°', '225–270°', '270–315°', '315–360°']);
      // Stratified: 16 pairs over 8 arcs, 2 each; the overall PSNR is the buckets' mean.
      expect(metrics[part].buckets.map((b: { images: number }) => b.images)).toEqual(Array(8).fill(2));
      const mean = metrics[part].buckets.reduce((s: number, b: { psnr: number }) => s + b.psnr, 0) / 8;
      expect(Math.abs(mean - metrics[part].psnr)).toBeLessThan(1e-9);
    }
    // The test part's pairs come from test digits, the train part's from training digits.
    const dataset = await openGroupDataset('rotated-mnist', 'so2');
    const test = new Set(dataset.part('test'));
    expect(evaluationSet(dataset, { pairs: 16, part: 'train' }).specs.every((s) => !test.has(s.source))).toBe(true);
    expect(evaluationSet(dataset, { pairs: 16, part: 'test' }).specs.every((s) => test.has(s.source))).toBe(true);
  }, 120_000);

  test('resuming at step 2 gives the losses of the run that never stopped', async () => {
    const B = runDir('la-resumed');
    expect((await cli(['train', '--model', 'latent-action', '--preset', 'tiny', '--steps', '2', '--out', B])).code).toBe(0);
    expectResumedLikeUninterrupted(await cli(['train', '--resume', B, '--steps', '4']), A, B);
  }, 120_000);

  test('eval --json names the data and gives the buckets; render draws x, D(g, x) and g·x and the swap grid', async () => {
    const run = await evalJson(cli, A, 8);
    expect(run).toMatchObject({ model: 'latent-action', data: 'rotated-mnist so2', split: null, count: 8 });
    expect(Object.keys(run.test).sort()).toEqual(['bce', 'buckets', 'images', 'mse', 'notIdentity', 'psnr', 'psnrSet', 'ssim']);
    // The headline PSNR is the set's, from its mean MSE; under SO(2) every pair has g ≠ e.
    expect(run.test.psnrSet).toBeCloseTo(10 * Math.log10(1 / run.test.mse), 9);
    expect(run.test.notIdentity).toMatchObject({ images: 8, mse: run.test.mse, psnrSet: run.test.psnrSet });

    const render = await cli(['render', A, '--count', '3', '--scale', '1']);
    expect(render.stderr).not.toMatch(/error/);
    expect(render.code).toBe(0);
    expect(render.stdout).toMatch(/group laws on the shown test images \(max \|Δpixel\|\): identity \S+, composition \S+, inverse \S+/);
    const figures = path.join(A, 'figures');
    const size = (tiles: number, scale: number) => tiles * 32 * scale + (tiles + 1) * 2;
    // Pair figures are drawn at least 3× (32-pixel tiles); columns x + 8 angles, two rows per image.
    const actions = PNG.sync.read(fs.readFileSync(path.join(figures, 'actions.png')));
    expect([actions.width, actions.height]).toEqual([size(9, 3), size(6, 3)]);
    // The first tile of the second row is blank; its fifth is the true g·x for θ = 3·45°.
    const dataset = await openGroupDataset('rotated-mnist', 'so2');
    const spec = evaluationSet(dataset, { pairs: 3 }).specs[0];
    const truth = dataset.renderPairs([{ ...spec, g: Math.fround((3 * Math.PI) / 4) }]).gx;
    const cell = 32 * 3 + 2;
    const [top, left] = [2 + cell, 2 + 4 * cell];
    for (let y = 0; y < 96; y += 5) {
      for (let x = 0; x < 96; x += 5) {
        const pixel = actions.data[((top + y) * actions.width + left + x) * 4];
        expect(Math.abs(pixel - Math.round(truth[Math.floor(y / 3) * 32 + Math.floor(x / 3)] * 255))).toBeLessThanOrEqual(1);
      }
    }
    const swap = PNG.sync.read(fs.readFileSync(path.join(figures, 'swap.png')));
    expect([swap.width, swap.height]).toEqual([size(4, 3), size(4, 3)]);
    const gif = new Uint8Array(fs.readFileSync(path.join(figures, 'actions.gif')));
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
    const summary = JSON.parse(fs.readFileSync(path.join(figures, 'figures.json'), 'utf8'));
    expect(summary.elements).toHaveLength(8);
    for (const law of ['identity', 'composition', 'inverse']) expect(Number.isFinite(summary.groupLaws[law])).toBe(true);
  }, 120_000);
});

withDevice(`a tiny flow-action run on rotated-blocked-mnist under C_4 (backend ${BACKEND})`, () => {
  test('trains, evaluates per element j, renders, and its decoder keeps the group laws exactly', async () => {
    const F = runDir('fa');
    const result = await cli(['train', '--model', 'flow-action', '--dataset', 'rotated-blocked-mnist', '--group', 'c4', '--preset', 'tiny', '--out', F]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(path.join(F, 'metrics.json'), 'utf8'));
    expect(metrics.test.buckets.map((b: { name: string }) => b.name)).toEqual(['j=0', 'j=1', 'j=2', 'j=3']);
    const table = await cli(['eval', F, runDir('la'), '--count', '8']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\bfa\s+flow-action\s+rotated-blocked-mnist c4\s+4\s+test\s+8\s/);
    expect(table.stdout).toMatch(/^g \(test\)\s+fa PSNR\s+SSIM\s*$/m);
    expect(table.stdout).toMatch(/1 pair run\(s\) with other groups not shown per bucket/);
    const render = await cli(['render', F, '--count', '2']);
    expect(render.code).toBe(0);
    const summary = JSON.parse(fs.readFileSync(path.join(F, 'figures', 'figures.json'), 'utf8'));
    expect(summary.elements).toEqual([0, 1, 2, 3]);
    // f⁻¹(ρ(g)f(x)) obeys the laws up to float rounding (latent-action only approximately).
    for (const law of ['identity', 'composition', 'inverse']) expect(summary.groupLaws[law]).toBeLessThan(1e-4);
  }, 180_000);
});

test("latent-action's own flags set its config; other models refuse them", () => {
  const config = planRun({ preset: 'tiny', model: 'latent-action', skips: 'spatial', betaIdentity: 0.5, betaEquivariance: 10, equivarianceScale: 'relative', betaSkip: 2, frequencies: 3 });
  expect(config.model).toMatchObject({ skips: 'spatial', betaIdentity: 0.5, betaEquivariance: 10, equivarianceScale: 'relative', betaSkip: 2, group: { kind: 'so2', frequencies: [1, 2, 3] } });
  // Tables written before issue 24 said skips: true/false.
  expect(planRun({ preset: 'tiny', model: 'latent-action', skips: false }).model).toMatchObject({ skips: 'none' });
  expect(() => planRun({ model: 'flow-action', skips: 'none' })).toThrow(/--skips applies to --model latent-action only, not --model flow-action/);
  expect(() => planRun({ model: 'maganet', betaEquivariance: 1 })).toThrow(/--beta-equivariance applies to --model latent-action only/);
  expect(() => planRun({ model: 'winter', frequencies: 2 })).toThrow(/--frequencies applies to --model latent-action or --model flow-action only, not --model winter/);
  expect(() => planRun({ model: 'latent-action', dataset: 'objects3d', frequencies: 2 })).toThrow(/--frequencies applies to so2 and c<n>, not so3/);
  expect(() => planRun({ model: 'latent-action', dataset: 'objects3d', skips: 'spatial' })).toThrow(/skips 'spatial' .* SO\(3\)/);
  expect(() => planRun({ model: 'rotate-x', steps: 10 })).toThrow(/--model rotate-x has no parameters to train: leave out --steps/);
  expect(planRun({ model: 'rotate-x', dataset: 'rotated-blocked-mnist' }).training.steps).toBe(0);
});

withDevice(`the data-space baselines through the CLI (backend ${BACKEND})`, () => {
  test('rotate-x is written and evaluated at once (0 steps); a tiny winter run trains; eval shows both', async () => {
    const R = runDir('rx');
    const rx = await cli(['train', '--model', 'rotate-x', '--dataset', 'rotated-blocked-mnist', '--group', 'c4', '--eval-count', '8', '--out', R]);
    expect(rx.stderr).not.toMatch(/error/);
    expect(rx.code).toBe(0);
    expect(rx.stdout).toMatch(/rotate-x on rotated-blocked-mnist c4, 0 steps of/);
    const metrics = JSON.parse(fs.readFileSync(path.join(R, 'metrics.json'), 'utf8'));
    expect(metrics.step).toBe(0);
    // j = 0 pairs are x itself, exactly: 2 of the 8 stratified pairs; g ≠ e holds the other 6.
    expect(metrics.test.buckets[0]).toMatchObject({ name: 'j=0', images: 2, mse: 0, psnrSet: 100 });
    expect(metrics.test.notIdentity.images).toBe(6);
    expect(metrics.test.notIdentity.psnrSet).toBeLessThan(metrics.test.buckets[0].psnrSet);
    const W = runDir('winter');
    const winter = await cli(['train', '--model', 'winter', '--dataset', 'rotated-blocked-mnist', '--group', 'c4', '--preset', 'tiny', '--out', W]);
    expect(winter.stderr).not.toMatch(/error/);
    expect(winter.code).toBe(0);
    expect(readLog(W).map((l) => l.step)).toEqual([1, 2, 3, 4]);
    const table = await cli(['eval', R, W, '--count', '8']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/\brx\s+rotate-x\s+rotated-blocked-mnist c4\s+0\s+test\s+8\s/);
    expect(table.stdout).toMatch(/\bwinter\s+winter\s+rotated-blocked-mnist c4\s+4\s+test\s+8\s/);
  }, 180_000);
});
