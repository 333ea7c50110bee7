// `cli export tensorboard RUN… [--out DIR]`: each run's curves, metrics, figures and config as a
// TensorBoard event file in DIR/<run name>/ (export/tensorboard-run.ts says what goes in), so that
// `tensorboard --logdir DIR` (or W&B, which reads the same files) shows them beside other projects'.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '@maga/model';
import { choice, flagHelp, parseArgs, text, toggle } from './args.ts';
import { BACKEND_CHOICES, initBackend } from '../run/backend.ts';
import { exportRun, figureImages } from '../export/tensorboard-run.ts';
import { renderRun } from '../figures/render.ts';
import { filePath, readRunConfig } from '../run/rundir.ts';

export const EXPORT_FLAGS = {
  out: text('directory of the event files, one sub-directory per run (default tensorboard)', 'DIR'),
  'no-render': toggle('use only the figures already in RUN/figures/ (default: render them, as cli render, for a run that has none)'),
  backend: choice(BACKEND_CHOICES, 'compute backend for rendering figures (default: MAGA_BACKEND, else auto)'),
  help: toggle('show this help'),
};

export function exportHelp(): string {
  return `usage: bun run cli export tensorboard RUN… [flags]

Writes each run's TensorBoard event file into DIR/<run name>/: every loss term of log.jsonl
(loss/…) and the learning rate and images/s (training/…) at their steps, metrics.json (test/…,
train-sample/…, a pair run's per bucket of g), the PNG figures of RUN/figures/ (figures/…; a run
without figures gets them rendered first, as cli render, unless --no-render) and config.json as
text. Exporting a run again replaces its earlier export. Then: tensorboard --logdir DIR

flags:
${flagHelp(EXPORT_FLAGS)}`;
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, EXPORT_FLAGS);
  if (flags.help) {
    console.log(exportHelp());
    return 0;
  }
  const [format, ...runs] = positionals;
  if (format !== 'tensorboard') throw new ValidationError(`export takes the format first: tensorboard (the only one), got ${format === undefined ? 'nothing' : JSON.stringify(format)}`);
  if (runs.length === 0) throw new ValidationError('export tensorboard needs at least one run directory');
  const names = runs.map((run) => path.basename(path.resolve(run)));
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new ValidationError(`two runs are named ${twice}: each run's event file goes to DIR/<run name>/, so export them into different --out directories`);
  const out = flags.out ?? 'tensorboard';
  for (const run of runs) readRunConfig(run); // every run readable before anything is written
  let backendReady = false;
  for (const [i, run] of runs.entries()) {
    if (!flags['no-render'] && !figureImages(run) && fs.existsSync(filePath(run, 'model'))) {
      if (!backendReady) {
        const backend = await initBackend(flags.backend);
        if (backend.fallback) console.error(`maga: ${backend.fallback}`);
        console.error(`backend: ${backend.description}`);
        backendReady = true;
      }
      console.error(`${run} has no figures: rendering them into ${path.join(run, 'figures')} (as cli render; --no-render skips this)`);
      await renderRun(run);
    }
    const result = exportRun(run, path.join(out, names[i]));
    const replaced = result.replaced > 0 ? `, replacing ${result.replaced} earlier export${result.replaced > 1 ? 's' : ''}` : '';
    console.log(`${run} → ${result.file} (${result.scalars} scalars, ${result.images} images, the config${replaced})`);
  }
  console.log(`tensorboard --logdir ${out}`);
  return 0;
}
