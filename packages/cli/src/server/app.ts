// The HTTP app of `cli serve`: every route in one list (docs/api.md describes each), inputs
// validated at the edge, handlers that call library functions. Errors are JSON { error } with a
// 4xx status for bad input and 5xx for a run that cannot be used (a corrupt checkpoint).
import * as fs from 'node:fs';
import { decodeSafetensors, describeNonFinite, dsprites, findNonFinite, modelSpec, ValidationError, type Check, type NonFinite, type SplitName } from '@maga/model';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { validator } from 'hono/validator';
import { inspectSafetensors } from '../run/checkpoint.ts';
import { encodePng, imageJson } from '../figures/images.ts';
import { filePath, readRunConfig, type RunConfig } from '../run/rundir.ts';
import { datasetInfo, dspritesImages, factorsJson, modelGroup, runImages, sampleIndices, type RunImages } from './dataset.ts';
import type { DatasetImage, Health, RunImage } from './contract.ts';
import type { EmbeddingOptions } from './embedding.ts';
import * as handlers from './handlers.ts';
import type { ServerContext } from './handlers.ts';
import { assertNoLinks, listRuns, resolveRun, runDetail, type RunRef } from './runs.ts';
import * as schemas from './schemas.ts';
import { HttpError, parse } from './validate.ts';
import { viewerResponse } from './viewer.ts';
import { apiImage, imagePng } from './wire.ts';

export type { ServerContext } from './handlers.ts';

/** Request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Env = { Variables: { run: RunRef; config: RunConfig; images: RunImages } };

export function createApp(ctx: ServerContext): Hono<Env> {
  const app = new Hono<Env>();

  // ---- edge: body size, content type, run ids, validated bodies and queries --------------------
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB)` }, 413) });
  const json = createMiddleware<Env>(async (c, next) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, `send the body as JSON with Content-Type: application/json (got ${JSON.stringify(type || 'none')})`);
    await next();
  });
  const run = createMiddleware<Env>(async (c, next) => {
    const ref = resolveRun(ctx.root, c.req.param('id') ?? '');
    assertNoLinks(ref);
    c.set('run', ref);
    await next();
  });
  const config = createMiddleware<Env>(async (c, next) => {
    const { id, dir } = c.var.run;
    try {
      c.set('config', readRunConfig(dir));
    } catch (e) {
      throw new HttpError(500, `run '${id}': ${(e as Error).message.split(`${dir}/`).join('')}`);
    }
    await next();
  });
  // The run's images (dSprites, or its pair data set), for routes that address them by index.
  const images = createMiddleware<Env>(async (c, next) => {
    try {
      c.set('images', await runImages(c.var.config.data));
    } catch (e) {
      throw new HttpError(500, `run '${c.var.run.id}': cannot open its data set: ${(e as Error).message}`);
    }
    await next();
  });
  const body = <T>(check: (c: Context<Env>) => Check<T>) => validator('json', (value, c) => parse(check(c as Context<Env>), value, 'body'));
  const query = <T>(check: Check<T>) => validator('query', (value) => parse(check, value, 'query'));
  const imageIndex = validator('param', (value) => ({ index: parse(schemas.imageIndexParam, value.index, 'index') }));
  // The length of a code z or group element g, as the run's model takes it.
  const latentDim = (c: Context<Env>) => modelSpec(c.var.config.model.model).codeDim(c.var.config.model);
  const count = (c: Context<Env>) => c.var.images.count;
  // A run's model takes a learned code z, or a known group element g of its group: each route
  // that takes one refuses the other, saying which the run takes.
  const known = (c: Context<Env>) => modelGroup(c.var.config.model);
  const takesZ = (c: Context<Env>) => `a ${c.var.config.model.model} run's decoder takes a learned code z, not a known group element g: send z (rows of ${latentDim(c)} numbers)`;
  const takesG = (c: Context<Env>, group: schemas.ElementGroup) => `a ${c.var.config.model.model} run takes a known group element g, ${schemas.elementText(group)}: send g`;
  type DecodeBody = { pivot?: number; z: number[][] } | { pivot?: number; g: schemas.Element[] };
  type GroupLawsBody = { pivot?: number; z1: number[]; z2: number[] } | { pivot?: number; g1: schemas.Element; g2: schemas.Element };
  const decodeBody = (c: Context<Env>): Check<DecodeBody> => {
    const group = known(c);
    return group
      ? schemas.refusing('z', takesG(c, group), schemas.elementsDecodeBody(group, count(c)))
      : schemas.refusing('g', takesZ(c), schemas.runDecodeBody(latentDim(c), count(c)));
  };
  const groupLawsBody = (c: Context<Env>): Check<GroupLawsBody> => {
    const group = known(c);
    return group
      ? schemas.refusing('z1', takesG(c, group), schemas.elementsGroupLawsBody(group, count(c)))
      : schemas.refusing('g1', takesZ(c), schemas.runGroupLawsBody(latentDim(c), count(c)));
  };
  const runImage = validator('param', (value, c) => ({ index: parse(schemas.runImageParam(count(c as Context<Env>)), value.index, 'index') }));
  const sample = (data: RunImages, index: number): RunImage => ({ index, factors: data.factorsOf(index), image: apiImage(data.source.render([index]), data.size, data.channels) });

  app.onError((err, c) => {
    if (err instanceof ValidationError) return c.json({ error: err.message }, 400);
    if (err instanceof HttpError) return c.json({ error: err.message }, err.status);
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status as ContentfulStatusCode);
    console.error(err);
    return c.json({ error: `internal error: ${err instanceof Error ? err.message : String(err)}` }, 500);
  });
  app.use('/api/*', limit);
  app.post('/api/*', json);

  // ---- service and runs -----------------------------------------------------------------------
  app.get('/api/health', (c) => c.json({ ok: true, backend: ctx.backend.kind, device: ctx.backend.description, version: ctx.version, queue: ctx.queue.length } satisfies Health));
  app.get('/api/runs', (c) => c.json({ runs: listRuns(ctx.root) }));
  app.get('/api/runs/:id', run, (c) => c.json(runDetail(c.var.run)));
  app.get('/api/runs/:id/checkpoint', run, (c) => checkpoint(ctx, c.var.run));

  // ---- dataset --------------------------------------------------------------------------------
  app.get('/api/dataset', (c) => c.json(datasetInfo()));
  app.get('/api/dataset/samples', query(schemas.samplesQuery), (c) => {
    const { split, part, count, seed } = c.req.valid('query');
    return c.json({ samples: Array.from(sampleIndices(split, part, count, seed), datasetImage) });
  });
  app.get('/api/dataset/index', query(schemas.indexQuery), (c) => c.json({ index: dsprites.indexOf(c.req.valid('query')) }));
  app.get('/api/dataset/images/:index', imageIndex, (c) => c.json(datasetImage(c.req.valid('param').index)));
  app.get('/api/dataset/images/:index/png', imageIndex, (c) => {
    const png = encodePng({ width: 64, height: 64, pixels: dsprites.render(c.req.valid('param').index) });
    return c.body(png.slice().buffer, 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' });
  });

  // ---- model computations (queued, one at a time on the device) --------------------------------
  const on = [run, config, images] as const;
  app.post('/api/runs/:id/encode', ...on, body((c) => schemas.runEncodeBody(count(c))), async (c) => c.json(await handlers.encode(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/reconstruct', ...on, body((c) => schemas.runReconstructBody(count(c))), async (c) => c.json(await handlers.reconstruct(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/decode', ...on, body(decodeBody), async (c) => c.json(await handlers.decode(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/traverse', ...on, body((c) => schemas.runTraverseBody(latentDim(c), count(c))), async (c) => c.json(await handlers.traverse(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/recombine', ...on, body((c) => schemas.runRecombineBody(count(c))), async (c) => c.json(await handlers.recombine(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/group-laws', ...on, body(groupLawsBody), async (c) => c.json(await handlers.groupLaws(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/swap', ...on, body((c) => schemas.swapBody(count(c))), async (c) => c.json(await handlers.swap(ctx, c.var.run, c.var.images, c.req.valid('json'))));
  app.post('/api/runs/:id/embedding', ...on, body((c) => (c.var.images.kind === 'pairs' ? schemas.pairEmbeddingBody : schemas.embeddingBody(c.var.images.embeddingTag as SplitName))), async (c) => {
    const options: EmbeddingOptions = c.req.valid('json');
    // A dSprites run's map may sample another split than the one it trained on.
    const data = options.split ? dspritesImages(options.split) : c.var.images;
    return c.json(await handlers.embedding(ctx, c.var.run, data, options));
  });

  // ---- a run's own images: dSprites, or its pair data set's test and train sources -------------
  app.get('/api/runs/:id/dataset', ...on, (c) => c.json(c.var.images.info()));
  app.get('/api/runs/:id/dataset/samples', ...on, query(schemas.runSamplesQuery), (c) => {
    const { part, count, seed } = c.req.valid('query');
    return c.json({ samples: c.var.images.samples(part, count, seed).map((i) => sample(c.var.images, i)) });
  });
  app.get('/api/runs/:id/dataset/images/:index', ...on, runImage, (c) => c.json(sample(c.var.images, c.req.valid('param').index)));
  app.get('/api/runs/:id/dataset/images/:index/png', ...on, runImage, (c) => {
    const data = c.var.images;
    const png = imagePng(data.source.render([c.req.valid('param').index]), data.size, data.channels);
    return c.body(png.slice().buffer, 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' });
  });

  // ---- everything else: unknown API paths, then the viewer ------------------------------------
  app.all('/api/*', (c) => c.json({ error: `no route ${c.req.method} ${c.req.path} (docs/api.md lists the routes)` }, 404));
  app.get('*', (c) => viewerResponse(ctx.viewerDir, c.req.path));
  return app;
}

function datasetImage(index: number): DatasetImage {
  return { index, factors: factorsJson(index), image: imageJson(dsprites.render(index)) };
}

/**
 * model.safetensors as bytes, after checking it is whole and its values finite (a corrupt file,
 * or a diverged run's NaN weights unless the server allows them, is an error, not a download).
 */
function checkpoint(ctx: ServerContext, run: RunRef): Response {
  const file = filePath(run.dir, 'model');
  if (!fs.existsSync(file)) throw new HttpError(404, `run '${run.id}' has no checkpoint yet (no model.safetensors)`);
  try {
    inspectSafetensors(file);
  } catch (e) {
    throw new HttpError(500, `run '${run.id}': ${(e as Error).message}`);
  }
  // Read once: the bytes checked are the bytes sent, even if a training run replaces the file.
  const bytes = new Uint8Array(fs.readFileSync(file));
  if (!ctx.allowNonFinite) {
    let found: NonFinite | null;
    try {
      found = findNonFinite(decodeSafetensors(bytes).tensors);
    } catch (e) {
      throw new HttpError(500, `run '${run.id}': model.safetensors is corrupt: ${(e as Error).message}`);
    }
    if (found) throw new HttpError(500, `run '${run.id}': model.safetensors is refused: its parameter ${describeNonFinite(found)} (weights of a diverged run?); cli serve --allow-non-finite serves it anyway`);
  }
  return new Response(bytes, {
    headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${run.id}.safetensors"` },
  });
}
