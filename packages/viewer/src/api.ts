// A typed client for the HTTP API of `bun run cli serve` (docs/api.md). One instance is made at the
// app's root and handed down through context; every method throws ApiError with the server's
// message on a 4xx/5xx.
import type {
  ActRequest,
  DatasetImage,
  DatasetInfo,
  DecodeRequest,
  DecodeResponse,
  ElementGroupLawsRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  EncodeResponse,
  GroupLawsRequest,
  GroupLawsResponse,
  Health,
  IndexQuery,
  ReconstructRequest,
  ReconstructResponse,
  RecombineRequest,
  RecombineResponse,
  RunDatasetInfo,
  RunDetail,
  RunImage,
  RunSamplesQuery,
  RunSummary,
  SamplesQuery,
  SwapResponse,
  TraverseRequest,
  TraverseResponse,
} from '@maga/cli';

// The server's types, under the names the viewer uses (the contract is packages/cli's
// src/server/contract.ts; nothing here re-declares it).
export type { ApiGroup as RunGroup, DatasetImage, DatasetInfo, EvalLine, GroupElement, Health, RunDatasetInfo, RunDetail, RunStatus, RunSummary, PairFactorInfo } from '@maga/cli';
export type { ModelTraits } from '@maga/model';
/** An image of a pair run's data set, with its factor values by name. */
export type PairImage = RunImage;
export type Embedding = EmbeddingResponse;

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
  // A request aborted before or while it runs ends as an abort whatever the fetch does with the signal.
  const send = async (path: string, init?: RequestInit) => {
    if (signal?.aborted) throw abortError(`${init?.method ?? 'GET'} /api${path.split('?')[0]}`);
    const response = await fetchImpl(url(path), signal ? { ...init, signal } : init);
    if (signal?.aborted) throw abortError(`${init?.method ?? 'GET'} /api${path.split('?')[0]}`);
    return response;
  };

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
    samples: async (options: SamplesQuery) => (await request<{ samples: DatasetImage[] }>(`/dataset/samples${query(options)}`)).samples,
    image: (index: number) => request<DatasetImage>(`/dataset/images/${index}`),
    imagePngUrl: (index: number) => url(`/dataset/images/${index}/png`),
    indexOf: async (classes: IndexQuery) => (await request<{ index: number }>(`/dataset/index${query(classes)}`)).index,
    encode: (id: string, indices: number[]) => post<EncodeResponse>(`${run(id)}/encode`, { indices }),
    reconstruct: (id: string, body: ReconstructRequest) => post<ReconstructResponse>(`${run(id)}/reconstruct`, body),
    decode: async (id: string, body: DecodeRequest) => (await post<DecodeResponse>(`${run(id)}/decode`, body)).images,
    traverse: (id: string, body: TraverseRequest) => post<TraverseResponse>(`${run(id)}/traverse`, body),
    recombine: (id: string, body: RecombineRequest) => post<RecombineResponse>(`${run(id)}/recombine`, body),
    groupLaws: (id: string, body: GroupLawsRequest) => post<GroupLawsResponse>(`${run(id)}/group-laws`, body),
    embedding: (id: string, options: EmbeddingRequest = {}) => post<EmbeddingResponse>(`${run(id)}/embedding`, options),
    // A run's own images (a pair run's data set; dSprites for the others) and its known group elements g.
    runDataset: (id: string) => request<RunDatasetInfo>(`${run(id)}/dataset`),
    runSamples: async (id: string, options: RunSamplesQuery) => (await request<{ samples: RunImage[] }>(`${run(id)}/dataset/samples${query(options)}`)).samples,
    runImage: (id: string, index: number) => request<RunImage>(`${run(id)}/dataset/images/${index}`),
    runImagePngUrl: (id: string, index: number) => url(`${run(id)}/dataset/images/${index}/png`),
    act: async (id: string, body: ActRequest) => (await post<DecodeResponse>(`${run(id)}/decode`, body)).images,
    groupLawsOf: (id: string, body: ElementGroupLawsRequest) => post<GroupLawsResponse>(`${run(id)}/group-laws`, body),
    swap: (id: string, pairs: [number, number][]) => post<SwapResponse>(`${run(id)}/swap`, { pairs }),
  };
}
