// End-to-end tests of `bun run cli` on the rendered 3-D pair data sets (issue 12): objects3d and
// planes-sky, 3×64×64 colour images, under SO(3) (unit quaternions) or SO(2) about the vertical
// axis. Usage errors exit 2 naming the value; config.json's data must agree with its model; a tiny
// latent-action run on objects3d so3 trains, evaluates per 30° bucket of the rotation angle and
// renders colour figures whose true g·x tiles are the renders themselves, and resumes exactly; bad
// rotations are refused naming the value. Each CLI case runs the real entry point in a child
// process (MAGA_BACKEND, else auto: testDevice; a backend that cannot start is reported as skipped, never
// as passed).
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRunConfig, planRun, readRunConfig } from '@maga/cli';
import { checkQuaternions, openDataset, quaternion } from '@maga/model';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { cliSuite, configRefusals, evalJson, expectResumedLikeUninterrupted, latentActionRunMetrics } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('cli objects3d tests');

const { cli, runDir } = cliSuite('cli-objects3d', BACKEND);

describe('3-D usage errors exit 2 and name the value and what is accepted', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--dataset', 'objects3d', '--group', 'c4'], /--group: data set 'objects3d' does not take the group 'c4': it takes 'so3' or 'so2'/],
    // An unknown label is refused as unknown, for every data set alike (the groups' registry knows no 'so4'), listing what the set takes.
    [['train', '--dataset', 'planes-sky', '--group', 'so4'], /--group: unknown group 'so4': expected 'so3' or 'so2'/],
    [['train', '--dataset', 'contrast', '--group', 'so3'], /--group: data set 'contrast' does not take the group 'so3' \(rotations in space\): it takes 'c<n>'/],
    [['train', '--model', 'flow-action', '--dataset', 'objects3d'], /flow-action takes the groups so2 and cyclic, not so3/],
    [['train', '--model', 'maganet', '--dataset', 'objects3d'], /--dataset objects3d holds pairs with a known g, for --model latent-action or flow-action/],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const result = await cli([...args, '--out', runDir('never')]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(fs.existsSync(runDir('never'))).toBe(false);
    });
  }
  test('MAGA_RENDER_AHEAD=sometimes', async () => {
    const result = await cli(['train', '--dataset', 'objects3d', '--preset', 'tiny', '--out', runDir('never')], { MAGA_RENDER_AHEAD: 'sometimes' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/MAGA_RENDER_AHEAD="sometimes": expected on, off or auto/);
    expect(fs.existsSync(runDir('never'))).toBe(false);
  });
});

test('planRun: objects3d defaults to so3, 3×64×64 images, the so3 group in the model; so2 and planes-sky too; the 3-D preset lengths', () => {
  const so3 = planRun({ preset: 'tiny', dataset: 'objects3d' });
  expect(so3.model.model).toBe('latent-action');
  expect(so3.data).toEqual({ dataset: 'objects3d', group: 'so3', limit: 256 });
  expect(so3.model).toMatchObject({ imageSize: 64, channels: 3, group: { kind: 'so3', degrees: [1, 1, 1, 2] } });
  const so2 = planRun({ preset: 'tiny', dataset: 'planes-sky', group: 'so2' });
  expect(so2.data).toEqual({ dataset: 'planes-sky', group: 'so2', limit: 256 });
  expect(so2.model).toMatchObject({ imageSize: 64, channels: 3, group: { kind: 'so2' } });
  const fa = planRun({ preset: 'tiny', model: 'flow-action', dataset: 'objects3d', group: 'so2' });
  expect(fa.model).toMatchObject({ imageSize: 64, channels: 3, group: { kind: 'so2' } });
  // quick: the 3-D lengths, not the digits'.
  const quick = planRun({ dataset: 'objects3d' });
  const digits = planRun({ dataset: 'rotated-mnist' });
  expect(quick.training.steps).not.toBe(digits.training.steps);
});

test("config.json: a 3-D run's data must agree with its model (group, image size), or the file is refused naming the field", () => {
  const config = JSON.parse(JSON.stringify(planRun({ preset: 'tiny', dataset: 'objects3d' })));
  expect(parseRunConfig(config).data).toEqual({ dataset: 'objects3d', group: 'so3', limit: 256 });
  const refused = configRefusals(config);
  refused((c) => (c.data.group = 'so2'), /data.group must be the model's group so3, got "so2"/);
  refused((c) => (c.data.group = 'c4'), /config.json: data: data set 'objects3d' does not take the group 'c4'/);
  refused((c) => (c.model.imageSize = 32), /model.imageSize and model.channels must be 64 and 3 for objects3d's 3×64×64 images/);
  refused((c) => (c.model.group = { kind: 'so3', degrees: [3] }), /group\.degrees must each be 1 or 2/);
});

test('bad rotations are refused naming the value: non-unit or non-finite quaternions, a non-finite angle under so2', async () => {
  expect(() => checkQuaternions([1, 0, 0, 0, 1, 1, 0, 0], 'rotation')).toThrow(/rotation: quaternion 1 = \(1, 1, 0, 0\) has norm 1\.414\d*, not 1/);
  expect(() => checkQuaternions([NaN, 0, 0, 1], 'rotation')).toThrow(/rotation: quaternion 0 = \(NaN, 0, 0, 1\) is not finite/);
  const so3 = await openDataset('objects3d', 'so3');
  const spec = so3.evaluationSet({ pairs: 1 }).specs[0];
  expect(() => so3.withElement(spec, [0.5, 0.5, 0.5, 0])).toThrow(/objects3d so3: element: quaternion 0 = \(0\.5, 0\.5, 0\.5, 0\) has norm 0\.866\d*, not 1/);
  expect(() => so3.withElement(spec, [1, 0, 0])).toThrow(/a rotation is a unit quaternion of 4 numbers/);
  const so2 = await openDataset('objects3d', 'so2');
  expect(() => so2.withElement(so2.evaluationSet({ pairs: 1 }).specs[0], [NaN])).toThrow(/objects3d so2: an element is one finite angle about the vertical axis, got \[null\]/);
});

withDevice(`a tiny colour latent-action run on objects3d so3 (backend ${BACKEND})`, () => {
  const A = runDir('so3');
  test('train writes a run directory with the loss terms and metrics per 30° bucket of the angle of g', async () => {
    const result = await cli(['train', '--dataset', 'objects3d', '--group', 'so3', '--preset', 'tiny', '--out', A]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/latent-action on objects3d so3, 4 steps of 8/);
    const config = readRunConfig(A);
    expect(config).toMatchObject({ status: 'done', data: { dataset: 'objects3d', group: 'so3', limit: 256 }, model: { imageSize: 64, channels: 3, group: { kind: 'so3' } } });
    const metrics = latentActionRunMetrics(A);
    for (const part of ['test', 'train']) {
      expect(metrics[part].images).toBe(16);
      expect(metrics[part].buckets.map((b: { name: string }) => b.name)).toEqual(['0–30°', '30–60°', '60–90°', '90–120°', '120–150°', '150–180°']);
      expect(metrics[part].buckets.reduce((s: number, b: { images: number }) => s + b.images, 0)).toBe(16);
      for (const key of ['psnr', 'ssim', 'msssim', 'mse', 'bce']) expect(Number.isFinite(metrics[part][key])).toBe(true);
    }
  }, 120_000);

  // This run renders ahead in a worker (render-ahead.ts; A rendered as the machine's cores chose):
  // its batches must be A's, and a resume must draw the batches of the run that never stopped, not
  // those the worker had rendered ahead of the stop.
  test('rendered ahead and resumed at step 2: the losses of the run that never stopped', async () => {
    const B = runDir('so3-resumed');
    const first = await cli(['train', '--dataset', 'objects3d', '--group', 'so3', '--preset', 'tiny', '--steps', '2', '--out', B], { MAGA_RENDER_AHEAD: 'on' });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/rendering: each batch in a worker during the previous step \(MAGA_RENDER_AHEAD=on\)/);
    const resumed = await cli(['train', '--resume', B, '--steps', '4'], { MAGA_RENDER_AHEAD: 'on' });
    expect(resumed.stderr).not.toMatch(/error/);
    expectResumedLikeUninterrupted(resumed, A, B);
  }, 120_000);

  test('eval --json gives the buckets; render draws colour x, D(g, x) and the true g·x, a colour GIF and the swap grid', async () => {
    const run = await evalJson(cli, A, 6);
    expect(run).toMatchObject({ model: 'latent-action', data: 'objects3d so3', split: null, count: 6 });
    expect(run.test.buckets.map((b: { images: number }) => b.images)).toEqual(Array(6).fill(1));
    // Colour runs report MS-SSIM beside SSIM, overall and per bucket, in [0, 1].
    expect(Object.keys(run.test).sort()).toEqual(['bce', 'buckets', 'images', 'mse', 'msssim', 'notIdentity', 'psnr', 'psnrSet', 'ssim']);
    for (const m of [run.test, run.train, ...run.test.buckets]) expect(m.msssim >= 0 && m.msssim <= 1).toBe(true);
    const table = await cli(['eval', A, '--count', '6']);
    expect(table.stdout).toMatch(/PSNR\s+SSIM\s+MS-SSIM/);

    const render = await cli(['render', A, '--count', '2', '--scale', '1']);
    expect(render.stderr).not.toMatch(/error/);
    expect(render.code).toBe(0);
    const figures = path.join(A, 'figures');
    const size = (tiles: number) => tiles * 64 * 3 + (tiles + 1) * 2; // drawn at least 3×
    const actions = PNG.sync.read(fs.readFileSync(path.join(figures, 'actions.png')));
    // x + 8 rotations per row, two rows per image.
    expect([actions.width, actions.height]).toEqual([size(9), size(4)]);
    const summary = JSON.parse(fs.readFileSync(path.join(figures, 'figures.json'), 'utf8'));
    expect(summary.elements).toHaveLength(8);
    for (const q of summary.elements) {
      expect(q).toHaveLength(4);
      expect(() => checkQuaternions(q, 'figure element')).not.toThrow();
    }
    // The second row's third tile is the true g·x for the third column's rotation (180° about the
    // vertical axis), in colour: the renderer's own image, pixel for pixel (±1 of 255).
    const dataset = await openDataset('objects3d', 'so3');
    const spec = dataset.evaluationSet({ pairs: 2 }).specs[0];
    const g = summary.elements[2];
    expect(Math.abs(quaternion.rotationAngle(g as quaternion.Quaternion) - Math.PI)).toBeLessThan(1e-6);
    const truth = dataset.renderPairs([dataset.withElement(spec, g)]).gx;
    const cell = 64 * 3 + 2;
    const [top, left] = [2 + cell, 2 + 3 * cell];
    let coloured = 0;
    for (let y = 0; y < 192; y += 7) {
      for (let x = 0; x < 192; x += 7) {
        const at = ((top + y) * actions.width + left + x) * 4;
        const source = Math.floor(y / 3) * 64 + Math.floor(x / 3);
        const rgb = [0, 1, 2].map((c) => Math.round(truth[c * 4096 + source] * 255));
        for (let c = 0; c < 3; c++) expect(Math.abs(actions.data[at + c] - rgb[c])).toBeLessThanOrEqual(1);
        if (Math.max(...rgb) - Math.min(...rgb) > 20) coloured++;
      }
    }
    expect(coloured).toBeGreaterThan(5); // the object is in colour, not grey
    const swap = PNG.sync.read(fs.readFileSync(path.join(figures, 'swap.png')));
    expect([swap.width, swap.height]).toEqual([size(3), size(3)]);
    const gif = new Uint8Array(fs.readFileSync(path.join(figures, 'actions.gif')));
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
    for (const law of ['identity', 'composition', 'inverse']) expect(Number.isFinite(summary.groupLaws[law])).toBe(true);
  }, 120_000);
});
