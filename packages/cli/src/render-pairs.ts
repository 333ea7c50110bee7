// Figures of a trained known-group run (latent-action, flow-action): for test images x, what the
// model makes of x under several group elements g beside the true g·x; a full turn as a GIF (SO(2));
// the invariant/varying swap grid; and the group laws of the decoder on images. The model sees
// only x and g: the true g·x is rendered from the data set's factors, for comparison.
import { evaluationSet, Inference, type GroupConfig, type GroupDataset, type ImageSource, type Model } from '@maga/model';
import * as T from '@maga/tensor';
import { modelGroup, openRunDataset } from './data.ts';
import { encodeGif, encodePng, grid, split, type Raster, type Tiles } from './images.ts';
import type { RunConfig } from './rundir.ts';

export interface PairFigureOptions {
  /** Test images shown (rows of the actions figure, rows and columns of the swap grid). */
  count: number;
  /** Pixels per image pixel. */
  scale: number;
}

export interface PairFigures {
  files: Record<string, Uint8Array>;
  /** The group elements of the actions figure's columns. */
  elements: number[];
  /** max |Δpixel| of the group laws on the shown test images (first pair of elements). */
  groupLaws: { identity: number; composition: number; inverse: number; elements: [number, number] } | null;
  skipped: string[];
}

/** The columns' elements: 8 angles a turn for SO(2), every element of C_n (up to 12). */
export function figureElements(group: GroupConfig): number[] {
  if (group.kind === 'so2') return Array.from({ length: 8 }, (_, k) => Math.fround((2 * Math.PI * k) / 8));
  return Array.from({ length: Math.min(group.n, 12) }, (_, j) => j);
}

/** Pixels of D(g, x) for one element g and images x [n, C, H, W] (host), clamped to [0, 1]. */
async function act(model: Model, x: Float32Array, shape: readonly number[], g: number[]): Promise<Float32Array> {
  const n = g.length;
  const out = T.tidy(() => {
    const prepared = model.prepare(T.tensor(x, [n, ...shape]));
    try {
      return T.keep(prepared.decode(T.tensor(Float32Array.from(g), [n, 1])));
    } finally {
      prepared.dispose();
    }
  });
  const pixels = await out.data();
  out.dispose();
  return pixels.map((v) => Math.min(1, Math.max(0, v)));
}

/** The test pairs' x images and, for each element, the true g·x (from the same evaluation set `eval` uses). */
function testImages(dataset: GroupDataset, count: number, elements: number[]): { x: Float32Array; truths: Float32Array[] } {
  const specs = evaluationSet(dataset, { pairs: count, seed: 0 }).specs;
  const x = dataset.renderPairs(specs).x;
  const truths = elements.map((g) => dataset.renderPairs(specs.map((s) => ({ ...s, g }))).gx);
  return { x, truths };
}

export async function renderPairFigures(model: Model, config: RunConfig, options: PairFigureOptions): Promise<PairFigures> {
  const dataset = await openRunDataset(config);
  const group = modelGroup(model);
  const shape = dataset.imageShape;
  const size = shape[1];
  const pixels = shape[0] * shape[1] * shape[2];
  const files: Record<string, Uint8Array> = {};
  const skipped: string[] = [];
  const png = (tiles: Tiles) => encodePng(grid(tiles, options.scale, size));
  const count = options.count;
  const elements = figureElements(group);
  const { x, truths } = testImages(dataset, count, elements);
  const xs = split(x, pixels);

  // Actions: per test image, a row of D(g, x) for each g, and under it the true g·x; x leads both.
  const predictions: Float32Array[][] = [];
  for (const g of elements) predictions.push(split(await act(model, x, shape, Array(count).fill(g)), pixels));
  const rows: Tiles = [];
  for (let i = 0; i < count; i++) {
    rows.push([xs[i], ...predictions.map((p) => p[i])]);
    rows.push([null, ...truths.map((t) => split(t, pixels)[i])]);
  }
  files['actions.png'] = png(rows);

  // A full turn (SO(2)) or a cycle through C_n: one frame per element, every test image in a row.
  const turn = group.kind === 'so2' ? Array.from({ length: 24 }, (_, k) => Math.fround((2 * Math.PI * k) / 24)) : Array.from({ length: group.n }, (_, j) => j);
  const frames: Raster[] = [];
  for (const g of turn) frames.push(grid([split(await act(model, x, shape, Array(count).fill(g)), pixels)], options.scale, size));
  files['actions.gif'] = encodeGif(frames);

  // The swap grid: row i's invariant part with column j's varying part, decoded at g = e.
  if (model.traits.latentParts && model.swapParts) {
    const n = Math.min(count, 6);
    const sub = xs.slice(0, n);
    const grid2: Tiles = [[null, ...sub]];
    for (let i = 0; i < n; i++) {
      const out = T.tidy(() => {
        const a = T.tensor(repeat(sub[i], n), [n, ...shape]);
        const b = T.tensor(concat(sub), [n, ...shape]);
        return T.keep(model.swapParts!(a, b));
      });
      const swapped = (await out.data()).map((v) => Math.min(1, Math.max(0, v)));
      out.dispose();
      grid2.push([sub[i], ...split(swapped, pixels)]);
    }
    files['swap.png'] = png(grid2);
  } else {
    skipped.push(`swap.png: a ${model.traits.label} model's latent has no invariant and varying parts`);
  }

  // The group laws on images, over the shown test images, for the first two non-identity elements.
  let groupLaws: PairFigures['groupLaws'] = null;
  if (model.traits.groupLaws && model.groupLaws) {
    const pair: [number, number] = [elements[1] ?? elements[0], elements[Math.min(3, elements.length - 1)]];
    const source: ImageSource = { shape, render: (indices) => concat(indices.map((i) => xs[i])) };
    const inference = new Inference(model, source);
    try {
      const worst = { identity: 0, composition: 0, inverse: 0 };
      for (let i = 0; i < count; i++) {
        const l = await inference.groupLaws(i, Float32Array.of(pair[0]), Float32Array.of(pair[1]));
        worst.identity = Math.max(worst.identity, l.identityError);
        worst.composition = Math.max(worst.composition, l.compositionError);
        worst.inverse = Math.max(worst.inverse, l.inverseError);
      }
      groupLaws = { ...worst, elements: pair };
    } finally {
      inference.dispose();
    }
  }
  return { files, elements, groupLaws, skipped };
}

function concat(images: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(images.reduce((n, im) => n + im.length, 0));
  let offset = 0;
  for (const im of images) {
    out.set(im, offset);
    offset += im.length;
  }
  return out;
}

const repeat = (image: Float32Array, n: number) => concat(Array(n).fill(image));
