// Figures of a trained known-group run (latent-action, flow-action): for test images x, what the
// model makes of x under several group elements g beside the true g·x; a full turn as a GIF (SO(2),
// SO(3)); the invariant/varying swap grid; and the group laws of the decoder on images. The model
// sees only x and g: the true g·x is rendered from the data set's factors, for comparison. Colour
// data sets (the 3-D sets, 3×64×64) give colour PNGs and GIFs.
import { elementSize, groupOf, Inference, type GroupConfig, type ImageSource, type Model, type PairDataset } from '@maga/model';
import * as T from '@maga/tensor';
import { modelGroup, openRunDataset } from '../train/data.ts';
import { encodeGif, encodePng, grid, split, type Raster, type Tiles } from './images.ts';
import type { RunConfig } from '../run/rundir.ts';

export interface PairFigureOptions {
  /** Test images shown (rows of the actions figure, rows and columns of the swap grid). */
  count: number;
  /** Pixels per image pixel. */
  scale: number;
}

/** A group element as figures.json lists it: an angle or a step j, or a quaternion [w, x, y, z]. */
export type FigureElement = number | number[];

export interface PairFigures {
  files: Record<string, Uint8Array>;
  /** The group elements of the actions figure's columns. */
  elements: FigureElement[];
  /** max |Δpixel| of the group laws on the shown test images (first pair of elements). */
  groupLaws: { identity: number; composition: number; inverse: number; elements: [FigureElement, FigureElement] } | null;
  skipped: string[];
}

/** An element as figures.json lists it: one number as a number, a quaternion as its four. */
const listed = (g: number[]): FigureElement => (g.length === 1 ? g[0] : g);

/**
 * The columns' elements, as the group gives them (Group.figureElements): 8 angles a turn for SO(2),
 * every element of C_n (up to 12); for SO(3) a turn about the vertical axis in 4 steps (0°, 90°,
 * 180°, 270°), then 90° and 180° about x and about z (quaternions, w ≥ 0, float32).
 */
export const figureElements = (group: GroupConfig): FigureElement[] => groupOf(group).figureElements().map(listed);

/** The frames of the GIF: a full turn in 24 steps (SO(2); SO(3) about the tilted axis (1, 1, 0)), or a cycle through C_n. */
const turnElements = (group: GroupConfig): FigureElement[] => groupOf(group).turnElements().map(listed);

const values = (g: FigureElement) => (typeof g === 'number' ? [g] : g);

/** Pixels of D(g, x) for one element g per image x [n, C, H, W] (host), clamped to [0, 1]. */
async function act(model: Model, x: Float32Array, shape: readonly number[], g: FigureElement[]): Promise<Float32Array> {
  const n = g.length;
  const k = model.codeDim;
  const out = T.tidy(() => {
    const prepared = model.prepare(T.tensor(x, [n, ...shape]));
    try {
      return T.keep(prepared.decode(T.tensor(Float32Array.from(g.flatMap(values)), [n, k])));
    } finally {
      prepared.dispose();
    }
  });
  const pixels = await out.data();
  out.dispose();
  return pixels.map((v) => Math.min(1, Math.max(0, v)));
}

/** The test pairs' x images and, for each element, the true g·x (from the same evaluation set `eval` uses). */
function testImages(dataset: PairDataset, count: number, elements: FigureElement[]): { x: Float32Array; truths: Float32Array[] } {
  const specs = dataset.evaluationSet({ pairs: count, seed: 0 }).specs;
  const x = dataset.renderPairs(specs).x;
  const truths = elements.map((g) => dataset.renderPairs(specs.map((s) => dataset.withElement(s, values(g)))).gx);
  return { x, truths };
}

export async function renderPairFigures(model: Model, config: RunConfig, options: PairFigureOptions): Promise<PairFigures> {
  const dataset = await openRunDataset(config);
  const group = modelGroup(model);
  const shape = dataset.imageShape;
  const size = shape[1];
  const channels = shape[0] === 3 ? 3 : 1;
  if (shape[0] !== channels) throw new Error(`render: images of ${shape[0]} channels cannot be drawn (1 or 3)`);
  if (elementSize(group) !== dataset.elementSize) throw new Error(`render: the model's ${elementSize(group)}-number elements do not fit ${dataset.name} ${dataset.label}'s ${dataset.elementSize}`);
  const pixels = shape[0] * shape[1] * shape[2];
  const files: Record<string, Uint8Array> = {};
  const skipped: string[] = [];
  const png = (tiles: Tiles) => encodePng(grid(tiles, options.scale, size, channels));
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

  // A full turn (SO(2), SO(3)) or a cycle through C_n: one frame per element, every test image in a row.
  const frames: Raster[] = [];
  for (const g of turnElements(group)) frames.push(grid([split(await act(model, x, shape, Array(count).fill(g)), pixels)], options.scale, size, channels));
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
    const pair: [FigureElement, FigureElement] = [elements[1] ?? elements[0], elements[Math.min(3, elements.length - 1)]];
    const source: ImageSource = { shape, render: (indices) => concat(indices.map((i) => xs[i])) };
    const inference = new Inference(model, source);
    try {
      const worst = { identity: 0, composition: 0, inverse: 0 };
      for (let i = 0; i < count; i++) {
        const l = await inference.groupLaws(i, Float32Array.from(values(pair[0])), Float32Array.from(values(pair[1])));
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
