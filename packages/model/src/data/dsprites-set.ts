// dSprites as the registry's entry: the grid of 737,280 images (dsprites.ts) under a split (to-element,
// to-range, …: splits.ts), for the models that learn their transformation z from images (MAGANet,
// the β-VAE). Its images for the API are the grid itself (any index), with the grid's description,
// seeded samples of a split's part and an image's factors as latent values and class indices.
import type { Group } from '../groups/group.ts';
import type { ImageSource } from '../inference.ts';
import { ValidationError } from '../validate.ts';
import type { ModelConfig } from '../models/registry.ts';
import { evaluate, uploadBatch } from '../training.ts';
import * as dsprites from './dsprites.ts';
import type { DataImages, DatasetEntry, DspritesData, DspritesFactorsJson, DspritesInfo } from './entry.ts';
import type { FactorInfo } from './pair-set.ts';
import { Sampler, type PivotMode } from './sampler.ts';
import { parseSplit, SPLITS, type SplitName, type SplitPart } from './splits.ts';

const { DSPRITES } = dsprites;
const PIVOT_MODES: readonly PivotMode[] = ['fixed', 'random', 'none'];

/** The grid's images as the API and the decoders address them: by their dSprites index. */
export const DSPRITES_IMAGES: ImageSource = { shape: [1, DSPRITES.imageSize, DSPRITES.imageSize], render: (indices) => dsprites.renderBatch(indices) };

const FACTORS: readonly FactorInfo[] = Object.freeze([
  { name: 'shape', kind: 'class', description: 'the sprite: square, ellipse or heart', classes: DSPRITES.values.shape },
  { name: 'scale', kind: 'id', description: 'the scale class, 0–5 (0.5 to 1)' },
  { name: 'orientation', kind: 'angle', description: 'the orientation, radians in [0, 2π] (40 values)' },
  { name: 'posX', kind: 'id', description: 'the horizontal position class, 0–31' },
  { name: 'posY', kind: 'id', description: 'the vertical position class, 0–31' },
] as FactorInfo[]);

export type { DspritesFactorsJson };

export function dspritesFactorsJson(index: number): DspritesFactorsJson {
  const { values, classes } = dsprites.factorsOf(index);
  return { ...values, classes: { ...classes } };
}

/** What GET /api/dataset says of the grid. */
export function dspritesInfo(): DspritesInfo {
  const { count, values } = DSPRITES;
  return {
    count,
    imageSize: DSPRITES.imageSize,
    factors: { shape: values.shape, scale: values.scale, orientation: values.orientation, posX: values.posX, posY: values.posY },
    splits: SPLITS,
    fixedPivot: dsprites.FIXED_PIVOT.index,
  };
}

// Building a sampler scans the whole grid for the split (~0.1–0.4 s), so samples are memoised.
const samples = new Map<string, Int32Array>();
const SAMPLE_CACHE = 64;

/** `count` images of a split's part (fewer if it is smaller) in a seeded shuffled order. */
export function dspritesSamples(split: SplitName, part: SplitPart, count: number, seed: number): Int32Array {
  const key = `${split}|${part}|${count}|${seed}`;
  let indices = samples.get(key);
  if (!indices) {
    const sampler = new Sampler({ split, part, batchSize: 1, pivots: 'none', seed });
    indices = Int32Array.from({ length: Math.min(count, sampler.epochSize) }, () => sampler.next().varying[0]);
    if (samples.size >= SAMPLE_CACHE) samples.delete(samples.keys().next().value!);
    samples.set(key, indices);
  }
  return indices;
}

/** dSprites as a run's images, sampled from `split`. */
export function dspritesImages(split: SplitName): DataImages {
  return {
    kind: 'dsprites',
    source: DSPRITES_IMAGES,
    size: DSPRITES.imageSize,
    channels: 1,
    count: DSPRITES.count,
    defaultPivot: dsprites.FIXED_PIVOT.index,
    factorsOf: dspritesFactorsJson,
    samples: (part, count, seed) => Array.from(dspritesSamples(split, part, count, seed)),
    info: () => ({ kind: 'dsprites', dataset: 'dsprites', split, group: null, ...dspritesInfo() }),
    embeddingTag: split,
  };
}

export const DSPRITES_SET: DatasetEntry<DspritesData> = {
  name: 'dsprites',
  description: "DeepMind's dSprites grid, generated procedurally: 737,280 binary 64×64 images of three shapes over scale, orientation and position, under a recombination split",
  batch: 'dsprites',
  imageShape: [1, DSPRITES.imageSize, DSPRITES.imageSize],
  groups: [],
  defaultGroup: null,
  sources: 'images',
  unit: 'images',
  action: 'transformed by z',
  presets: {},
  rateKey: null,
  renderAhead: false,
  factors: (_group: Group | null) => FACTORS,

  parseData(fields: Record<string, unknown>, _model: ModelConfig): DspritesData {
    let split: SplitName;
    try {
      split = parseSplit(String(fields.split));
    } catch (e) {
      throw new ValidationError(`data.split: ${(e as Error).message}`, 'data.split');
    }
    if (!PIVOT_MODES.includes(fields.pairing as PivotMode)) throw new ValidationError(`data.pairing must be fixed, random or none, got ${JSON.stringify(fields.pairing)}`, 'data.pairing');
    return { dataset: 'dsprites', split, pairing: fields.pairing as PivotMode, limit: fields.limit as number | null };
  },

  label: (data) => `dsprites ${data.split}`,
  tag: (data) => data.split,

  async training(data, { batchSize, seed }) {
    const sampler = new Sampler({ split: data.split, part: 'train', batchSize, pivots: data.pairing, seed, limit: data.limit ?? undefined });
    return {
      sampler,
      upload: (batch) => {
        const b = batch as ReturnType<typeof sampler.next>;
        return uploadBatch(b.pivot, b.varying);
      },
    };
  },

  evaluate: (model, data, options) => evaluate(model, { split: data.split, part: options.part, count: options.count, seed: options.seed ?? 0, batchSize: options.batchSize, onProgress: options.onProgress, parallel: options.parallel }),

  images: async (data) => dspritesImages(data.split),
};
