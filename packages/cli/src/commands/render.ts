// `cli render runs/NAME`: PNG figures and a GIF into runs/NAME/figures/.
import { ValidationError } from '@maga/model';
import { announceBackend, choice, command, flagHelp, int, number, toggle } from './args.ts';
import { BACKEND_CHOICES, initBackend } from '../run/backend.ts';
import { RENDER_DEFAULTS, renderRun } from '../figures/render.ts';

export const RENDER_FLAGS = {
  count: int(`images per row of the grids (default ${RENDER_DEFAULTS.count})`, { min: 2, max: 64 }),
  index: int('dSprites index of the traversed image (default: the first test image)', { min: 0, max: 737_279 }),
  steps: int(`values per traversed component (default ${RENDER_DEFAULTS.steps})`, { min: 2, max: 64 }),
  range: number(`sweep each component within ±X of its value (default ${RENDER_DEFAULTS.range})`, { positive: true }),
  scale: int(`pixels per image pixel (default ${RENDER_DEFAULTS.scale})`, { min: 1, max: 8 }),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  help: toggle('show this help'),
};

export function renderHelp(): string {
  return `usage: bun run cli render RUN [flags]

Writes into RUN/figures/: reconstructions-test.png, reconstructions-train.png (rows: pivot,
reconstruction, ground truth), traversal.png (a row per latent component: pivot, the sweep,
the reconstruction), traversal.gif, and for MAGANet recombination.png and identity.png
(x above D(0, x)); figures.json lists them with the identity's largest pixel error.
For a known-group run (latent-action, flow-action): actions.png (per test image, x then D(g, x)
for 8 angles or each element of C_n, and under it the true g·x), actions.gif (a full turn),
swap.png (row i's invariant part with column j's varying part) and the group laws on images.

flags:
${flagHelp(RENDER_FLAGS)}`;
}

export const renderCommand = command(RENDER_FLAGS, renderHelp, async (flags, positionals) => {
  if (positionals.length !== 1) throw new ValidationError(`render takes one run directory, got ${positionals.length}`);
  const backend = await initBackend(flags.backend);
  announceBackend(backend);
  const result = await renderRun(positionals[0], {
    count: flags.count ?? RENDER_DEFAULTS.count,
    index: flags.index,
    steps: flags.steps ?? RENDER_DEFAULTS.steps,
    range: flags.range ?? RENDER_DEFAULTS.range,
    scale: flags.scale ?? RENDER_DEFAULTS.scale,
  });
  console.log(`figures of step ${result.step} in ${result.dir}: ${result.files.join(', ')}`);
  if (result.groupLaws) {
    const l = result.groupLaws;
    console.log(`group laws on the shown test images (max |Δpixel|): identity ${l.identity.toExponential(2)}, composition ${l.composition.toExponential(2)}, inverse ${l.inverse.toExponential(2)}`);
  } else if (result.identityMaxError !== null) console.log(`identity: max |D(0, x) - x| = ${result.identityMaxError.toExponential(2)}`);
  for (const note of result.skipped) console.log(`skipped ${note}`);
  return 0;
});
