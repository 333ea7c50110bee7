// Starting the server: the backend, the shared caches and queue, the Hono app, and Bun.serve.
import * as path from 'node:path';
import type * as T from '@maga/tensor';
import { createApp, MAX_BODY_BYTES } from './app.ts';
import { initBackend } from '../run/backend.ts';
import { codeVersion } from '../run/rundir.ts';
import { EmbeddingCache } from './embedding.ts';
import type { ServerContext } from './handlers.ts';
import { ModelCache } from './models.ts';
import { GpuQueue } from './queue.ts';
import { openRunsDir } from './runs.ts';

/** Where `bun run build:viewer` puts the viewer. */
export const VIEWER_DIST = path.resolve(import.meta.dir, '../../../viewer/dist');

export interface ServeOptions {
  runsDir: string;
  port?: number;
  host?: string;
  backend?: T.BackendChoice;
  /** The viewer's built files (default packages/viewer/dist; null: never serve them). */
  viewerDir?: string | null;
  /** Load weights holding NaN/Inf instead of refusing them (to inspect a diverged run). */
  allowNonFinite?: boolean;
}

export interface RunningServer {
  url: string;
  context: ServerContext;
  stop(): Promise<void>;
}

/** Builds the server's context: backend, queue and caches over a runs directory. */
export async function createContext(options: Omit<ServeOptions, 'port' | 'host'>): Promise<ServerContext> {
  const backend = await initBackend(options.backend);
  const queue = new GpuQueue();
  const allowNonFinite = options.allowNonFinite ?? false;
  const models = new ModelCache({ allowNonFinite });
  const viewerDir = options.viewerDir === undefined ? VIEWER_DIST : options.viewerDir;
  return {
    root: openRunsDir(options.runsDir),
    // Resolved now, looked for at each request: a viewer built after the server started is served.
    viewerDir: viewerDir ? path.resolve(viewerDir) : null,
    backend,
    allowNonFinite,
    version: codeVersion().version,
    queue,
    models,
    embeddings: new EmbeddingCache(queue, models),
  };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const context = await createContext(options);
  const app = createApp(context);
  const server = Bun.serve({
    port: options.port ?? 8080,
    hostname: options.host ?? '127.0.0.1',
    // Above the API's own 1 MiB limit, so that the API answers 413 in JSON rather than Bun in text.
    maxRequestBodySize: 4 * MAX_BODY_BYTES,
    // UMAP and long traversals on a CPU device can take a while.
    idleTimeout: 255,
    fetch: app.fetch,
  });
  return {
    url: `http://${server.hostname}:${server.port}`,
    context,
    async stop() {
      await server.stop(true);
      context.models.dispose();
    },
  };
}
