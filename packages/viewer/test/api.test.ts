// The viewer's API client and its server decoder against the real server (`createApp` of
// @maga/cli, test/real-api.ts) over tiny runs of every kind: what the viewer sends is accepted,
// what it reads is there, and what the decoder computes through the API is what the routes give.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dsprites } from '@maga/model';
import { ApiError, createApi, isAbort, scopedApi, type RunSummary } from '../src/api.ts';
import { serverDecoder } from '../src/decoding/server.ts';
import { decodeImage, maxAbsDiff } from '../src/lib/images.ts';
import { startRealApi, type RealApi } from './real-api.ts';

const PIVOT = dsprites.FIXED_PIVOT.index;

describe('the viewer’s client against the real server', () => {
  let real: RealApi;
  const summary = async (id: string): Promise<RunSummary> => (await real.api.run(id)).summary;
  const decoderOf = async (id: string) => {
    const s = await summary(id);
    return serverDecoder(real.api, id, { model: s.model!, traits: s.traits!, latentDim: s.codeDim! });
  };

  beforeAll(async () => {
    real = await startRealApi({
      m: {},
      v: { model: 'vae' },
      rot: { model: 'latent-action', dataset: 'rotated-mnist', group: 'so2' },
      c4: { model: 'flow-action', dataset: 'contrast', group: 'c4' },
      obj: { model: 'latent-action', dataset: 'objects3d', group: 'so3' },
    });
  }, 300_000);
  afterAll(() => real?.dispose());

  test('runs, their details and images: the fields the viewer reads', async () => {
    const runs = await real.api.runs();
    expect(runs.map((r) => r.id).sort()).toEqual(['c4', 'm', 'obj', 'rot', 'v']);
    const byId = Object.fromEntries(runs.map((r) => [r.id, r]));
    expect(Object.fromEntries(runs.map((r) => [r.id, r.codeDim]))).toEqual({ m: 10, v: 10, rot: 1, c4: 1, obj: 4 });
    expect([byId.m.traits?.lawsHold, byId.v.traits?.lawsHold, byId.rot.traits?.lawsHold, byId.c4.traits?.lawsHold]).toEqual(['flow', null, 'latent', 'flow']);
    expect([byId.m.group, byId.rot.group, byId.c4.group, byId.obj.group]).toEqual([
      null,
      { kind: 'so2', label: 'so2', name: 'SO(2)' },
      { kind: 'cyclic', n: 4, label: 'c4', name: 'C_4' },
      { kind: 'so3', label: 'so3', name: 'SO(3)' },
    ]);
    expect([byId.m.split, byId.rot.split]).toEqual(['to-range', null]);
    const detail = await real.api.run('rot');
    expect(detail.summary.id).toBe('rot');
    expect(detail.config?.model.model).toBe('latent-action');
    expect(detail.log.length).toBeGreaterThan(0);
    expect(detail.metrics?.test).toHaveProperty('buckets');

    const grid = await real.api.dataset();
    expect(grid.fixedPivot).toBe(PIVOT);
    expect(await real.api.indexOf(dsprites.factorsOf(PIVOT).classes)).toBe(PIVOT);
    const samples = await real.api.samples({ split: 'to-range', part: 'test', count: 3 });
    expect(samples).toHaveLength(3);
    expect(decodeImage(samples[0].image).pixels).toHaveLength(64 * 64);
    expect(samples[0].factors.classes.shape).toBe(dsprites.factorsOf(samples[0].index).classes.shape);

    const own = await real.api.runDataset('m');
    expect(own.kind === 'dsprites' && own.split).toBe('to-range');
    const pairs = await real.api.runDataset('rot');
    expect(pairs.kind === 'pairs' && pairs.factors.map((f) => f.name)).toEqual(['digit', 'angle', 'index']);
    const objects = await real.api.runDataset('obj');
    expect(objects.kind === 'pairs' && objects.camera?.length).toBe(4);
    const [colour] = await real.api.runSamples('obj', { part: 'test', count: 1 });
    const image = decodeImage(colour.image);
    expect([image.channels, image.pixels.length]).toEqual([3, 3 * 64 * 64]);
    // Image 361 is digit 1 turned by 1° (index = source·360 + degrees).
    const one = (await real.api.runImage('rot', 361)).factors as { index: number; angle: number };
    expect(one.index).toBe(1);
    expect(one.angle).toBeCloseTo((2 * Math.PI) / 360, 6);
    expect(real.api.runImagePngUrl('rot', 3)).toBe('http://viewer.test/api/runs/rot/dataset/images/3/png');
    expect((await real.fetch('/api/runs/rot/dataset/images/3/png')).headers.get('content-type')).toBe('image/png');
  });

  test('errors carry the server’s message and status', async () => {
    const missing = await real.api.run('no-such-run').catch((e) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect([missing.status, missing.message]).toEqual([404, "GET /api/runs/no-such-run: no run 'no-such-run' in the runs directory"]);
    const short = await real.api.decode('m', { z: [[1, 2]] }).catch((e) => e);
    expect(short.status).toBe(400);
    expect(short.message).toMatch(/^POST \/api\/runs\/m\/decode: z\[0\] must hold 10 items, got 2/);
    const outside = await real.api.act('c4', { g: [7] }).catch((e) => e);
    expect(outside.status).toBe(400);
    expect(outside.message).toContain('an integer in [0, 3] (an element of C_4), got 7');
    const down = createApi('', async () => {
      throw new TypeError('Failed to fetch');
    });
    const unreachable = await down.runs().catch((e) => e);
    expect([unreachable.status, unreachable.message]).toEqual([0, 'GET /api/runs: the server cannot be reached (Failed to fetch)']);
  });

  test('a request whose view went is aborted, and says so as an abort, not as an error to show', async () => {
    const controller = new AbortController();
    const pending = scopedApi(real.api, controller.signal).runs();
    controller.abort();
    const error = await pending.catch((e) => e);
    expect(isAbort(error)).toBe(true);
    // The parent client is untouched.
    expect((await real.api.runs()).length).toBe(5);
  });

  test('checkpoint bytes are the run’s model.safetensors', async () => {
    expect(Buffer.from(await real.api.checkpoint('m')).equals(fs.readFileSync(path.join(real.runs, 'm', 'model.safetensors')))).toBe(true);
  });

  test('MAGANet through the server decoder: its code, decodes, grid, transfer and laws are the routes’ answers', async () => {
    const d = await decoderOf('m');
    expect([d.run, d.kind, d.latentDim]).toEqual(['m', 'server', 10]);
    const varying = 123_530;
    const code = await d.code(PIVOT, varying);
    const direct = await real.api.reconstruct('m', { pivot: PIVOT, indices: [varying] });
    expect(code.z).toEqual(direct.z[0]);
    // D(z, pivot) of the same z is the reconstruction.
    const [again] = await d.decode([code.z], PIVOT);
    expect(maxAbsDiff(again, code.image)).toBeLessThan(1e-6);
    const grid = await d.traverse(PIVOT, varying, 2, 3);
    expect([grid.images.length, grid.images[0].length]).toEqual([10, 3]);
    [code.z[4] - 2, code.z[4], code.z[4] + 2].forEach((v, j) => expect(grid.values[4][j]).toBeCloseTo(v, 5));
    expect(maxAbsDiff(grid.images[4][1], code.image)).toBeLessThan(1e-5);
    const moved = await d.transfer({ pivot: PIVOT, varying }, [7, 9]);
    const recombined = await real.api.recombine('m', { source: { pivot: PIVOT, varying }, targets: [7, 9] });
    expect(moved.z).toEqual(recombined.z);
    expect(maxAbsDiff(moved.images[1], decodeImage(recombined.images[1]))).toBe(0);
    const laws = await d.groupLaws!(PIVOT, code.z, code.z.map((v) => -v / 2));
    for (const e of [laws.identityError, laws.compositionError, laws.inverseError]) {
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeLessThan(1e-3);
    }
    expect(laws.input.pixels).toEqual(decodeImage((await real.api.image(PIVOT)).image).pixels);
  }, 60_000);

  test('a β-VAE through the server decoder: transfer is latent arithmetic through /encode and /decode; no laws', async () => {
    const d = await decoderOf('v');
    expect(d.groupLaws).toBeUndefined();
    const r = await d.transfer({ pivot: 5, varying: 6 }, [7]);
    const { mu } = await real.api.encode('v', [5, 6, 7]);
    const z = mu[1].map((v, k) => v - mu[0][k]);
    expect(r.z).toEqual(z);
    const [expected] = await real.api.decode('v', { pivot: 5, z: [mu[2].map((v, k) => v + z[k])] });
    expect(maxAbsDiff(r.images[0], decodeImage(expected))).toBe(0);
  }, 60_000);

  test('known groups through the server decoder: one number per g (SO(2), C_4), a unit quaternion for SO(3)', async () => {
    const rot = await decoderOf('rot');
    const info = await real.api.runDataset('rot');
    const x = info.fixedPivot;
    const images = await rot.decode([[0.5], [1]], x);
    const direct = await real.api.act('rot', { pivot: x, g: [0.5, 1] });
    expect(images.map((i) => i.pixels.length)).toEqual([32 * 32, 32 * 32]);
    expect(maxAbsDiff(images[1], decodeImage(direct[1]))).toBe(0);
    const swap = await rot.swap!([
      [x, x + 1],
      [x + 1, x],
    ]);
    expect(swap.aWithB).toHaveLength(2);

    const c4 = await decoderOf('c4');
    const c4x = (await real.api.runDataset('c4')).fixedPivot;
    const laws = await c4.groupLaws!(c4x, [1], [3]);
    // flow-action's laws are chained in ℓ-space: they hold to float32 rounding of the flow.
    expect(Math.max(laws.identityError, laws.compositionError, laws.inverseError)).toBeLessThan(1e-3);

    const obj = await decoderOf('obj');
    const objx = (await real.api.runDataset('obj')).fixedPivot;
    const quarter = [Math.SQRT1_2, 0, Math.SQRT1_2, 0];
    const [turned] = await obj.decode([quarter], objx);
    expect([turned.channels, turned.pixels.length]).toEqual([3, 3 * 64 * 64]);
    const [same] = await real.api.act('obj', { pivot: objx, g: [quarter] });
    expect(maxAbsDiff(turned, decodeImage(same))).toBe(0);
    const objLaws = await obj.groupLaws!(objx, quarter, [1, 0, 0, 0]);
    expect(Number.isFinite(objLaws.compositionError)).toBe(true);
  }, 60_000);
});
