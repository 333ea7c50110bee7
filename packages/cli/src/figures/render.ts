// Figures of a trained run, as in the MAGANet blog: reconstruction grids, latent traversals (PNG
// and an animated GIF), a recombination grid and the identity check D(0, x) = x. Written into
// runs/NAME/figures/ with a figures.json that lists them and the numbers they show. Known-group
// runs get their own figures (render-pairs.ts): x under several g beside the true g·x, the swap grid.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dsprites, evalIndices, type Model } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { encodeGif, encodePng, grid, split, type Raster, type Tiles } from './images.ts';
import { actOn, codes, DEFAULT_PIVOT, decode, PIXELS, recombine, traverse } from '../inference/adapters.ts';
import { loadTrainedModel } from '../inference/load.ts';
import { renderPairFigures } from './render-pairs.ts';
import { FILES, splitOf, type RunConfig } from '../run/rundir.ts';

export interface RenderOptions {
  /** Images per row of the reconstruction, recombination and identity figures. */
  count: number;
  /** The dSprites index of the traversed image (default: the first test image of the sample). */
  index?: number;
  /** Values per traversed component, and how far each goes either side of its value. */
  steps: number;
  range: number;
  /** Pixels per image pixel in the PNGs and the GIF. */
  scale: number;
}

export const RENDER_DEFAULTS: RenderOptions = { count: 8, steps: 9, range: 2, scale: 2 };

export interface RenderResult {
  dir: string;
  step: number;
  files: string[];
  /** max |D(0, x) − x| over the identity figure's images (MAGANet; a pair run's D(e, x)). */
  identityMaxError: number | null;
  /** A known-group run's group laws on images: max |Δpixel| of each law. */
  groupLaws?: { identity: number; composition: number; inverse: number } | null;
  skipped: string[];
}

/** The dSprites split of a run, for the dSprites figures. */
const splitFor = (config: RunConfig) => {
  const split = splitOf(config.data);
  if (split === null) throw new Error(`${config.data.dataset} runs are drawn by render-pairs.ts`);
  return split;
};

const render1 = (indices: ArrayLike<number>) => split(dsprites.renderBatch(indices), PIXELS);

/** A seeded sample of a split part (the same images `eval` uses first). */
function sample(model: Model, config: RunConfig, part: 'train' | 'test', count: number): { pivot: number; varying: number[] } {
  const { pivot, varying } = evalIndices(model, { split: splitFor(config), part, count, seed: 0 });
  return { pivot: pivot.length > 0 ? pivot[0] : DEFAULT_PIVOT, varying: Array.from(varying) };
}

export async function renderRun(dir: string, options: RenderOptions = RENDER_DEFAULTS): Promise<RenderResult> {
  const { config, model, step } = await loadTrainedModel(dir);
  const out = path.join(dir, FILES.figures);
  fs.mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const skipped: string[] = [];
  const write = (name: string, bytes: Uint8Array) => {
    writeFileAtomic(path.join(out, name), bytes);
    files.push(name);
  };
  const png = (name: string, tiles: Tiles) => write(name, encodePng(grid(tiles, options.scale)));
  // A known g's model is drawn acting with the group's elements on its data set's test images (render-pairs.ts).
  if (model.traits.element === 'known') {
    try {
      const figures = await renderPairFigures(model, config, { count: options.count, scale: Math.max(options.scale, 3) });
      for (const [name, bytes] of Object.entries(figures.files)) write(name, bytes);
      const summary = { step, createdAt: new Date().toISOString(), options, elements: figures.elements, groupLaws: figures.groupLaws, files, skipped: figures.skipped };
      writeFileAtomic(path.join(out, 'figures.json'), `${JSON.stringify(summary, null, 2)}\n`);
      return { dir: out, step, files, identityMaxError: figures.groupLaws?.identity ?? null, groupLaws: figures.groupLaws, skipped: figures.skipped };
    } finally {
      model.dispose();
    }
  }
  // A decoder that acts on a pivot shows it beside each figure; one that decodes codes alone has none.
  const acts = model.traits.pivot;
  const pivot = acts ? DEFAULT_PIVOT : 0;
  const pivotImage = render1([pivot])[0];

  // Reconstructions: (pivot,) reconstruction, ground truth — for test and for train images.
  for (const part of ['test', 'train'] as const) {
    const { varying } = sample(model, config, part, options.count);
    const truth = render1(varying);
    const z = await codes(model, pivot, varying);
    const reconstructed = split(await decode(model, pivot, z));
    const rows: Tiles = [reconstructed, truth];
    if (acts) rows.unshift(varying.map(() => pivotImage));
    png(`reconstructions-${part}.png`, rows);
  }

  // Traversal of one test image: a row per latent component, pivot | sweep | reconstruction.
  const index = options.index ?? sample(model, config, 'test', 1).varying[0];
  const components = Array.from({ length: model.codeDim }, (_, c) => c);
  const traversal = await traverse(model, pivot, index, options.range, options.steps, components);
  const base = split(await decode(model, pivot, traversal.z))[0];
  png('traversal.png', traversal.images.map((row) => [acts ? pivotImage : null, ...row, base]));
  // The GIF sweeps every component at once, one tile each, back and forth.
  const frames: Raster[] = [];
  const order = [...Array(options.steps).keys(), ...[...Array(options.steps).keys()].reverse().slice(1, -1)];
  for (const k of order) frames.push(grid([traversal.images.map((row) => row[k])], options.scale));
  write('traversal.gif', encodeGif(frames));

  let identityMaxError: number | null = null;
  if (model.traits.transfer === 'action' && model.traits.groupLaws) {
    // Recombination: the transformation of (pivot → source) applied to other images as pivots.
    const sources = sample(model, config, 'test', Math.min(4, options.count)).varying;
    const targets = sample(model, config, 'train', options.count).varying;
    const rows: Tiles = [[null, null, ...render1(targets)]];
    for (const source of sources) {
      const { images } = await recombine(model, { pivot, varying: source }, targets);
      rows.push([pivotImage, render1([source])[0], ...split(images)]);
    }
    png('recombination.png', rows);

    // Identity: x above D(0, x), for the pivot and some test images.
    const xs = [pivot, ...sample(model, config, 'test', options.count - 1).varying];
    const inputs = render1(xs);
    const outputs = split(await actOn(model, new Float32Array(model.codeDim), xs));
    identityMaxError = outputs.reduce((m, out, i) => out.reduce((mm, v, p) => Math.max(mm, Math.abs(v - inputs[i][p])), m), 0);
    png('identity.png', [inputs, outputs]);
  } else {
    skipped.push(`recombination.png and identity.png: a ${model.traits.label} has no pivot to act on`);
  }
  model.dispose();

  const summary = { step, createdAt: new Date().toISOString(), options, traversedIndex: index, identityMaxError, files, skipped };
  writeFileAtomic(path.join(out, 'figures.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { dir: out, step, files, identityMaxError, skipped };
}
