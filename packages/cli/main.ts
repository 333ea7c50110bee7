// Entry point of `bun run cli <command>` (= bun packages/cli/main.ts): see src/commands/cli.ts and docs/cli.md.
import { runCli } from './src/commands/cli.ts';

const code = await runCli(process.argv.slice(2));
// `serve` keeps running (its exit code comes when it stops); everything else exits now, even if
// the GPU device would keep the event loop alive.
process.exit(code);
