// The HTTP API in tests: `cli serve`'s server started in this process on a free port, requests to
// it, and the answers read back (a 200's JSON, a 4xx/5xx's status and error, images' pixels).
import { afterAll, expect } from 'bun:test';
import * as path from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '@maga/cli';
import * as T from '@maga/tensor';
import type { BackendChoice } from '@maga/tensor';
import { makeTempDir, removeTempDir } from './tmp.ts';

/** The server of `cli serve` over `runsDir`, in this process on 127.0.0.1 and a free port, without the viewer unless `options` say. */
export const serveInProcess = (runsDir: string, backend: BackendChoice, options: Partial<ServeOptions> = {}): Promise<RunningServer> =>
  startServer({ runsDir, port: 0, host: '127.0.0.1', backend, viewerDir: null, ...options });

/** Requests to the server at `base()` (a function, for a server that starts in a hook). */
export function apiClient(base: () => string) {
  const postRaw = (route: string, body: string, type = 'application/json') => fetch(`${base()}${route}`, { method: 'POST', headers: { 'content-type': type }, body });
  return {
    get: (route: string) => fetch(`${base()}${route}`),
    post: (route: string, body: unknown) => postRaw(route, JSON.stringify(body)),
    postRaw,
  };
}

/**
 * A describe block's server: a temporary runs directory (`runs`, in `tmp`), the server over it once
 * `start()` is called (in a beforeAll, after the runs are written), requests to it, and both
 * stopped and removed after the block.
 */
export function serverSuite(name: string, backend: BackendChoice) {
  const tmp = makeTempDir(name);
  const runs = path.join(tmp, 'runs');
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    removeTempDir(tmp);
  });
  return {
    tmp,
    runs,
    ...apiClient(() => server!.url),
    async start(options: Partial<ServeOptions> = {}): Promise<void> {
      server = await serveInProcess(runs, backend, options);
    },
  };
}

/** A 200's JSON; any other answer throws with its status and body. */
export async function ok<J = any>(response: Response | Promise<Response>): Promise<J> {
  const r = await response;
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${r.status}: ${text}`);
  return JSON.parse(text);
}

/** A 4xx/5xx answer: its status and its JSON error message. */
export async function failure(response: Response | Promise<Response>): Promise<{ status: number; error: string }> {
  const r = await response;
  expect(r.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await r.json()) as { error: unknown };
  expect(typeof body.error).toBe('string');
  return { status: r.status, error: body.error as string };
}

/** A 400 whose error message holds each of `texts`. */
export async function expectBadRequest(response: Response | Promise<Response>, ...texts: string[]): Promise<void> {
  const { status, error } = await failure(response);
  expect(status).toBe(400);
  for (const text of texts) expect(error).toContain(text);
}

/** The API's Image: float32 pixels, base64 (docs/api.md). */
export interface ApiImage {
  width: number;
  height: number;
  channels?: number;
  data: string;
}

/** One of a data set's samples as the API returns it: its index, its factors, its image. */
export interface ApiSample {
  index: number;
  factors: Record<string, number>;
  image: ApiImage;
}

/**
 * A pair data set's samples (a `/dataset/samples` answer), checked to be `count` images of `count`
 * different sources, each source `views` consecutive indices (an object's or a digit's turns).
 */
export async function distinctSourceSamples(response: Response | Promise<Response>, count: number, views: number): Promise<ApiSample[]> {
  const { samples } = await ok<{ samples: ApiSample[] }>(response);
  expect(samples).toHaveLength(count);
  expect(new Set(samples.map((s) => Math.floor(s.index / views))).size).toBe(count);
  return samples;
}

/**
 * A `/swap` answer for the pair (a, b), checked against `swapParts` computed here (a's invariant part
 * with b's pose, and b's with a's), clamped to [0, 1], to 1e-5; `image` makes an index's input.
 */
export async function expectSwapAsComputed(
  answer: { aWithB: ApiImage[]; bWithA: ApiImage[] },
  swapParts: (a: T.Tensor, b: T.Tensor) => T.Tensor,
  image: (index: number) => T.Tensor,
  [a, b]: [number, number],
): Promise<void> {
  const swapped = (x: number, y: number) => T.noGrad(() => T.tidy(() => swapParts(image(x), image(y)))).data();
  expect(maxDiff(pixels(answer.aWithB[0]), clamp(await swapped(a, b)))).toBeLessThan(1e-5);
  expect(maxDiff(pixels(answer.bWithA[0]), clamp(await swapped(b, a)))).toBeLessThan(1e-5);
}

export const pixels = (image: ApiImage) => {
  const bytes = Buffer.from(image.data, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

/** max |a − b| over two arrays of one length. */
export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

export const clamp = (a: Float32Array) => a.map((v) => Math.min(1, Math.max(0, v)));
