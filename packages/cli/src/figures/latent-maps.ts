// The latent maps of the MAGANet blog (its Figures 5–8): the codes of a seeded sample of training
// images, MAGANet's z = μ(E(x)) − μ(E(pivot)) beside the β-VAE's μ(x), reduced to 2-D by UMAP
// (50 neighbours, as the blog) and drawn as scatter plots coloured by one dSprites factor of the
// image: shape, x-position, y-position, scale. The blog plots 3-D UMAPs interactively; a results
// page needs still images, so ours are 2-D (the viewer's latent map is the 3-D one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { dsprites, evalIndices, UniformStream, type SplitName } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { codes, DEFAULT_PIVOT } from '../inference/adapters.ts';
import { loadTrainedModel } from '../inference/load.ts';
import { umapEmbed } from './umap.ts';

type Rgb = readonly [number, number, number];

/** An RGB raster, three bytes per pixel, row-major. */
export interface RgbRaster {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export function encodeRgbPng(raster: RgbRaster): Uint8Array {
  const png = new PNG({ width: raster.width, height: raster.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(raster.rgb.buffer, raster.rgb.byteOffset, raster.rgb.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}

/** Viridis at five anchors (0, ¼, ½, ¾, 1), linearly interpolated: dark blue for 0, yellow for 1. */
const RAMP: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function rampColour(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(RAMP[i][c] + f * (RAMP[i + 1][c] - RAMP[i][c]))) as unknown as Rgb;
}

/** Shapes (square, ellipse, heart): three colours apart in hue and lightness. */
export const SHAPE_COLOURS: readonly Rgb[] = [
  [31, 119, 180],
  [230, 120, 20],
  [44, 160, 44],
];

export interface ScatterPanel {
  /** [x, y] per point, any scale: each panel is fitted to its own box. */
  points: readonly (readonly number[])[];
  colours: readonly Rgb[];
}

const PANEL = 360;
const GAP = 8;
const SCATTER_KEY = 0x73636174; // "scat": the drawing order's stream
const MARGIN = 0.04;

/**
 * Panels side by side on white, each point a 3×3 dot blended at 60 % over what is under it, in a
 * seeded shuffled order so that no colour is always drawn last. A strip under the panels shows the
 * colour key: `key` colours left to right.
 */
export function scatter(panels: readonly ScatterPanel[], key: readonly Rgb[], seed = 0): RgbRaster {
  const keyHeight = 12;
  const width = panels.length * PANEL + (panels.length + 1) * GAP;
  const height = PANEL + keyHeight + 3 * GAP;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const random = new UniformStream(seed, SCATTER_KEY);
  panels.forEach((panel, p) => {
    if (panel.points.length !== panel.colours.length) throw new Error(`scatter: panel ${p} has ${panel.points.length} points but ${panel.colours.length} colours`);
    const left = GAP + p * (PANEL + GAP);
    const top = GAP;
    // A light frame around the panel.
    for (let i = 0; i < PANEL; i++) {
      for (const [x, y] of [[left + i, top], [left + i, top + PANEL - 1], [left, top + i], [left + PANEL - 1, top + i]]) rgb.fill(200, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
    const xs = panel.points.map((q) => q[0]);
    const ys = panel.points.map((q) => q[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const span = Math.max(x1 - x0, y1 - y0) || 1;
    const inner = PANEL * (1 - 2 * MARGIN);
    const order = panel.points.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.integer(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const i of order) {
      const cx = Math.round(left + PANEL * MARGIN + ((xs[i] - x0 + (span - (x1 - x0)) / 2) / span) * inner);
      const cy = Math.round(top + PANEL * MARGIN + ((y1 - ys[i] + (span - (y1 - y0)) / 2) / span) * inner);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const o = ((cy + dy) * width + cx + dx) * 3;
          for (let c = 0; c < 3; c++) rgb[o + c] = Math.round(0.4 * rgb[o + c] + 0.6 * panel.colours[i][c]);
        }
      }
    }
  });
  const keyTop = PANEL + 2 * GAP;
  const keyWidth = width - 2 * GAP;
  for (let x = 0; x < keyWidth; x++) {
    const colour = key[Math.min(key.length - 1, Math.floor((x / keyWidth) * key.length))];
    for (let y = keyTop; y < keyTop + keyHeight; y++) rgb.set(colour, (y * width + GAP + x) * 3);
  }
  return { width, height, rgb };
}

export interface LatentMapRun {
  label: string;
  dir: string;
}

export interface LatentMapOptions {
  split: SplitName;
  count: number;
  nNeighbors: number;
  seed: number;
  /** Figures are written here as `${prefix}-latent-${factor}.png`. */
  dir: string;
  prefix: string;
  note?: (text: string) => void;
}

export const LATENT_MAP_FACTORS = ['shape', 'posX', 'posY', 'scale'] as const;
type MapFactor = (typeof LATENT_MAP_FACTORS)[number];

const FACTOR_PROSE: Record<MapFactor, string> = {
  shape: 'shape (blue square, orange ellipse, green heart)',
  posX: 'x-position (dark blue at posX 0 → yellow at posX 1)',
  posY: 'y-position (dark blue at posY 0 → yellow at posY 1)',
  scale: 'scale (dark blue smallest → yellow largest)',
};

export interface LatentMapFigure {
  factor: MapFactor;
  file: string;
  caption: string;
}

/**
 * One figure per factor, each with a panel per run (left to right, in `runs` order), on the same
 * `count` training images of `split` for every run.
 */
export async function latentMaps(runs: readonly LatentMapRun[], options: LatentMapOptions): Promise<LatentMapFigure[]> {
  const note = options.note ?? (() => {});
  let images: Int32Array | null = null;
  const embedded: number[][][] = [];
  for (const run of runs) {
    const trained = await loadTrainedModel(run.dir);
    try {
      images ??= evalIndices(trained.model, { split: options.split, part: 'train', count: options.count, seed: options.seed }).varying;
      note(`latent map: ${run.label} (${run.dir}) encodes ${images.length} ${options.split} training images; UMAP to 2-D`);
      const z = await codes(trained.model, DEFAULT_PIVOT, images);
      const dim = trained.model.codeDim;
      const data = Array.from({ length: images.length }, (_, i) => Array.from(z.subarray(i * dim, (i + 1) * dim)));
      embedded.push(umapEmbed(data, { nComponents: 2, nNeighbors: options.nNeighbors, seed: options.seed }));
    } finally {
      trained.model.dispose();
    }
  }
  if (!images) return [];
  const factors = Array.from(images, (i) => dsprites.factorsOf(i).classes);
  const sizes = dsprites.DSPRITES.sizes;
  fs.mkdirSync(options.dir, { recursive: true });
  const figures: LatentMapFigure[] = [];
  for (const factor of LATENT_MAP_FACTORS) {
    const colour = (i: number): Rgb => (factor === 'shape' ? SHAPE_COLOURS[factors[i].shape] : rampColour(factors[i][factor] / (sizes[factor] - 1)));
    const key = factor === 'shape' ? SHAPE_COLOURS : Array.from({ length: 64 }, (_, k) => rampColour(k / 63));
    const raster = scatter(
      embedded.map((points) => ({ points, colours: points.map((_, i) => colour(i)) })),
      key,
      options.seed,
    );
    const file = path.join(options.dir, `${options.prefix}-latent-${factor}.png`);
    writeFileAtomic(file, encodeRgbPng(raster));
    figures.push({
      factor,
      file,
      caption: `${runs.map((r) => r.label).join(' | ')}: UMAP (2-D, ${options.nNeighbors} neighbours, seed ${options.seed}) of the codes of ${images.length} ${options.split} training images, coloured by ${FACTOR_PROSE[factor]}; the strip under the panels is the colour key`,
    });
  }
  return figures;
}
