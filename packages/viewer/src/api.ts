// A typed client for the HTTP API of `bun run cli serve` (docs/api.md). One instance is made at the
// app's root and handed down through context; every method throws ApiError with the server's
// message on a 4xx/5xx.
import type { ModelTraits } from '@maga/model';
import type { Factors, FactorGrid } from './lib/factors.ts';
import type { ApiImage } from './lib/images.ts';
import type { LogLine } from './lib/curves.ts';

export type ModelKind = string;
export type { ModelTraits };
export type RunStatus = 'training' | 'done' | 'stopped' | 'error' | 'diverged';

/** Where a diverged run went non-finite (docs/api.md). */
export interface Divergence {
  step: number;
  term: string;
  value: string;
  checkpointStep: number | null;
}

/**
 * The known group a pair run's model takes: its elements are angles in radians (SO(2)), j ∈ [0, n)
 * (C_n) or unit quaternions [w, x, y, z] (SO(3)).
 */
export type RunGroup = { kind: 'so2' } | { kind: 'cyclic'; n: number } | { kind: 'so3' };

/** A group element as the API takes it: one number, or four for SO(3). */
export type GroupElement = number | number[];

export interface RunSummary {
  id: string;
  model: ModelKind;
  /** What the model's decoder does; null for a run whose config cannot be read. */
  traits: ModelTraits | null;
  dataset: string;
  /** A dSprites run's split; null for a pair run. */
  split: string | null;
  /** A pair run's group; null (or absent, from older servers) for a model with a learned z. */
  group?: RunGroup | null;
  step: number;
  steps: number;
  status: RunStatus;
  metrics: Record<string, unknown> | null;
  updatedAt: string;
  error?: string;
  divergence?: Divergence;
}

export interface RunDetail {
  summary: RunSummary;
  config: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  log: LogLine[];
}

export interface Health {
  ok: boolean;
  backend: string;
  device: string;
  version: string;
}

export interface DatasetInfo {
  count: number;
  factors: FactorGrid;
  splits: Record<string, string>;
  fixedPivot: number;
}

/** One factor of a pair run's images (digit, angle, index; or phantom, setting). */
export interface PairFactorInfo {
  name: string;
  kind: 'class' | 'angle' | 'id' | 'quaternion';
  description: string;
  classes?: string[];
}

/** `GET /api/runs/:id/dataset` of a pair run: its images are index = source·steps + k (a 3-D object's view k). */
export interface PairDatasetInfo {
  kind: 'pairs';
  dataset: string;
  group: RunGroup;
  imageSize: number;
  /** 3 for colour images (the 3-D sets); absent or 1 for grey. */
  channels?: number;
  count: number;
  sources: number;
  steps: number;
  /** How an index names an image, in words (e.g. "object·360 + view"). */
  index?: string;
  factors: PairFactorInfo[];
  fixedPivot: number;
  /** The 3-D sets' camera tilt as a unit quaternion [w, x, y, z]: images show camera·pose·object. */
  camera?: [number, number, number, number];
}

/** `GET /api/runs/:id/dataset` of a dSprites run: the grid, and the split the run trained on. */
export interface DspritesRunDatasetInfo extends DatasetInfo {
  kind: 'dsprites';
  dataset: 'dsprites';
  split: string;
  group: null;
  imageSize: number;
}

/** What `GET /api/runs/:id/dataset` says of a run's images. */
export type RunDatasetInfo = DspritesRunDatasetInfo | PairDatasetInfo;

/** An image of a pair run's data set, with its factor values by name. */
export interface PairImage {
  index: number;
  factors: Record<string, number>;
  image: ApiImage;
}

export interface DatasetImage {
  index: number;
  factors: Factors;
  image: ApiImage;
}

export interface Traverse {
  z: number[];
  values: number[][];
  images: ApiImage[][];
}

export interface GroupLaws {
  identity: { input: ApiImage; output: ApiImage; maxError: number };
  composition: { sequential: ApiImage; combined: ApiImage; maxError: number };
  inverse: { roundTrip: ApiImage; maxError: number };
}

export interface Embedding {
  points: [number, number, number][];
  indices: number[];
  part: ('train' | 'test')[];
  /** Each point's factors: a dSprites image's (values and class indices) or a pair set's by name. */
  factors: Record<string, unknown>[];
}

export interface EmbeddingOptions {
  split?: string;
  count?: number;
  nNeighbors?: number;
  seed?: number;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** `api` with every request also aborted by `abort` (and still by the client's own signal). */
export function scopedApi(api: Api, abort: AbortSignal): Api {
  const { base, fetchImpl, signal } = api.connection;
  return createApi(base, fetchImpl, signal ? AbortSignal.any([signal, abort]) : abort);
}

function abortError(what: string): Error {
  const e = new Error(`${what}: aborted (the view that asked for it went away or asked again)`);
  e.name = 'AbortError';
  return e;
}

async function errorOf(response: Response, what: string): Promise<ApiError> {
  let message = `${what}: ${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body?.error === 'string') message = `${what}: ${body.error}`;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, response.status);
}

export type Api = ReturnType<typeof createApi>;

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Whether an error is a request given up on purpose (its AbortSignal fired): nothing to show. */
export const isAbort = (e: unknown): boolean => e instanceof Error && e.name === 'AbortError';

/**
 * A client for the API at `base` (same origin by default). `signal`, when given, aborts every
 * request the client makes: a run's page holds a client that is aborted when the page goes
 * (another run opens), and a computation that a newer request supersedes aborts its own.
 */
export function createApi(base = '', fetchImpl: Fetch = (input, init) => fetch(input, init), signal?: AbortSignal) {
  const url = (path: string) => `${base}/api${path}`;
  const run = (id: string) => `/runs/${encodeURIComponent(id)}`;
  const send = (path: string, init?: RequestInit) => fetchImpl(url(path), signal ? { ...init, signal } : init);

  async function request<T>(path: string, init?: RequestInit): Promise<T> {
    const what = `${init?.method ?? 'GET'} /api${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await send(path, init);
    } catch (e) {
      if (isAbort(e) || signal?.aborted) throw abortError(what);
      throw new ApiError(`${what}: the server cannot be reached (${e instanceof Error ? e.message : String(e)})`, 0);
    }
    if (!response.ok) throw await errorOf(response, what);
    return (await response.json()) as T;
  }

  const post = <T>(path: string, body: unknown) => request<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const query = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
    return entries.length ? `?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}` : '';
  };

  return {
    /** Where this client sends its requests, and the signal that aborts them (for `scopedApi`). */
    connection: { base, fetchImpl, signal },
    health: () => request<Health>('/health'),
    runs: async () => (await request<{ runs: RunSummary[] }>('/runs')).runs,
    run: (id: string) => request<RunDetail>(run(id)),
    async checkpoint(id: string): Promise<Uint8Array> {
      const what = `GET /api${run(id)}/checkpoint`;
      const response = await send(`${run(id)}/checkpoint`).catch((e: unknown) => {
        if (isAbort(e) || signal?.aborted) throw abortError(what);
        throw new ApiError(`${what}: the server cannot be reached (${e instanceof Error ? e.message : String(e)})`, 0);
      });
      if (!response.ok) throw await errorOf(response, what);
      return new Uint8Array(await response.arrayBuffer());
    },
    dataset: () => request<DatasetInfo>('/dataset'),
    samples: async (options: { split?: string; part?: 'train' | 'test'; count?: number; seed?: number }) =>
      (await request<{ samples: DatasetImage[] }>(`/dataset/samples${query(options)}`)).samples,
    image: (index: number) => request<DatasetImage>(`/dataset/images/${index}`),
    imagePngUrl: (index: number) => url(`/dataset/images/${index}/png`),
    indexOf: async (classes: Record<string, number>) => (await request<{ index: number }>(`/dataset/index${query(classes)}`)).index,
    encode: (id: string, indices: number[]) => post<{ mu: number[][]; logVar: number[][] }>(`${run(id)}/encode`, { indices }),
    reconstruct: (id: string, body: { pivot?: number; indices: number[] }) => post<{ images: ApiImage[]; z: number[][] }>(`${run(id)}/reconstruct`, body),
    decode: async (id: string, body: { pivot?: number; z: number[][] }) => (await post<{ images: ApiImage[] }>(`${run(id)}/decode`, body)).images,
    traverse: (id: string, body: { pivot?: number; index: number; range: number; steps: number; components?: number[] }) => post<Traverse>(`${run(id)}/traverse`, body),
    recombine: (id: string, body: { source: { pivot: number; varying: number }; targets: number[] }) => post<{ z: number[]; images: ApiImage[] }>(`${run(id)}/recombine`, body),
    groupLaws: (id: string, body: { pivot?: number; z1: number[]; z2: number[] }) => post<GroupLaws>(`${run(id)}/group-laws`, body),
    embedding: (id: string, options: EmbeddingOptions = {}) => post<Embedding>(`${run(id)}/embedding`, options),
    // A run's own images (a pair run's data set; dSprites for the others) and its known group elements g.
    runDataset: (id: string) => request<RunDatasetInfo>(`${run(id)}/dataset`),
    runSamples: async (id: string, options: { part?: 'train' | 'test'; count?: number; seed?: number }) =>
      (await request<{ samples: PairImage[] }>(`${run(id)}/dataset/samples${query(options)}`)).samples,
    runImage: (id: string, index: number) => request<PairImage>(`${run(id)}/dataset/images/${index}`),
    runImagePngUrl: (id: string, index: number) => url(`${run(id)}/dataset/images/${index}/png`),
    act: async (id: string, body: { pivot?: number; g: GroupElement[] }) => (await post<{ images: ApiImage[] }>(`${run(id)}/decode`, body)).images,
    groupLawsOf: (id: string, body: { pivot?: number; g1: GroupElement; g2: GroupElement }) => post<GroupLaws>(`${run(id)}/group-laws`, body),
    swap: (id: string, pairs: [number, number][]) =>
      post<{ parts: { invariant: number; varying: number } | null; aWithB: ApiImage[]; bWithA: ApiImage[] }>(`${run(id)}/swap`, { pairs }),
  };
}
