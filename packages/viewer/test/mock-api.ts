// A stand-in for `bun run cli serve` that implements docs/api.md over in-memory runs, computing
// with the real model code (randomly initialised weights). For developing the viewer without the
// CLI and for its own tests: `bun packages/viewer/test/mock-api.ts [port]` serves the API and the
// built viewer (packages/viewer/dist).
import * as T from '@maga/tensor';
import {
  Maganet,
  SPLITS,
  type Vae,
  createModel,
  defaultConfig,
  dsprites,
  encodeModule,
  modelTraits,
  parseSplit,
  splitIndices,
  type Model,
  type MaganetConfig,
  type VaeConfig,
  type SplitPart,
} from '@maga/model';
import { join, normalize } from 'node:path';
import { encodeImage } from '../src/lib/images.ts';

const SIZE = 64;

interface MockRun {
  id: string;
  config: (MaganetConfig | VaeConfig) & Record<string, unknown>;
  model: Model;
  checkpoint: Uint8Array<ArrayBuffer>;
  status: 'training' | 'done' | 'error';
  log: Record<string, number>[];
  steps: number;
  metrics: Record<string, unknown> | null;
  split: string;
  error?: string;
}

function factorsJson(index: number) {
  const f = dsprites.factorsOf(index);
  return { ...f.values, classes: f.classes };
}

const imageJson = (pixels: Float32Array) => encodeImage({ width: SIZE, height: SIZE, pixels });

function batch(indices: readonly number[]): T.Tensor {
  return T.tensor(dsprites.renderBatch(indices), [indices.length, 1, SIZE, SIZE]);
}

async function readImages(t: T.Tensor) {
  const data = await t.data();
  t.dispose();
  return Array.from({ length: t.shape[0] }, (_, i) => imageJson(data.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE)));
}

async function readRows(t: T.Tensor): Promise<number[][]> {
  const data = await t.data();
  const [n, d] = t.shape;
  t.dispose();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

function syntheticLog(steps: number, upTo: number, model: string): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (let step = 0; step <= upTo; step += Math.max(1, Math.floor(steps / 200))) {
    const t = step / steps;
    const noise = Math.sin(step * 12.9898) * 0.05;
    const bce = 900 * Math.exp(-4 * t) + 40 + 10 * noise;
    const kl = 5 + 20 * (1 - Math.exp(-6 * t)) + noise;
    const line: Record<string, number> = { step, time: step * 0.05, bce, kl, imagesPerSecond: 180 + 20 * noise, lr: 5e-4 };
    if (model === 'maganet') {
      line.latent = 0.5 * Math.exp(-3 * t) + 0.01;
      line.loss = bce + 2 * kl + 300 * line.latent;
    } else line.loss = bce + 4 * kl;
    out.push(line);
  }
  return out;
}

async function makeRun(id: string, kind: 'maganet' | 'vae', split: string, status: MockRun['status']): Promise<MockRun> {
  const base = defaultConfig(kind);
  const config = (kind === 'maganet'
    ? { ...base, encoder: { width: 16, hidden: 64 }, glow: { levels: 3, steps: 1, coupling: 'additive', hidden: 'half' } }
    : { ...base, widths: [8, 16, 16, 32] }) as (MaganetConfig | VaeConfig) & Record<string, unknown>;
  const model = await createModel(config, 1);
  if (model instanceof Maganet) model.initialize(batch(Array.from({ length: 16 }, (_, i) => (i * 46_103) % dsprites.DSPRITES.count)));
  const checkpoint = new Uint8Array(await encodeModule(model));
  const steps = 2000;
  const upTo = status === 'training' ? 600 : steps;
  return {
    id,
    config: { ...config, data: { dataset: 'dsprites', split }, train: { steps, batch: 64, lr: 5e-4 }, seed: 1, version: 'mock' },
    model,
    checkpoint,
    status,
    log: syntheticLog(steps, upTo, kind),
    steps,
    split,
    metrics: status === 'done' ? { test: { images: 500, bce: 61.2, mse: 0.0041, psnr: 23.9, ssim: 0.912 }, train: { images: 500, bce: 48.1, mse: 0.0032, psnr: 24.9, ssim: 0.931 } } : null,
  };
}

export interface MockApi {
  url: string;
  port: number;
  stop(): void;
}

export async function startMockApi(options: { port?: number; dist?: string } = {}): Promise<MockApi> {
  await T.init({ backend: 'auto', quiet: true });
  const runs = new Map<string, MockRun>();
  for (const run of [
    await makeRun('mock-maganet', 'maganet', 'to-range', 'done'),
    await makeRun('mock-vae', 'vae', 'to-range', 'done'),
    await makeRun('mock-training', 'maganet', 'to-element', 'training'),
  ])
    runs.set(run.id, run);
  const started = Date.now();
  const splitCache = new Map<string, Int32Array>();
  const partIndices = (split: string, part: SplitPart) => {
    const key = `${split}/${part}`;
    if (!splitCache.has(key)) splitCache.set(key, splitIndices(parseSplit(split), part));
    return splitCache.get(key)!;
  };
  const embeddings = new Map<string, unknown>();
  // One computation at a time, as the real server queues them.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <R>(f: () => Promise<R>): Promise<R> => {
    const next = queue.then(f, f);
    queue = next.catch(() => {});
    return next;
  };

  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const error = (status: number, message: string) => json({ error: message }, status);

  const summary = (run: MockRun) => {
    const last = run.log[run.log.length - 1];
    return {
      id: run.id,
      model: run.config.model,
      traits: modelTraits(run.config.model),
      dataset: 'dsprites',
      split: run.split,
      step: last?.step ?? 0,
      steps: run.steps,
      status: run.status,
      metrics: run.metrics,
      updatedAt: new Date(started).toISOString(),
    };
  };

  const training = runs.get('mock-training')!;
  const ticker = setInterval(() => {
    const last = training.log[training.log.length - 1].step;
    if (last < training.steps) training.log.push(...syntheticLog(training.steps, last + 10, 'maganet').filter((l) => l.step > last));
  }, 1000);

  async function api(req: Request, path: string[]): Promise<Response> {
    const url = new URL(req.url);
    const [head, id, action] = path;
    if (head === 'health') return json({ ok: true, backend: T.backend().kind, device: T.backend().description, version: 'mock' });
    if (head === 'dataset') {
      if (!id)
        return json({ count: dsprites.DSPRITES.count, factors: dsprites.DSPRITES.values, splits: SPLITS, fixedPivot: dsprites.FIXED_PIVOT.index });
      if (id === 'samples') {
        const split = url.searchParams.get('split') ?? 'to-range';
        const part = (url.searchParams.get('part') ?? 'test') as SplitPart;
        const count = Number(url.searchParams.get('count') ?? 16);
        const seed = Number(url.searchParams.get('seed') ?? 0);
        if (!(split in SPLITS)) return error(400, `split: unknown split '${split}'`);
        if (!(count >= 1 && count <= 256)) return error(400, `count: must be in 1..256, got ${count}`);
        const pool = partIndices(split, part);
        const picked = Array.from({ length: count }, (_, i) => pool[(Math.imul(i + 1 + seed * 7919, 2_654_435_761) >>> 0) % pool.length]);
        return json({ samples: picked.map((index) => ({ index, factors: factorsJson(index), image: imageJson(dsprites.render(index)) })) });
      }
      if (id === 'index') {
        const classes = Object.fromEntries(['shape', 'scale', 'orientation', 'posX', 'posY'].map((k) => [k, Number(url.searchParams.get(k))]));
        try {
          return json({ index: dsprites.indexOf(classes as never) });
        } catch (e) {
          return error(400, (e as Error).message);
        }
      }
      if (id === 'images') {
        const index = Number(action);
        if (!Number.isInteger(index) || index < 0 || index >= dsprites.DSPRITES.count) return error(400, `index: ${action} is not a dataset index`);
        if (path[3] === 'png') return new Response(png(dsprites.render(index)), { headers: { 'content-type': 'image/png' } });
        return json({ index, factors: factorsJson(index), image: imageJson(dsprites.render(index)) });
      }
      return error(404, `no such dataset resource '${id}'`);
    }
    if (head !== 'runs') return error(404, `no such API path '/api/${path.join('/')}'`);
    if (!id) return json({ runs: [...runs.values()].map(summary) });
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) return error(400, `run id '${id}' is not valid`);
    const run = runs.get(id);
    if (!run) return error(404, `no run '${id}'`);
    if (!action) return json({ summary: summary(run), config: run.config, metrics: run.metrics, log: run.log });
    if (action === 'checkpoint') return new Response(run.checkpoint, { headers: { 'content-type': 'application/octet-stream' } });
    if (req.method !== 'POST') return error(405, `${action} needs POST`);
    const body = (await req.json()) as Record<string, unknown>;
    const model = run.model;
    const maganet = model instanceof Maganet ? model : null;
    const pivot = typeof body.pivot === 'number' ? body.pivot : dsprites.FIXED_PIVOT.index;
    const d = run.config.latentDim;
    const decodeZ = (z: T.Tensor, pivots: T.Tensor) => (maganet ? maganet.decode(z, pivots) : (model as Vae).decode(z));
    const codeOf = (p: T.Tensor, v: T.Tensor) => (maganet ? maganet.transformation(p, v).mu : model.encode(v).mu);
    return serial(async () => {
      const tidy = <R extends T.Tensor>(f: () => R) => T.noGrad(() => T.tidy(f));
      switch (action) {
        case 'encode': {
          const indices = body.indices as number[];
          const mu = await readRows(tidy(() => model.encode(batch(indices)).mu));
          const logVar = await readRows(tidy(() => model.encode(batch(indices)).logVar!));
          return json({ mu, logVar });
        }
        case 'reconstruct': {
          const indices = body.indices as number[];
          const z = await readRows(tidy(() => codeOf(batch([pivot]), batch(indices))));
          const images = await readImages(tidy(() => decodeZ(T.tensor(z.flat(), [z.length, d]), batch([pivot]))));
          return json({ images, z });
        }
        case 'decode': {
          const z = body.z as number[][];
          if (!Array.isArray(z) || z.some((row) => !Array.isArray(row) || row.length !== d)) return error(400, `z: each code must have ${d} values`);
          return json({ images: await readImages(tidy(() => decodeZ(T.tensor(z.flat(), [z.length, d]), batch([pivot])))) });
        }
        case 'traverse': {
          const range = Number(body.range ?? 2);
          const steps = Number(body.steps ?? 9);
          const [z] = await readRows(tidy(() => codeOf(batch([pivot]), batch([body.index as number]))));
          const values = z.map((v) => Array.from({ length: steps }, (_, j) => v - range + (2 * range * j) / (steps - 1)));
          const codes = values.flatMap((row, i) => row.map((v) => z.map((w, k) => (k === i ? v : w))));
          const flat = await readImages(tidy(() => decodeZ(T.tensor(codes.flat(), [codes.length, d]), batch([pivot]))));
          return json({ z, values, images: values.map((_, i) => flat.slice(i * steps, (i + 1) * steps)) });
        }
        case 'recombine': {
          if (!maganet) return error(400, 'recombine: only MAGANet runs recombine');
          const source = body.source as { pivot: number; varying: number };
          const targets = body.targets as number[];
          const [z] = await readRows(tidy(() => codeOf(batch([source.pivot]), batch([source.varying]))));
          const images = await readImages(tidy(() => maganet.decode(T.tensor(targets.flatMap(() => z), [targets.length, d]), batch(targets))));
          return json({ z, images });
        }
        case 'group-laws': {
          if (!maganet) return error(400, 'group-laws: only MAGANet runs have a group action');
          const [z1, z2] = [body.z1 as number[], body.z2 as number[]];
          const all = await readImages(
            tidy(() => {
              const x = batch([pivot]);
              const g1 = T.tensor(z1, [1, d]);
              const g2 = T.tensor(z2, [1, d]);
              const once = maganet.decode(g1, x);
              return T.concat([x, maganet.decode(T.zeros([1, d]), x), maganet.decode(g2, once), maganet.decode(g1.add(g2), x), maganet.decode(g1.neg(), once)], 0);
            }),
          );
          const px = all.map((im) => {
            const b = Buffer.from(im.data, 'base64');
            return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
          });
          const maxErr = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
          return json({
            identity: { input: all[0], output: all[1], maxError: maxErr(px[1], px[0]) },
            composition: { sequential: all[2], combined: all[3], maxError: maxErr(px[2], px[3]) },
            inverse: { roundTrip: all[4], maxError: maxErr(px[4], px[0]) },
          });
        }
        case 'embedding': {
          const count = Math.min(5000, Number(body.count ?? 2000));
          const key = `${id}/${count}`;
          if (!embeddings.has(key)) {
            const test = partIndices(run.split, 'test');
            const train = partIndices(run.split, 'train');
            const half = Math.floor(count / 2);
            const indices = [...Array.from({ length: half }, (_, i) => test[(i * 7919) % test.length]), ...Array.from({ length: count - half }, (_, i) => train[(i * 104_729) % train.length])];
            const codes: number[][] = [];
            for (let s = 0; s < indices.length; s += 256) {
              const chunk = indices.slice(s, s + 256);
              codes.push(...(await readRows(tidy(() => codeOf(batch([dsprites.FIXED_PIVOT.index]), batch(chunk))))));
            }
            // A fixed random projection stands in for UMAP here.
            const proj = Array.from({ length: 3 }, (_, k) => Array.from({ length: d }, (_, j) => Math.sin((k + 1) * 12.9898 + (j + 1) * 78.233)));
            const points = codes.map((c) => proj.map((row) => row.reduce((s, w, j) => s + w * c[j], 0)));
            embeddings.set(key, { points, indices, part: indices.map((_, i) => (i < half ? 'test' : 'train')), factors: indices.map(factorsJson) });
          }
          return json(embeddings.get(key));
        }
        default:
          return error(404, `no such run action '${action}'`);
      }
    }).catch((e: unknown) => error(500, e instanceof Error ? e.message : String(e)));
  }

  const dist = options.dist ?? join(import.meta.dir, '..', 'dist');
  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    idleTimeout: 120,
    async fetch(req) {
      const url = new URL(req.url);
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (parts[0] === 'api') return api(req, parts.slice(1));
      const file = normalize(join(dist, url.pathname === '/' ? 'index.html' : url.pathname));
      if (!file.startsWith(dist)) return error(400, 'bad path');
      const f = Bun.file(file);
      return (await f.exists()) ? new Response(f) : new Response(Bun.file(join(dist, 'index.html')));
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port!,
    stop() {
      clearInterval(ticker);
      server.stop(true);
    },
  };
}

/** A grey-scale PNG of a 64×64 image (stored, uncompressed deflate blocks; enough for a mock). */
function png(pixels: Float32Array): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(SIZE * (SIZE + 1));
  for (let y = 0; y < SIZE; y++) {
    raw[y * (SIZE + 1)] = 0;
    for (let x = 0; x < SIZE; x++) raw[y * (SIZE + 1) + 1 + x] = Math.round(Math.min(1, Math.max(0, pixels[y * SIZE + x])) * 255);
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, SIZE);
  hv.setUint32(4, SIZE);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const idat = Bun.deflateSync(raw);
  const zlib = new Uint8Array(2 + idat.length + 4);
  zlib.set([0x78, 0x01], 0);
  zlib.set(idat, 2);
  let a = 1;
  let b = 0;
  for (const byte of raw) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  new DataView(zlib.buffer).setUint32(2 + idat.length, ((b << 16) | a) >>> 0);
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

if (import.meta.main) {
  const api = await startMockApi({ port: Number(process.argv[2] ?? 8787) });
  console.log(`mock API at ${api.url}`);
}
