// `cli eval runs/A [runs/B …] [--json] [--count N]`: metrics as a table or JSON, runs side by side;
// with two dSprites runs, the to-diff of their reconstructions as well.
import { ValidationError } from '@maga/model';
import { announceBackend, choice, command, flagHelp, int, toggle } from './args.ts';
import { BACKEND_CHOICES, initBackend } from '../run/backend.ts';
import { evaluateRuns, formatReport } from '../evaluate/evaluate.ts';

export const EVAL_FLAGS = {
  count: int("images evaluated on each of test and train (default: the run's --eval-count)", { min: 1, max: 737_280 }),
  json: toggle('print JSON instead of a table (keys: docs/cli.md)'),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  'allow-non-finite': toggle('load weights holding NaN/Inf (refused otherwise) and print non-finite metrics, to inspect a diverged run'),
  help: toggle('show this help'),
};

export function evalHelp(): string {
  return `usage: bun run cli eval RUN [RUN2 …] [flags]

Evaluates each run's checkpoint on a seeded sample of its split's test part and train part
(BCE per image, MSE, PSNR, SSIM) and writes its metrics.json. With two dSprites runs, also prints
the to-diff: BCE per image between their reconstructions of the same test images (RUN's split).
Known-group runs (latent-action, flow-action) are evaluated on a fixed, seeded set of pairs
(x, g·x), the model given only x and g, with g stratified over buckets (45° arcs of θ for so2,
each j for c<n>); a second table shows test PSNR and SSIM per bucket, the runs side by side.

flags:
${flagHelp(EVAL_FLAGS)}`;
}

export const evalCommand = command(EVAL_FLAGS, evalHelp, async (flags, positionals) => {
  if (positionals.length < 1) throw new ValidationError('eval takes one or more run directories, got none');
  const backend = await initBackend(flags.backend);
  const note = flags.json ? () => {} : (text: string) => console.error(text);
  announceBackend(backend, note);
  const report = await evaluateRuns(positionals, flags.count, note, flags['allow-non-finite']);
  console.log(flags.json ? JSON.stringify({ backend: backend.description, ...report }, null, 2) : formatReport(report));
  return 0;
});
