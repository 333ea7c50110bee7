// The HTTP server of `cli serve`, over real HTTP on 127.0.0.1: every route of docs/api.md, the
// bad-input answers, a corrupt checkpoint isolated to its run, the GPU queue under concurrent
// requests, and checkpoint bytes that load back into an identical model. Runs are trained
// in-process on the tiny preset. The backend is MAGA_BACKEND, else auto (testDevice); where it cannot start
// the suite is reported as skipped.
import { beforeAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createReporter, createRunDir, loadTrainedModel, planRun, train, type RunChoices } from '@maga/cli';
import { createModel, decodeSafetensors, dsprites, encodeSafetensors, isTest, loadModule, Maganet } from '@maga/model';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { apiClient, failure, maxDiff, ok, pixels, serveInProcess, serverSuite } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('server tests');

const sink = { write: () => true };

withDevice(`cli serve [${BACKEND}]`, () => {
  const { tmp, runs, get, post, postRaw, start } = serverSuite('server', BACKEND);

  async function trainRun(name: string, choices: RunChoices) {
    const dir = path.join(runs, name);
    createRunDir(dir, planRun({ preset: 'tiny', ...choices }));
    await train(dir, { backend: BACKEND, reporter: createReporter({ quiet: true, output: sink }) });
    return dir;
  }

  beforeAll(async () => {
    await trainRun('tiny-a', {});
    await trainRun('tiny-vae', { model: 'vae' });
    await trainRun('tiny-seed1', { seed: 1, steps: 2 });
    // A run whose checkpoint was cut short, and a copy of tiny-a whose checkpoint will be swapped.
    for (const name of ['broken', 'swapped']) fs.cpSync(path.join(runs, 'tiny-a'), path.join(runs, name), { recursive: true });
    const broken = path.join(runs, 'broken', 'model.safetensors');
    fs.truncateSync(broken, fs.statSync(broken).size - 100);
    // A copy whose weights hold a NaN (as written before the divergence guard: no checksum), and
    // one marked diverged as `cli train` marks a run that went non-finite.
    for (const name of ['poisoned', 'diverged']) fs.cpSync(path.join(runs, 'tiny-a'), path.join(runs, name), { recursive: true });
    const poisoned = path.join(runs, 'poisoned', 'model.safetensors');
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync(poisoned)));
    tensors['encoder.conv1.weight'].data[5] = NaN;
    fs.writeFileSync(poisoned, encodeSafetensors(tensors, { format: metadata.format, step: metadata.step }));
    const divergedConfig = path.join(runs, 'diverged', 'config.json');
    const config = JSON.parse(fs.readFileSync(divergedConfig, 'utf8'));
    config.status = 'diverged';
    config.error = 'training diverged at step 4: loss is NaN.';
    config.divergence = { step: 4, term: 'loss', value: 'NaN', checkpointStep: 2 };
    fs.writeFileSync(divergedConfig, JSON.stringify(config));
    fs.mkdirSync(path.join(runs, 'not-a-run'));
    fs.writeFileSync(path.join(tmp, 'secret.json'), '{"secret": true}');
    await start();
  }, 180_000);

  test('GET /api/health', async () => {
    const health = await ok(get('/api/health'));
    expect(health).toMatchObject({ ok: true, backend: BACKEND === 'cpu' || BACKEND === 'native' ? BACKEND : expect.stringMatching(/^(webgpu|native|cpu)$/) });
    expect(health.device).toEqual(expect.any(String));
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('GET /api/runs lists every run, a corrupt one with its error', async () => {
    const { runs: list } = await ok(get('/api/runs'));
    const byId = Object.fromEntries(list.map((r: any) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual(['broken', 'diverged', 'poisoned', 'swapped', 'tiny-a', 'tiny-seed1', 'tiny-vae']);
    expect(byId.diverged).toMatchObject({ status: 'diverged', error: 'training diverged at step 4: loss is NaN.', divergence: { step: 4, term: 'loss', value: 'NaN', checkpointStep: 2 } });
    expect(byId['tiny-a']).toMatchObject({ model: 'maganet', dataset: 'dsprites', split: 'to-range', step: 4, steps: 4, status: 'done' });
    expect(byId['tiny-a'].metrics.test.images).toBe(16);
    expect(new Date(byId['tiny-a'].updatedAt).getTime()).toBeGreaterThan(0);
    expect(byId['tiny-vae'].model).toBe('vae');
    expect(byId.broken.status).toBe('error');
    expect(byId.broken.error).toMatch(/model\.safetensors is corrupt/);
    expect(byId.broken.error).not.toContain(tmp); // no server paths in answers
  });

  test('GET /api/runs/:id has the config, metrics and log', async () => {
    const detail = await ok(get('/api/runs/tiny-a'));
    expect(detail.summary.id).toBe('tiny-a');
    expect(detail.config.model.model).toBe('maganet');
    expect(detail.metrics.step).toBe(4);
    expect(detail.log.map((l: any) => l.step)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(detail.log[0]).sort()).toEqual(['bce', 'imagesPerSecond', 'kl', 'latent', 'loss', 'lr', 'step', 'time']);
  });

  test('GET /api/runs/:id/checkpoint loads back into an identical model', async () => {
    const response = await get('/api/runs/tiny-a/checkpoint');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const { config } = await loadTrainedModel(path.join(runs, 'tiny-a'));
    const model = (await createModel(config.model, 12345)) as Maganet; // other initial weights
    loadModule(model, bytes);
    const indices = [1000, 250000, 600000];
    const served = await ok(post('/api/runs/tiny-a/reconstruct', { indices }));
    const local = T.noGrad(() =>
      T.tidy(() => {
        const pivot = T.tensor(dsprites.render(dsprites.FIXED_PIVOT.index), [1, 1, 64, 64]);
        const varying = T.tensor(dsprites.renderBatch(indices), [3, 1, 64, 64]);
        const z = model.transformation(pivot, varying).mu;
        return { z, images: model.decode(z, pivot) };
      }),
    );
    const [z, images] = [await local.z.data(), await local.images.data()];
    local.z.dispose();
    local.images.dispose();
    model.dispose();
    expect(maxDiff(served.z.flat(), z)).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(maxDiff(pixels(served.images[i]), images.subarray(i * 4096, (i + 1) * 4096).map((v) => Math.min(1, Math.max(0, v))))).toBeLessThan(1e-5);
  });

  test('dataset routes: description, samples, images (JSON and PNG), index of classes', async () => {
    const info = await ok(get('/api/dataset'));
    expect(info.count).toBe(737_280);
    expect([info.factors.shape.length, info.factors.scale.length, info.factors.orientation.length, info.factors.posX.length, info.factors.posY.length]).toEqual([3, 6, 40, 32, 32]);
    expect(Object.keys(info.splits)).toContain('to-range');
    expect(info.fixedPivot).toBe(dsprites.FIXED_PIVOT.index);

    const { samples } = await ok(get('/api/dataset/samples?split=to-range&part=test&count=4&seed=1'));
    expect(samples).toHaveLength(4);
    for (const s of samples) {
      expect(isTest('to-range', s.index)).toBe(true);
      expect(s.factors.shape).toBe('square');
      expect(maxDiff(pixels(s.image), dsprites.render(s.index))).toBe(0);
    }

    const image = await ok(get('/api/dataset/images/123456'));
    expect(image.factors).toMatchObject({ ...dsprites.factorsOf(123456).values, classes: dsprites.factorsOf(123456).classes });
    const png = await get('/api/dataset/images/123456/png');
    expect(png.headers.get('content-type')).toBe('image/png');
    const decoded = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
    const truth = dsprites.render(123456);
    for (let i = 0; i < 4096; i++) expect(decoded.data[i * 4]).toBe(truth[i] * 255);

    expect(await ok(get('/api/dataset/index?shape=2&scale=2&orientation=20&posX=5&posY=15'))).toEqual({ index: dsprites.FIXED_PIVOT.index });
  });

  test('encode, reconstruct and decode agree with one another', async () => {
    const indices = [5, 70_000, 400_000];
    const { mu, logVar } = await ok(post('/api/runs/tiny-a/encode', { indices }));
    expect([mu.length, mu[0].length, logVar.length, logVar[0].length]).toEqual([3, 10, 3, 10]);
    const pivotCode = (await ok(post('/api/runs/tiny-a/encode', { indices: [dsprites.FIXED_PIVOT.index] }))).mu[0];
    const rec = await ok(post('/api/runs/tiny-a/reconstruct', { indices }));
    expect(rec.images).toHaveLength(3);
    expect(rec.images[0]).toMatchObject({ width: 64, height: 64 });
    // MAGANet's z is the difference of the two codes.
    expect(maxDiff(rec.z[1], mu[1].map((v: number, i: number) => v - pivotCode[i]))).toBeLessThan(1e-5);
    const dec = await ok(post('/api/runs/tiny-a/decode', { z: rec.z }));
    for (let i = 0; i < 3; i++) expect(maxDiff(pixels(dec.images[i]), pixels(rec.images[i]))).toBeLessThan(1e-6);
    // The VAE ignores pivots and decodes μ.
    const vae = await ok(post('/api/runs/tiny-vae/reconstruct', { pivot: 3, indices: [5] }));
    expect(vae.z[0]).toHaveLength(10);
    expect(maxDiff(vae.z[0], (await ok(post('/api/runs/tiny-vae/encode', { indices: [5] }))).mu[0])).toBeLessThan(1e-6);
  });

  test('traverse sweeps each component around its value', async () => {
    const t = await ok(post('/api/runs/tiny-a/traverse', { index: 70_000, range: 2, steps: 5, components: [0, 3] }));
    expect(t.z).toHaveLength(10);
    expect(t.values).toHaveLength(2);
    expect(t.values[1][0]).toBeCloseTo(t.z[3] - 2, 5);
    expect(t.values[1][2]).toBeCloseTo(t.z[3], 5);
    expect(t.values[1][4]).toBeCloseTo(t.z[3] + 2, 5);
    expect(t.images.map((row: unknown[]) => row.length)).toEqual([5, 5]);
    // The middle of every sweep is the image's own reconstruction.
    const rec = await ok(post('/api/runs/tiny-a/reconstruct', { indices: [70_000] }));
    expect(maxDiff(pixels(t.images[0][2]), pixels(rec.images[0]))).toBeLessThan(1e-5);
    const all = await ok(post('/api/runs/tiny-a/traverse', { index: 70_000 }));
    expect([all.values.length, all.images[0].length]).toEqual([10, 9]);
  });

  test('recombine and group-laws (MAGANet)', async () => {
    const r = await ok(post('/api/runs/tiny-a/recombine', { source: { pivot: dsprites.FIXED_PIVOT.index, varying: 70_000 }, targets: [dsprites.FIXED_PIVOT.index, 9, 500_000] }));
    expect(r.z).toHaveLength(10);
    expect(r.images).toHaveLength(3);
    // Applied to its own pivot, the pair's transformation is the reconstruction of the pair.
    const rec = await ok(post('/api/runs/tiny-a/reconstruct', { indices: [70_000] }));
    expect(maxDiff(pixels(r.images[0]), pixels(rec.images[0]))).toBeLessThan(1e-5);

    const z1 = Array.from({ length: 10 }, (_, i) => Math.sin(i) * 0.5);
    const z2 = Array.from({ length: 10 }, (_, i) => Math.cos(i) * 0.5);
    const laws = await ok(post('/api/runs/tiny-a/group-laws', { z1, z2 }));
    expect(laws.identity.maxError).toBeLessThan(1e-4);
    expect(laws.composition.maxError).toBeLessThan(1e-3);
    expect(laws.inverse.maxError).toBeLessThan(1e-3);
    expect(maxDiff(pixels(laws.identity.input), dsprites.render(dsprites.FIXED_PIVOT.index))).toBe(0);
  });

  test('embedding: a 3-D UMAP with factors, computed once and cached in the run directory', async () => {
    const body = { count: 40, nNeighbors: 8, seed: 3 };
    const e = await ok(post('/api/runs/tiny-a/embedding', body));
    expect(e.points).toHaveLength(40);
    for (const p of e.points) {
      expect(p).toHaveLength(3);
      for (const v of p) expect(Number.isFinite(v)).toBe(true);
    }
    expect(e.indices).toHaveLength(40);
    expect(e.part.filter((p: string) => p === 'test')).toHaveLength(20);
    e.indices.forEach((index: number, i: number) => expect(isTest('to-range', index)).toBe(e.part[i] === 'test'));
    expect(e.factors[0]).toMatchObject(dsprites.factorsOf(e.indices[0]).values);
    const cached = fs.readdirSync(path.join(runs, 'tiny-a')).filter((f) => f.startsWith('embedding-'));
    expect(cached).toHaveLength(1);
    const again = await ok(post('/api/runs/tiny-a/embedding', body));
    expect(again.points).toEqual(e.points);
  }, 120_000);

  test('concurrent requests are queued and answer as if sent one by one', async () => {
    const bodies = [[1], [2, 3], [400_000], [600_000, 5]];
    const sequential: unknown[] = [];
    for (const indices of bodies) sequential.push(await ok(post('/api/runs/tiny-a/reconstruct', { indices })));
    const vaeAlone = await ok(post('/api/runs/tiny-vae/reconstruct', { indices: [7, 8] }));
    const together = await Promise.all([...bodies.map((indices) => ok(post('/api/runs/tiny-a/reconstruct', { indices }))), ok(post('/api/runs/tiny-vae/reconstruct', { indices: [7, 8] }))]);
    bodies.forEach((_, i) => expect(together[i]).toEqual(sequential[i]));
    expect(together[bodies.length]).toEqual(vaeAlone);
  });

  test('a model is reloaded when its checkpoint changes', async () => {
    const before = await ok(post('/api/runs/swapped/reconstruct', { indices: [5] }));
    expect(before).toEqual(await ok(post('/api/runs/tiny-a/reconstruct', { indices: [5] })));
    fs.copyFileSync(path.join(runs, 'tiny-seed1', 'model.safetensors'), path.join(runs, 'swapped', 'model.safetensors'));
    const after = await ok(post('/api/runs/swapped/reconstruct', { indices: [5] }));
    expect(after).toEqual(await ok(post('/api/runs/tiny-seed1/reconstruct', { indices: [5] })));
    expect(after.z).not.toEqual(before.z);
  });

  test('bad run ids: 400 for anything but a name, 404 for a name that is no run', async () => {
    for (const id of ['..%2F..%2Fsecret.json', '...', 'a%2Fb', '.hidden', '%2Fetc%2Fpasswd', 'a%20b', '%2e%2e%2Fsecret.json']) {
      expect((await failure(get(`/api/runs/${id}`))).status).toBe(400);
      expect((await failure(get(`/api/runs/${id}/checkpoint`))).status).toBe(400);
    }
    expect((await failure(post('/api/runs/..%2Fsecret.json/encode', { indices: [1] }))).status).toBe(400);
    expect(await failure(get('/api/runs/nope'))).toEqual({ status: 404, error: "no run 'nope' in the runs directory" });
    expect((await failure(get('/api/runs/not-a-run'))).status).toBe(404);
    expect((await failure(post('/api/runs/nope/reconstruct', { indices: [1] }))).status).toBe(404);
    expect((await failure(get('/api/runs/nope/elsewhere'))).status).toBe(404);
  });

  test('bad bodies and queries: 4xx with a JSON error naming the problem', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [postRaw('/api/runs/tiny-a/encode', '{"indices": [1, 2'), 400, /Malformed JSON/],
      [postRaw('/api/runs/tiny-a/encode', '{"indices": [1]}', 'text/plain'), 415, /Content-Type: application\/json/],
      [postRaw('/api/runs/tiny-a/encode', `{"indices": [${'1,'.repeat(600_000)}1]}`), 413, /larger than 1048576 bytes/],
      [post('/api/runs/tiny-a/encode', { indices: [737_280] }), 400, /indices\[0\] must be an integer in \[0, 737279\], got 737280/],
      [post('/api/runs/tiny-a/encode', { indices: [-1] }), 400, /indices\[0\] must be an integer/],
      [post('/api/runs/tiny-a/encode', { indices: [1.5] }), 400, /indices\[0\] must be an integer/],
      [post('/api/runs/tiny-a/encode', { indices: [] }), 400, /indices must hold 1 to 256 items, got 0/],
      [post('/api/runs/tiny-a/encode', { indices: Array(257).fill(1) }), 400, /indices must hold 1 to 256 items, got 257/],
      [post('/api/runs/tiny-a/encode', { indices: [1], extra: true }), 400, /extra is not accepted here/],
      [post('/api/runs/tiny-a/encode', [1, 2]), 400, /body must be a JSON object/],
      [post('/api/runs/tiny-a/reconstruct', { pivot: 10_000_000, indices: [1] }), 400, /pivot must be an integer in \[0, 737279\]/],
      [post('/api/runs/tiny-a/decode', { z: [[1, 2, 3]] }), 400, /z\[0\] must hold 10 items, got 3/],
      [postRaw('/api/runs/tiny-a/decode', `{"z": [[1e999, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}`), 400, /z\[0\]\[0\] must be a finite number .*got Infinity/],
      [post('/api/runs/tiny-a/decode', { z: [['NaN', 0, 0, 0, 0, 0, 0, 0, 0, 0]] }), 400, /z\[0\]\[0\] must be a finite number .*got "NaN"/],
      [post('/api/runs/tiny-a/traverse', { index: 5, components: [10] }), 400, /components\[0\] must be an integer in \[0, 9\]/],
      [post('/api/runs/tiny-a/traverse', { index: 5, components: [1, 1] }), 400, /components must not repeat/],
      [post('/api/runs/tiny-a/traverse', { index: 5, range: 0 }), 400, /range must be a finite number in \(0, 100\]/],
      [post('/api/runs/tiny-a/group-laws', { z1: [0], z2: [0] }), 400, /z1 must hold 10 items, got 1/],
      [post('/api/runs/tiny-vae/recombine', { source: { pivot: 1, varying: 2 }, targets: [3] }), 400, /needs a MAGANet run: this run is a vae/],
      [post('/api/runs/tiny-a/recombine', { source: { pivot: 1 }, targets: [3] }), 400, /source\.varying must be an integer/],
      [post('/api/runs/tiny-a/embedding', { count: 5 }), 400, /count must be an integer in \[10, 5000\]/],
      [post('/api/runs/tiny-a/embedding', { split: 'nowhere' }), 400, /split must be one of/],
      [get('/api/dataset/images/737280'), 400, /index must be an integer in \[0, 737279\], got 737280/],
      [get('/api/dataset/images/abc/png'), 400, /index must be an integer/],
      [get('/api/dataset/samples?count=1000'), 400, /count must be an integer in \[1, 256\]/],
      [get('/api/dataset/samples?part=validation'), 400, /part must be one of train, test/],
      [get('/api/dataset/samples?colour=red'), 400, /colour is not accepted here/],
      [get('/api/dataset/index?shape=3&scale=0&orientation=0&posX=0&posY=0'), 400, /shape must be an integer in \[0, 2\]/],
      [get('/api/dataset/index?shape=1'), 400, /scale must be an integer/],
      [get('/api/nothing-here'), 404, /no route GET \/api\/nothing-here/],
    ];
    for (const [request, status, message] of cases) {
      const answer = await failure(request);
      expect(`${answer.status} ${answer.error}`).toMatch(new RegExp(`^${status} .*${message.source}`));
    }
  });

  test('a corrupt checkpoint fails its own run only', async () => {
    const answer = await failure(post('/api/runs/broken/reconstruct', { indices: [1] }));
    expect(answer.status).toBe(500);
    expect(answer.error).toMatch(/run 'broken': cannot load its checkpoint: .*model\.safetensors is corrupt/);
    expect((await failure(get('/api/runs/broken/checkpoint'))).status).toBe(500);
    expect((await failure(post('/api/runs/broken/embedding', { count: 10 }))).status).toBe(500);
    const detail = await ok(get('/api/runs/broken'));
    expect(detail.summary.status).toBe('error');
    expect(detail.log).toHaveLength(4);
    // Everything else keeps working.
    expect((await ok(post('/api/runs/tiny-a/reconstruct', { indices: [1] }))).images).toHaveLength(1);
    expect((await ok(get('/api/health'))).ok).toBe(true);
  });

  test('NaN weights are refused for their run only, naming the tensor; other runs keep serving', async () => {
    const answer = await failure(post('/api/runs/poisoned/reconstruct', { indices: [1] }));
    expect(answer.status).toBe(500);
    expect(answer.error).toMatch(/run 'poisoned': cannot load its checkpoint: model\.safetensors is refused: its parameter encoder\.conv1\.weight holds NaN at index 5 .*--allow-non-finite/);
    expect(answer.error).not.toContain(tmp);
    expect((await failure(get('/api/runs/poisoned/checkpoint'))).error).toContain('encoder.conv1.weight holds NaN');
    expect((await ok(post('/api/runs/tiny-a/reconstruct', { indices: [1] }))).images).toHaveLength(1);
    expect((await ok(post('/api/runs/diverged/reconstruct', { indices: [1] }))).images).toHaveLength(1); // its checkpoint is the last good one
  });

  test('a server started with allowNonFinite loads NaN weights, to inspect them', async () => {
    const inspecting = await serveInProcess(runs, BACKEND, { allowNonFinite: true });
    try {
      const r = await apiClient(() => inspecting.url).post('/api/runs/poisoned/encode', { indices: [1] });
      expect(r.status).toBe(200);
    } finally {
      await inspecting.stop();
    }
  });

  test('without a viewer build, / explains how to build it', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('bun run build:viewer');
  });

  test('a viewer built after the server started is served without a restart', async () => {
    const dist = path.join(tmp, 'dist-later');
    const viewer = await serveInProcess(runs, BACKEND, { viewerDir: dist });
    try {
      expect(await (await fetch(`${viewer.url}/`)).text()).toContain('bun run build:viewer');
      fs.mkdirSync(dist, { recursive: true });
      fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>built later</title>');
      expect(await (await fetch(`${viewer.url}/`)).text()).toContain('<title>built later</title>');
    } finally {
      await viewer.stop();
    }
  });

  test('with a viewer build: its files, the SPA fallback, and nothing outside it', async () => {
    const dist = path.join(tmp, 'dist');
    fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>viewer</title>');
    fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log("app")');
    const viewer = await serveInProcess(runs, BACKEND, { viewerDir: dist });
    try {
      const at = (p: string) => fetch(`${viewer.url}${p}`);
      expect(await (await at('/')).text()).toContain('<title>viewer</title>');
      const js = await at('/assets/app.js');
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(await js.text()).toBe('console.log("app")');
      expect(await (await at('/runs/tiny-a/traversal')).text()).toContain('<title>viewer</title>');
      expect((await at('/assets/missing.js')).status).toBe(404);
      for (const escape of ['/..%2Fsecret.json', '/assets/..%2F..%2Fsecret.json', '/%2e%2e/%2e%2e/secret.json']) {
        expect(await (await at(escape)).text()).not.toContain('secret');
      }
      expect((await ok(at('/api/runs'))).runs.length).toBe(7);
    } finally {
      await viewer.stop();
    }
  });
});
