// `cli serve [--runs DIR] [--port N] [--host ADDR]`: the viewer and the JSON API until Ctrl-C.
import { choice, flagHelp, int, parseArgs, text, toggle, UsageError } from '../args.ts';
import { BACKEND_CHOICES } from '../backend.ts';
import { startServer } from '../serve.ts';

export const SERVE_FLAGS = {
  runs: text('the runs directory to serve (default runs)', 'DIR'),
  port: int('port to listen on (default 8080; 0 picks a free one)', { min: 0, max: 65535 }),
  host: text('address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)', 'ADDR'),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  'allow-non-finite': toggle("serve runs whose weights hold NaN/Inf (each such run's model routes refuse them otherwise)"),
  help: toggle('show this help'),
};

export function serveHelp(): string {
  return `usage: bun run cli serve [flags]

Serves the viewer (packages/viewer/dist, once built with bun run build:viewer) and the JSON API
of docs/api.md over a runs directory. Stop with Ctrl-C.

flags:
${flagHelp(SERVE_FLAGS)}`;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, SERVE_FLAGS);
  if (flags.help) {
    console.log(serveHelp());
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments, got ${JSON.stringify(positionals[0])} (did you mean --runs ${positionals[0]}?)`);
  const server = await startServer({ runsDir: flags.runs ?? 'runs', port: flags.port, host: flags.host, backend: flags.backend, allowNonFinite: flags['allow-non-finite'] });
  const { backend, root, viewerDir } = server.context;
  if (backend.fallback) console.error(`maga: ${backend.fallback}`);
  console.log(`backend: ${backend.description}`);
  console.log(`serving ${root} at ${server.url}${viewerDir ? '' : ' (viewer not built: bun run build:viewer)'}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
  return 0;
}
