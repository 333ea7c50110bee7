// `cli serve [--runs DIR] [--port N] [--host ADDR]`: the viewer and the JSON API until Ctrl-C.
import { ValidationError } from '@maga/model';
import { announceBackend, choice, command, flagHelp, int, text, toggle } from './args.ts';
import { BACKEND_CHOICES } from '../run/backend.ts';
import * as path from 'node:path';
import { startServer, VIEWER_DIST } from '../server/serve.ts';
import { buildViewer, viewerBuilt } from '../server/viewer-build.ts';

export const SERVE_FLAGS = {
  runs: text('the runs directory to serve (default runs)', 'DIR'),
  port: int('port to listen on (default 8080; 0 picks a free one)', { min: 0, max: 65535 }),
  host: text('address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)', 'ADDR'),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  'allow-non-finite': toggle("serve runs whose weights hold NaN/Inf (each such run's model routes refuse them otherwise)"),
  'no-build': toggle('do not build the viewer when packages/viewer/dist is missing (serve the API and a page saying how to build it)'),
  help: toggle('show this help'),
};

export function serveHelp(): string {
  return `usage: bun run cli serve [flags]

Serves the viewer (packages/viewer/dist) and the JSON API of docs/api.md over a runs directory.
When the viewer has not been built yet, it is built first (bun run build:viewer, a few seconds)
unless --no-build. Stop with Ctrl-C.

flags:
${flagHelp(SERVE_FLAGS)}`;
}

export const serveCommand = command(SERVE_FLAGS, serveHelp, async (flags, positionals) => {
  if (positionals.length > 0) throw new ValidationError(`serve takes no positional arguments, got ${JSON.stringify(positionals[0])} (did you mean --runs ${positionals[0]}?)`);
  if (!viewerBuilt(VIEWER_DIST)) {
    if (flags['no-build']) {
      console.log(`viewer: not built (${path.relative(process.cwd(), VIEWER_DIST) || VIEWER_DIST} is missing) and --no-build given: serving the API and a page saying how to build it`);
    } else {
      console.log(`viewer: not built yet: building it now (bun run build:viewer) into ${path.relative(process.cwd(), VIEWER_DIST) || VIEWER_DIST}…`);
      const built = await buildViewer(VIEWER_DIST);
      if (built.ok) console.log(`viewer: built in ${built.seconds.toFixed(1)} s`);
      else console.error(`viewer: the build failed, serving the API and a page saying how to build it: ${built.error}`);
    }
  }
  const server = await startServer({ runsDir: flags.runs ?? 'runs', port: flags.port, host: flags.host, backend: flags.backend, allowNonFinite: flags['allow-non-finite'] });
  const { backend, root, viewerDir } = server.context;
  announceBackend(backend);
  const viewer = viewerDir && viewerBuilt(viewerDir) ? `the viewer from ${path.relative(process.cwd(), viewerDir) || viewerDir}` : 'no viewer (not built: bun run build:viewer)';
  console.log(`serving ${root} at ${server.url} with ${viewer}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  return 0;
});
