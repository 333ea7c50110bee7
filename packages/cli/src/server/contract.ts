// The HTTP API's contract (docs/api.md) as types: what each route takes and what it answers. The
// types are derived from the server's own validators (schemas.ts) and handlers, so they change
// when the server does; the viewer imports them type-only (`import type … from '@maga/cli'`), so
// none of the server's code reaches its bundle.
import type { Checked, DataInfo, DspritesFactorsJson, DspritesInfo } from '@maga/model';
import type { ImageJson } from '../figures/images.ts';
import type * as handlers from './handlers.ts';
import type { RunSummary as Summary, runDetail } from './runs.ts';
import type * as schemas from './schemas.ts';
import type { ApiImage as WireImage } from './wire.ts';

/** The keys of T whose value may be undefined: a request may leave them out. */
type UndefinedKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];
/** A request body as a client may send it: keys that may be undefined, and those in `Defaulted`, optional. */
type Body<T, Defaulted extends keyof T = never> = Omit<T, UndefinedKeys<T> | Defaulted> & Partial<Pick<T, UndefinedKeys<T> | Defaulted>>;
type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

// ---- images and runs ----------------------------------------------------------------------------

/** An image on the wire: base64 of float32 pixels, `channels: 3` for colour (planes R, G, B). */
export type ApiImage = WireImage;
/** A dSprites image as `GET /api/dataset/images/:index` answers (no `channels`: grey). */
export type ApiGreyImage = ImageJson;
/** A run as `GET /api/runs` lists it. */
export type RunSummary = Summary;
/** `GET /api/runs/:id`: the summary, config.json, metrics.json and the log. */
export type RunDetail = ReturnType<typeof runDetail>;
export type RunStatus = Summary['status'];
export type Divergence = NonNullable<Summary['divergence']>;
/** The group a known-group run's model takes (its elements: an angle, j ∈ [0, n), a unit quaternion). */
export type ApiGroup = NonNullable<Summary['group']>;
/** A group element as the API takes it: one number, or four for SO(3). */
export type GroupElement = schemas.Element;

/** `GET /api/health`. */
export interface Health {
  ok: boolean;
  backend: string;
  device: string;
  version: string;
  /** Requests waiting for the device. */
  queue: number;
}

// ---- dSprites ------------------------------------------------------------------------------------

/** `GET /api/dataset`: the dSprites grid, its splits and the fixed pivot. */
export type DatasetInfo = DspritesInfo;
/** A dSprites image's factors: values and their class indices. */
export type DspritesFactors = DspritesFactorsJson;
/** `GET /api/dataset/images/:index`, and each of `GET /api/dataset/samples`'s `samples`. */
export interface DatasetImage {
  index: number;
  factors: DspritesFactorsJson;
  image: ImageJson;
}
export type SamplesQuery = Body<Checked<typeof schemas.samplesQuery>, 'split' | 'part' | 'count' | 'seed'>;
export type IndexQuery = Checked<typeof schemas.indexQuery>;

// ---- a run's own images ---------------------------------------------------------------------------

/** `GET /api/runs/:id/dataset`: the images a run's routes address by index (dSprites, or its pair set). */
export type RunDatasetInfo = DataInfo;
/** A pair set's factor, as the latent map colours by it. */
export type PairFactorInfo = Extract<RunDatasetInfo, { kind: 'pairs' }>['factors'][number];
/** `GET /api/runs/:id/dataset/images/:index`, and each of `…/dataset/samples`'s `samples`. */
export interface RunImage {
  index: number;
  /** dSprites' latent values and classes, or a pair set's factor values by name. */
  factors: DspritesFactorsJson | Record<string, number>;
  image: ApiImage;
}
export type RunSamplesQuery = Body<Checked<typeof schemas.runSamplesQuery>, 'part' | 'count' | 'seed'>;

// ---- computations on a run's model ----------------------------------------------------------------

export type EncodeRequest = Checked<ReturnType<typeof schemas.runEncodeBody>>;
export type EncodeResponse = Answer<typeof handlers.encode>;
export type ReconstructRequest = Body<Checked<ReturnType<typeof schemas.runReconstructBody>>>;
export type ReconstructResponse = Answer<typeof handlers.reconstruct>;
/** D(z, pivot) for learned codes z (rows of the run's code size)… */
export type DecodeRequest = Body<Checked<ReturnType<typeof schemas.runDecodeBody>>>;
/** …or D(g, pivot) for known elements g. */
export type ActRequest = Body<Checked<ReturnType<typeof schemas.elementsDecodeBody>>>;
export type DecodeResponse = Answer<typeof handlers.decode>;
export type TraverseRequest = Body<Checked<ReturnType<typeof schemas.runTraverseBody>>, 'range' | 'steps'>;
export type TraverseResponse = Answer<typeof handlers.traverse>;
export type RecombineRequest = Checked<ReturnType<typeof schemas.runRecombineBody>>;
export type RecombineResponse = Answer<typeof handlers.recombine>;
export type GroupLawsRequest = Body<Checked<ReturnType<typeof schemas.runGroupLawsBody>>>;
export type ElementGroupLawsRequest = Body<Checked<ReturnType<typeof schemas.elementsGroupLawsBody>>>;
export type GroupLawsResponse = Answer<typeof handlers.groupLaws>;
export type SwapRequest = Checked<ReturnType<typeof schemas.swapBody>>;
export type SwapResponse = Answer<typeof handlers.swap>;
/** The latent map's options: a dSprites run may also name the split to sample. */
export type EmbeddingRequest = Body<Checked<ReturnType<typeof schemas.embeddingBody>>, 'split' | 'count' | 'nNeighbors' | 'seed'>;
export type EmbeddingResponse = Answer<typeof handlers.embedding>;

/** Every 4xx and 5xx answer. */
export interface ApiErrorBody {
  error: string;
}
