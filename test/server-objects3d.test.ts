// The server's routes on a 3-D (SO(3)) pair run: a tiny latent-action run on objects3d trained by
// `cli train … --dataset objects3d --group so3` in a temporary directory. Images are checked against
// the data set rendered here (index = object·360 + view, colour planes, PNG bytes); decodes with
// quaternions, the swap and the group laws against the model run in-process on the same weights;
// bad quaternions against the 400s they must get. Beside it, an untrained planes-sky run under SO(2)
// (test/support/pair-runs.ts): views are degrees about the vertical axis and its elements are angles.
import { beforeAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Objects3dDataset, VIEWS, quaternion, viewPose } from '@maga/model';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { clamp, distinctSourceSamples, expectBadRequest, expectSwapAsComputed, failure, loadRunModel, maxDiff, ok, pixels, serverSuite, train, writePairRun, type ApiImage } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('server objects3d tests');

const VALUES = 3 * 64 * 64;

withDevice(`cli serve: 3-D pair runs (objects3d SO(3), planes-sky SO(2)) [${BACKEND}]`, () => {
  const { runs, get, post, postRaw, start } = serverSuite('objects3d', BACKEND);
  const dataset = Objects3dDataset.open('objects3d', 'so3');
  /** The run's model in this process, from its own files (not through the server). */
  const localModel = () => loadRunModel(path.join(runs, 'obj'));
  /** Image `index` as this file renders it: object ⌊index/360⌋ in the pose of view index mod 360. */
  const rendered = (index: number) => dataset.renderImage(Math.floor(index / VIEWS), viewPose('so3', index % VIEWS));
  const imageTensor = (...indices: number[]) => {
    const data = new Float32Array(indices.length * VALUES);
    indices.forEach((index, i) => data.set(rendered(index), i * VALUES));
    return T.tensor(data, [indices.length, 3, 64, 64]);
  };

  beforeAll(async () => {
    await T.init({ backend: BACKEND, quiet: true });
    await train(path.join(runs, 'obj'), '--model', 'latent-action', '--preset', 'tiny', '--dataset', 'objects3d', '--group', 'so3');
    // The vertical-axis variant on planes-sky, untrained (test/support/pair-runs.ts): its elements are angles.
    await writePairRun(runs, 'sky-so2', { dataset: 'planes-sky', group: 'so2' });
    await start();
  }, 300_000);

  test('the run says SO(3); its data set is 3×64×64 colour, index = object·360 + view', async () => {
    const { summary } = await ok(get('/api/runs/obj'));
    expect(summary).toMatchObject({ model: 'latent-action', dataset: 'objects3d', split: null, group: { kind: 'so3' } });
    const info = await ok(get('/api/runs/obj/dataset'));
    expect(info).toMatchObject({ kind: 'pairs', dataset: 'objects3d', group: { kind: 'so3' }, imageSize: 64, channels: 3, steps: 360, count: 10_000 * 360, sources: 10_000 });
    expect(info.factors.map((f: { name: string }) => f.name)).toEqual(['class', 'object', 'qw', 'qx', 'qy', 'qz', 'yaw', 'pitch', 'roll', 'view']);
    // The camera's tilt, as a unit quaternion about x.
    expect(Math.hypot(...info.camera)).toBeCloseTo(1, 12);
    expect([info.camera[2], info.camera[3]]).toEqual([0, 0]);
    expect(Math.floor(info.fixedPivot / 360)).toBe(dataset.part('test')[0]);
  });

  test('views: 0 is upright, the others fixed unit rotations, the same for every object and spread over SO(3)', () => {
    expect(viewPose('so3', 0)).toEqual([1, 0, 0, 0]);
    const poses = Array.from({ length: VIEWS }, (_, k) => viewPose('so3', k));
    for (const q of poses) expect(Math.abs(Math.hypot(...q) - 1)).toBeLessThan(1e-6);
    expect(viewPose('so3', 17)).toEqual(poses[17]);
    // Uniform on SO(3): the rotation angle's mean is π/2 + 2/π ≈ 2.21 rad (Haar measure).
    const mean = poses.slice(1).reduce((a, q) => a + quaternion.rotationAngle(q), 0) / (VIEWS - 1);
    expect(Math.abs(mean - (Math.PI / 2 + 2 / Math.PI))).toBeLessThan(0.1);
    expect(new Set(poses.map((q) => q.join(','))).size).toBe(VIEWS);
    // so2: k degrees about the vertical axis.
    expect(quaternion.rotationAngle(viewPose('so2', 90))).toBeCloseTo(Math.PI / 2, 6);
    expect(viewPose('so2', 90)[1]).toBe(0);
    expect(() => viewPose('so3', 360)).toThrow('view 360 is out of range');
  });

  test("images are the data set's renders: factors, float pixels, colour PNG bytes; samples are test objects", async () => {
    const index = 1234 * 360 + 77;
    const one = await ok(get(`/api/runs/obj/dataset/images/${index}`));
    expect(one.image).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(maxDiff(pixels(one.image), rendered(index))).toBe(0);
    const pose = viewPose('so3', 77);
    expect(one.factors).toMatchObject({ object: 1234, view: 77, class: 1234 % 5 });
    expect(Math.abs(one.factors.qw - pose[0]) + Math.abs(one.factors.qx - pose[1])).toBeLessThan(1e-6);
    // The three planes differ: a colour image, not grey copied thrice.
    const p = pixels(one.image);
    expect(maxDiff(p.subarray(0, 4096), p.subarray(4096, 8192))).toBeGreaterThan(0.05);

    const png = PNG.sync.read(Buffer.from(await (await get(`/api/runs/obj/dataset/images/${index}/png`)).arrayBuffer()));
    expect([png.width, png.height]).toEqual([64, 64]);
    const expected = rendered(index);
    let worst = 0;
    for (let i = 0; i < 4096; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(png.data[4 * i + c] - Math.round(expected[c * 4096 + i] * 255)));
    expect(worst).toBe(0);

    const test = new Set(dataset.part('test'));
    const samples = await distinctSourceSamples(get('/api/runs/obj/dataset/samples?count=6&seed=3'), 6, 360);
    for (const s of samples) {
      expect(test.has(s.factors.object)).toBe(true);
      expect(maxDiff(pixels(s.image), rendered(s.index))).toBe(0);
    }
    for (const s of (await ok(get('/api/runs/obj/dataset/samples?part=train&count=4&seed=3'))).samples) expect(test.has(s.factors.object)).toBe(false);
    await expectBadRequest(get(`/api/runs/obj/dataset/images/${10_000 * 360}`), `got ${10_000 * 360}`);
  });

  test('decode takes unit quaternions: D(g, x) as the model computes it here, colour, different for different g', async () => {
    const x = 4321 * 360;
    const g = [[1, 0, 0, 0], quaternion.fromAxisAngle([0, 1, 0], Math.PI / 2), quaternion.fromAxisAngle([1, 1, 0], 2)].map((q) => Array.from(q));
    const { images } = await ok(post('/api/runs/obj/decode', { pivot: x, g }));
    expect(images).toHaveLength(3);
    expect(images[0]).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(maxDiff(pixels(images[0]), pixels(images[1]))).toBeGreaterThan(1e-4);
    const model = await localModel();
    try {
      const expected = await T.noGrad(() => T.tidy(() => model.prepare(imageTensor(x)).decode(T.tensor(g.flat(), [3, 4])))).data();
      expect(maxDiff(images.flatMap((im: ApiImage) => Array.from(pixels(im))), clamp(expected))).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
    // reconstruct is D(e, x).
    const r = await ok(post('/api/runs/obj/reconstruct', { indices: [x] }));
    expect(r.z).toEqual([[1, 0, 0, 0]]);
    expect(r.images[0].channels).toBe(3);
    expect(maxDiff(pixels(r.images[0]), pixels(images[0]))).toBeLessThan(1e-6);
  });

  test('bad rotations get a 400 naming the value: not unit, not finite, not four numbers', async () => {
    const decode = (body: string) => failure(postRaw('/api/runs/obj/decode', body));
    let e = await decode('{"g": [[2, 0, 0, 0]]}');
    expect(e.status).toBe(400);
    expect(e.error).toContain('g[0] must be a unit quaternion [w, x, y, z]');
    expect(e.error).toContain('got [2,0,0,0] (norm 2)');
    e = await decode('{"g": [[1, 0, 0, 0], [0.7, 0.7, 0, 0.001]]}');
    expect(e.error).toContain('g[1] must be a unit quaternion');
    expect(e.error).toMatch(/norm 0\.98/);
    e = await decode('{"g": [[1e999, 0, 0, 0]]}');
    expect(e.status).toBe(400);
    expect(e.error).toContain('g[0][0] = Infinity is not a finite number');
    e = await decode('{"g": [[1, 0, 0, "0"]]}');
    expect(e.error).toContain('g[0][3] = "0" is not a finite number');
    e = await decode('{"g": [[1, 0, 0]]}');
    expect(e.error).toContain('g[0] must be a unit quaternion');
    expect(e.error).toContain('(3 numbers)');
    e = await decode('{"g": [0.5]}');
    expect(e.error).toContain('g[0] must be a unit quaternion');
    expect(e.error).toContain('got 0.5');
    await expectBadRequest(post('/api/runs/obj/group-laws', { g1: [1, 0, 0, 0], g2: [0, 0, 0, 0] }), 'g2 must be a unit quaternion', '(norm 0)');
    e = await failure(post('/api/runs/obj/decode', { z: [[1, 0, 0, 0]] }));
    expect(e.error).toContain('takes a known group element g, a unit quaternion');
    await expectBadRequest(post('/api/runs/obj/traverse', { index: 0 }), 'unit quaternions (SO(3))');
  });

  test("group laws with rotations: D(g₂g₁, x) is the decode of the Hamilton product", async () => {
    const x = 4321 * 360 + 5;
    const [g1, g2] = [quaternion.fromAxisAngle([0, 1, 0], 1), quaternion.fromAxisAngle([1, 0, 0], 0.5)];
    const laws = await ok(post('/api/runs/obj/group-laws', { pivot: x, g1, g2 }));
    for (const law of [laws.identity, laws.composition, laws.inverse]) expect(Number.isFinite(law.maxError)).toBe(true);
    const product = Array.from(quaternion.multiply(g2, g1));
    const { images } = await ok(post('/api/runs/obj/decode', { pivot: x, g: [product, [1, 0, 0, 0]] }));
    expect(maxDiff(pixels(laws.composition.combined), pixels(images[0]))).toBeLessThan(1e-5);
    expect(maxDiff(pixels(laws.identity.output), pixels(images[1]))).toBeLessThan(1e-6);
    expect(maxDiff(pixels(laws.identity.input), rendered(x))).toBe(0);
  });

  test("swap: one object's invariant part with another's pose, as the model does, pairwise", async () => {
    const [a, b] = [4321 * 360 + 10, 9876 * 360 + 200];
    const r = await ok(post('/api/runs/obj/swap', { pairs: [[a, b]] }));
    expect(r.aWithB[0].channels).toBe(3);
    const model = await localModel();
    try {
      await expectSwapAsComputed(r, model.swapParts!.bind(model), imageTensor, [a, b]);
    } finally {
      model.dispose();
    }
  });

  test('the latent map: E(x) of test and train images with class, object and pose', async () => {
    const e = await ok(post('/api/runs/obj/embedding', { count: 12, nNeighbors: 4, seed: 1 }));
    expect(e.points).toHaveLength(12);
    for (const f of e.factors) {
      expect(Number.isInteger(f.class) && f.class >= 0 && f.class < 5).toBe(true);
      expect(Math.hypot(f.qw, f.qx, f.qy, f.qz)).toBeCloseTo(1, 5);
    }
    expect(fs.readdirSync(path.join(runs, 'obj')).some((f) => f.startsWith('embedding-objects3d-so3-n12'))).toBe(true);
  });

  test('planes-sky under SO(2): view k is k degrees about the vertical axis, g an angle, the sky the same in every view', async () => {
    const { summary } = await ok(get('/api/runs/sky-so2'));
    expect(summary).toMatchObject({ dataset: 'planes-sky', group: { kind: 'so2' } });
    const info = await ok(get('/api/runs/sky-so2/dataset'));
    expect(info).toMatchObject({ dataset: 'planes-sky', group: { kind: 'so2' }, channels: 3, imageSize: 64, steps: 360 });
    const sky = Objects3dDataset.open('planes-sky', 'so2');
    const [upright, turned] = await Promise.all([ok(get(`/api/runs/sky-so2/dataset/images/${77 * 360}`)), ok(get(`/api/runs/sky-so2/dataset/images/${77 * 360 + 90}`))]);
    expect(maxDiff(pixels(turned.image), sky.renderImage(77, quaternion.aboutVertical(Math.PI / 2)))).toBeLessThan(1e-6);
    expect(turned.factors.yaw).toBeCloseTo(Math.PI / 2, 5);
    // The plane turns; the corners (sky) do not.
    const [a, b] = [pixels(upright.image), pixels(turned.image)];
    expect(maxDiff(a, b)).toBeGreaterThan(0.1);
    for (const corner of [0, 63, 64 * 63, 64 * 64 - 1]) for (let c = 0; c < 3; c++) expect(a[c * 4096 + corner]).toBe(b[c * 4096 + corner]);
    const { images } = await ok(post('/api/runs/sky-so2/decode', { pivot: 77 * 360, g: [0, Math.PI / 2] }));
    expect(images.map((im: ApiImage) => im.channels)).toEqual([3, 3]);
    await expectBadRequest(post('/api/runs/sky-so2/decode', { g: [[1, 0, 0, 0]] }), 'g[0] must be a finite angle in radians');
  });
});
