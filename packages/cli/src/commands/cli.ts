// `bun run cli <command>`: dispatches to the commands and turns their failures into exit codes:
// 0 success, 1 a run or computation failed, 2 a usage error (a ValidationError: an unknown flag, a
// bad value, an experiment table or a plan that cannot be), 130 stopped
// by Ctrl-C (after saving a checkpoint).
import { ValidationError } from '@maga/model';
import { evalCommand } from './eval.ts';
import { experimentCommand } from './experiment.ts';
import { exportCommand } from './export.ts';
import { renderCommand } from './render.ts';
import { serveCommand } from './serve.ts';
import { trainCommand } from './train.ts';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  train: { run: trainCommand, summary: 'train a model into a run directory (no flags: the quick MAGANet on dSprites to-range)' },
  eval: { run: evalCommand, summary: 'metrics of runs on their test split and a train sample; to-diff of two runs' },
  render: { run: renderCommand, summary: 'PNG figures and a GIF of a run into runs/NAME/figures/' },
  serve: { run: serveCommand, summary: 'the viewer and the JSON API over a runs directory' },
  experiment: { run: experimentCommand, summary: 'run an experiment (a table of runs with seeds), resumable, and write docs/results.md' },
  export: { run: exportCommand, summary: 'runs as TensorBoard event files (export tensorboard RUN… --out DIR)' },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`);
  return `usage: bun run cli <command> [flags]   (bun run cli <command> --help for its flags)

commands:
${lines.join('\n')}

docs/cli.md has the whole reference; docs/api.md the HTTP API.`;
}

/** Runs the CLI on `argv` (without the program name) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  // No command at all is the README's main job: train with every default.
  const [name, ...rest] = argv.length === 0 ? ['train'] : argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (!command) throw new ValidationError(`unknown command ${JSON.stringify(name)}: expected one of ${Object.keys(COMMANDS).join(', ')}`);
    return await command.run(rest);
  } catch (e) {
    if (e instanceof ValidationError) {
      console.error(`error: ${e.message}`);
      console.error(`(bun run cli ${command ? `${name} ` : ''}--help lists what is accepted)`);
      return 2;
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.MAGA_DEBUG && e instanceof Error) console.error(e.stack);
    return 1;
  }
}
