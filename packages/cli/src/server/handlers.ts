// The API's computations on a run's model: each takes validated input, runs in the GPU queue,
// calls the library (latent.ts) and shapes the answer as docs/api.md describes.
import { MODEL_KINDS, modelSpec, type ModelTraits } from '@maga/model';
import type { BackendInfo } from '../backend.ts';
import { imageJson, split } from '../images.ts';
import * as latent from '../latent.ts';
import type { TrainedModel } from '../load.ts';
import type { Checked } from './validate.ts';
import { HttpError } from './validate.ts';
import type { EmbeddingCache } from './embedding.ts';
import type { ModelCache } from './models.ts';
import type { GpuQueue } from './queue.ts';
import type { RunRef } from './runs.ts';
import type * as schemas from './schemas.ts';

export interface ServerContext {
  /** The runs directory, as a real path. */
  root: string;
  /** The viewer's built files, or null when it has not been built. */
  viewerDir: string | null;
  backend: BackendInfo;
  /** Serve weights holding NaN/Inf (cli serve --allow-non-finite) instead of refusing them. */
  allowNonFinite: boolean;
  version: string;
  queue: GpuQueue;
  models: ModelCache;
  embeddings: EmbeddingCache;
}

type Body<S extends (...args: never[]) => unknown> = Checked<ReturnType<S>>;

/** Rows of a flat [n·d] array. */
const rows = (values: Float32Array, d: number) => Array.from({ length: values.length / d }, (_, i) => Array.from(values.subarray(i * d, (i + 1) * d)));
// Errors are measured on the raw decodes; the images sent are clamped to [0, 1] like all others.
const image = (pixels: Float32Array) => imageJson(latent.clamp01(pixels));
const images = (pixels: Float32Array) => split(pixels).map((image) => imageJson(image));

/** Runs `compute` on the run's model, one request at a time. */
function withModel<T>(ctx: ServerContext, run: RunRef, compute: (trained: TrainedModel) => Promise<T>): Promise<T> {
  return ctx.queue.run(async () => compute(await ctx.models.get(run)));
}

function pivotOf(pivot: number | undefined): number {
  return pivot ?? latent.DEFAULT_PIVOT;
}

/** The model of a run whose decoder acts on images with the trait `what` needs, or a 400 naming the kinds that have it. */
function actingOnImages(trained: TrainedModel, what: string, has: (traits: ModelTraits) => boolean) {
  const { traits } = trained.model;
  if (!has(traits)) {
    const kinds = MODEL_KINDS.filter((k) => has(modelSpec(k).traits)).map((k) => modelSpec(k).traits.label);
    throw new HttpError(400, `${what} needs a ${kinds.join(' or ')} run: this run is a ${trained.config.model.model}, ${traits.pivot ? 'which has no such action' : 'whose decoder takes no pivot'}`);
  }
  return trained.model;
}

export const encode = (ctx: ServerContext, run: RunRef, body: Checked<typeof schemas.encodeBody>) =>
  withModel(ctx, run, async ({ model }) => {
    const { mu, logVar, dim } = await latent.encode(model, body.indices);
    return { mu: rows(mu, dim), logVar: logVar ? rows(logVar, dim) : null };
  });

export const reconstruct = (ctx: ServerContext, run: RunRef, body: Checked<typeof schemas.reconstructBody>) =>
  withModel(ctx, run, async ({ model }) => {
    const { z, images: pixels } = await latent.reconstruct(model, pivotOf(body.pivot), body.indices);
    return { images: images(pixels), z: rows(z, model.codeDim) };
  });

export const decode = (ctx: ServerContext, run: RunRef, body: Body<typeof schemas.decodeBody>) =>
  withModel(ctx, run, async ({ model }) => ({ images: images(await latent.decode(model, pivotOf(body.pivot), Float32Array.from(body.z.flat()))) }));

export const traverse = (ctx: ServerContext, run: RunRef, body: Body<typeof schemas.traverseBody>) =>
  withModel(ctx, run, async ({ model }) => {
    const d = model.codeDim;
    const components = body.components ?? Array.from({ length: d }, (_, c) => c);
    if (components.length * body.steps > 1024) throw new HttpError(400, `components × steps must be at most 1024 images, got ${components.length} × ${body.steps}`);
    const t = await latent.traverse(model, pivotOf(body.pivot), body.index, body.range, body.steps, components);
    return { z: Array.from(t.z), components, values: t.values, images: t.images.map((row) => row.map((image) => imageJson(image))) };
  });

export const recombine = (ctx: ServerContext, run: RunRef, body: Checked<typeof schemas.recombineBody>) =>
  withModel(ctx, run, async (trained) => {
    const { z, images: pixels } = await latent.recombine(actingOnImages(trained, 'recombine', (t) => t.transfer === 'action'), body.source, body.targets);
    return { z: Array.from(z), images: images(pixels) };
  });

export const groupLaws = (ctx: ServerContext, run: RunRef, body: Body<typeof schemas.groupLawsBody>) =>
  withModel(ctx, run, async (trained) => {
    const laws = await latent.groupLaws(actingOnImages(trained, 'group-laws', (t) => t.groupLaws), pivotOf(body.pivot), Float32Array.from(body.z1), Float32Array.from(body.z2));
    return {
      identity: { input: image(laws.identity.input), output: image(laws.identity.output), maxError: laws.identity.maxError },
      composition: { sequential: image(laws.composition.sequential), combined: image(laws.composition.combined), maxError: laws.composition.maxError },
      inverse: { roundTrip: image(laws.inverse.roundTrip), maxError: laws.inverse.maxError },
    };
  });

export const embedding = async (ctx: ServerContext, run: RunRef, body: Body<typeof schemas.embeddingBody>) => {
  const e = await ctx.embeddings.get(run, body);
  return { step: e.step, points: e.points, indices: e.indices, part: e.part, factors: e.factors };
};
