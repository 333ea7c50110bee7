// The HTTP app of `cli serve`: every route in one list (docs/api.md describes each), inputs
// validated at the edge, handlers that call library functions. Errors are JSON { error } with a
// 4xx status for bad input and 5xx for a run that cannot be used (a corrupt checkpoint).
import * as fs from 'node:fs';
import { decodeSafetensors, describeNonFinite, dsprites, findNonFinite, modelSpec, type NonFinite } from '@maga/model';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { validator } from 'hono/validator';
import { inspectSafetensors } from './checkpoint.ts';
import { encodePng, imageJson } from './images.ts';
import { filePath, isPairData, readRunConfig, type RunConfig } from './rundir.ts';
import { datasetInfo, factorsJson, sampleIndices } from './server/dataset.ts';
import * as handlers from './server/handlers.ts';
import type { ServerContext } from './server/handlers.ts';
import { assertNoLinks, listRuns, resolveRun, runDetail, type RunRef } from './server/runs.ts';
import * as schemas from './server/schemas.ts';
import { HttpError, parse, type Check } from './server/validate.ts';
import { viewerResponse } from './server/viewer.ts';

export type { ServerContext } from './server/handlers.ts';

/** Request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Env = { Variables: { run: RunRef; config: RunConfig } };

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
  const body = <T>(check: (c: Context<Env>) => Check<T>) => validator('json', (value, c) => parse(check(c as Context<Env>), value, 'body'));
  const query = <T>(check: Check<T>) => validator('query', (value) => parse(check, value, 'query'));
  const imageIndex = validator('param', (value) => ({ index: parse(schemas.imageIndexParam, value.index, 'index') }));
  // The length of a code z or group element g, as the run's model takes it.
  const latentDim = (c: Context<Env>) => modelSpec(c.var.config.model.model).codeDim(c.var.config.model);

  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ error: err.message }, err.status);
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status as ContentfulStatusCode);
    console.error(err);
    return c.json({ error: `internal error: ${err instanceof Error ? err.message : String(err)}` }, 500);
  });
  app.use('/api/*', limit);
  app.post('/api/*', json);

  // ---- service and runs -----------------------------------------------------------------------
  app.get('/api/health', (c) => c.json({ ok: true, backend: ctx.backend.kind, device: ctx.backend.description, version: ctx.version, queue: ctx.queue.length }));
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
  app.post('/api/runs/:id/encode', run, config, body(() => schemas.encodeBody), async (c) => c.json(await handlers.encode(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/reconstruct', run, config, body(() => schemas.reconstructBody), async (c) => c.json(await handlers.reconstruct(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/decode', run, config, body((c) => schemas.decodeBody(latentDim(c))), async (c) => c.json(await handlers.decode(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/traverse', run, config, body((c) => schemas.traverseBody(latentDim(c))), async (c) => c.json(await handlers.traverse(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/recombine', run, config, body(() => schemas.recombineBody), async (c) => c.json(await handlers.recombine(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/group-laws', run, config, body((c) => schemas.groupLawsBody(latentDim(c))), async (c) => c.json(await handlers.groupLaws(ctx, c.var.run, c.req.valid('json'))));
  app.post('/api/runs/:id/embedding', run, config, body((c) => schemas.embeddingBody(dspritesSplit(c.var.config))), async (c) => c.json(await handlers.embedding(ctx, c.var.run, c.req.valid('json'))));

  // ---- everything else: unknown API paths, then the viewer ------------------------------------
  app.all('/api/*', (c) => c.json({ error: `no route ${c.req.method} ${c.req.path} (docs/api.md lists the routes)` }, 404));
  app.get('*', (c) => viewerResponse(ctx.viewerDir, c.req.path));
  return app;
}

function datasetImage(index: number) {
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

/** The dSprites split of a run the dSprites-only routes serve; a pair run is refused, named. */
function dspritesSplit(config: RunConfig) {
  if (isPairData(config.data)) throw new HttpError(400, `this route serves dSprites runs; the run trains on ${config.data.dataset} ${config.data.group}`);
  return config.data.split;
}
