// The API's computations on a run's model: each takes validated input, runs in the GPU queue,
// calls the library (inference/adapters.ts) and shapes the answer as docs/api.md describes.
import { MODEL_KINDS, modelSpec, ValidationError, type Checked, type ModelTraits } from '@maga/model';
import type { BackendInfo } from '../run/backend.ts';
import * as latent from '../inference/adapters.ts';
import type { TrainedModel } from '../inference/load.ts';
import type { EmbeddingCache, EmbeddingOptions } from './embedding.ts';
import type { RunImages } from './dataset.ts';
import type { ModelCache } from './models.ts';
import type { GpuQueue } from './queue.ts';
import type { RunRef } from './runs.ts';
import type * as schemas from './schemas.ts';
import type { Element } from './schemas.ts';
import { modelGroup } from './dataset.ts';
import { apiImage, apiImages } from './wire.ts';

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
const image = (pixels: Float32Array, data: RunImages) => apiImage(latent.clamp01(pixels), data.size, data.channels);
const images = (pixels: Float32Array, data: RunImages) => apiImages(pixels, data.size, data.channels);

/** Runs `compute` on the run's model, one request at a time. */
function withModel<T>(ctx: ServerContext, run: RunRef, compute: (trained: TrainedModel) => Promise<T>): Promise<T> {
  return ctx.queue.run(async () => compute(await ctx.models.get(run)));
}

/** The model of a run whose decoder acts on images with the trait `what` needs, or a 400 naming the kinds that have it. */
function actingOnImages(trained: TrainedModel, what: string, has: (traits: ModelTraits) => boolean) {
  const { traits } = trained.model;
  if (!has(traits)) {
    const kinds = MODEL_KINDS.filter((k) => has(modelSpec(k).traits)).map((k) => modelSpec(k).traits.label);
    throw new ValidationError(`${what} needs a ${kinds.join(' or ')} run: this run is a ${trained.config.model.model}, ${traits.pivot ? 'which has no such action' : 'whose decoder takes no pivot'}`);
  }
  return trained.model;
}

/** A run's image to compute on: its index, with the run's default pivot when none was given. */
const pivotOf = (images: RunImages, pivot: number | undefined) => pivot ?? images.defaultPivot;

export const encode = (ctx: ServerContext, run: RunRef, data: RunImages, body: Body<typeof schemas.runEncodeBody>) =>
  withModel(ctx, run, async ({ model }) => {
    const { mu, logVar, dim } = await latent.encode(model, body.indices, data.source);
    return { mu: rows(mu, dim), logVar: logVar ? rows(logVar, dim) : null };
  });

export const reconstruct = (ctx: ServerContext, run: RunRef, data: RunImages, body: Body<typeof schemas.runReconstructBody>) =>
  withModel(ctx, run, async ({ model }) => {
    const { z, images: pixels } = await latent.reconstruct(model, pivotOf(data, body.pivot), body.indices, data.source);
    return { images: images(pixels, data), z: rows(z, model.codeDim) };
  });

/** D(z, pivot) for codes z (a learned z), or D(g, pivot) for known group elements g (one number each, four for SO(3)). */
export const decode = (ctx: ServerContext, run: RunRef, data: RunImages, body: { pivot?: number; z: number[][] } | { pivot?: number; g: Element[] }) =>
  withModel(ctx, run, async ({ model }) => {
    const codes = 'g' in body ? Float32Array.from(body.g.flat()) : Float32Array.from(body.z.flat());
    return { images: images(await latent.decode(model, pivotOf(data, body.pivot), codes, data.source), data) };
  });

export const traverse = (ctx: ServerContext, run: RunRef, data: RunImages, body: Body<typeof schemas.runTraverseBody>) =>
  withModel(ctx, run, async ({ model, config }) => {
    // A group whose elements a sweep of one number cannot walk (C_n's integers, SO(3)'s quaternions) says why, and what to do instead.
    const refusal = modelGroup(config.model)?.sweepRefusal(`POST /api/runs/${run.id}/decode`);
    if (refusal) throw new ValidationError(refusal, 'body');
    const d = model.codeDim;
    const components = body.components ?? Array.from({ length: d }, (_, c) => c);
    if (components.length * body.steps > 1024) throw new ValidationError(`components × steps must be at most 1024 images, got ${components.length} × ${body.steps}`, 'components');
    const t = await latent.traverse(model, pivotOf(data, body.pivot), body.index, body.range, body.steps, components, data.source);
    return { z: Array.from(t.z), components, values: t.values, images: t.images.map((row) => row.map((pixels) => apiImage(pixels, data.size, data.channels))) };
  });

export const recombine = (ctx: ServerContext, run: RunRef, data: RunImages, body: Body<typeof schemas.runRecombineBody>) =>
  withModel(ctx, run, async (trained) => {
    const { z, images: pixels } = await latent.recombine(actingOnImages(trained, 'recombine', (t) => t.transfer === 'action'), body.source, body.targets, data.source);
    return { z: Array.from(z), images: images(pixels, data) };
  });

/** The group laws with codes z₁, z₂ (a learned z) or elements g₁, g₂ (a known g). */
export const groupLaws = (ctx: ServerContext, run: RunRef, data: RunImages, body: { pivot?: number; z1: number[]; z2: number[] } | { pivot?: number; g1: Element; g2: Element }) =>
  withModel(ctx, run, async (trained) => {
    const [z1, z2] = 'g1' in body ? [[body.g1].flat(), [body.g2].flat()] : [body.z1, body.z2];
    const model = actingOnImages(trained, 'group-laws', (t) => t.groupLaws);
    const laws = await latent.groupLaws(model, pivotOf(data, body.pivot), Float32Array.from(z1), Float32Array.from(z2), data.source);
    const px = (p: Float32Array) => image(p, data);
    return {
      identity: { input: px(laws.identity.input), output: px(laws.identity.output), maxError: laws.identity.maxError },
      composition: { sequential: px(laws.composition.sequential), combined: px(laws.composition.combined), maxError: laws.composition.maxError },
      inverse: { roundTrip: px(laws.inverse.roundTrip), maxError: laws.inverse.maxError },
    };
  });

/** The recombination's swap of invariant and varying latent parts, pairwise. */
export const swap = (ctx: ServerContext, run: RunRef, data: RunImages, body: Body<typeof schemas.swapBody>) =>
  withModel(ctx, run, async (trained) => {
    const model = actingOnImages(trained, 'swap', (t) => t.latentParts);
    const parts = model.latentParts?.() ?? null;
    const r = await latent.swap(model, body.pairs.map(([a, b]) => [a, b] as const), data.source);
    return { parts, aWithB: images(r.aWithB, data), bWithA: images(r.bWithA, data) };
  });

export const embedding = async (ctx: ServerContext, run: RunRef, data: RunImages, body: EmbeddingOptions) => {
  const e = await ctx.embeddings.get(run, data, body);
  return { step: e.step, points: e.points, indices: e.indices, part: e.part, factors: e.factors };
};
