// Images for the API: dSprites (the grid's description, seeded samples of a split's part, an
// image's factors in the API's shape: latent values plus their class indices), and a run's images
// whichever data set it trained on (RunImages): dSprites, a 2-D pair set (server/pairs.ts) or a
// 3-D one (server/objects3d.ts).
import { dsprites, Sampler, SPLITS, type ImageSource, type SplitName, type SplitPart } from '@maga/model';
import { DEFAULT_PIVOT, DSPRITES_IMAGES } from '../inference/adapters.ts';
import { RotationImages, rotationData } from './objects3d.ts';
import { apiGroupLabel, pairData, PairImages, type PairFactorsJson } from './pairs.ts';

export interface FactorsJson {
  shape: string;
  scale: number;
  orientation: number;
  posX: number;
  posY: number;
  classes: { shape: number; scale: number; orientation: number; posX: number; posY: number };
}

export function factorsJson(index: number): FactorsJson {
  const { values, classes } = dsprites.factorsOf(index);
  return { ...values, classes: { ...classes } };
}

export function datasetInfo() {
  const { count, values } = dsprites.DSPRITES;
  return {
    count,
    imageSize: dsprites.DSPRITES.imageSize,
    factors: { shape: values.shape, scale: values.scale, orientation: values.orientation, posX: values.posX, posY: values.posY },
    splits: SPLITS,
    fixedPivot: dsprites.FIXED_PIVOT.index,
  };
}

// Building a sampler scans the whole grid for the split (~0.1–0.4 s), so samples are memoised.
const samples = new Map<string, Int32Array>();
const SAMPLE_CACHE = 64;

/** `count` images of a split's part (fewer if it is smaller) in a seeded shuffled order. */
export function sampleIndices(split: SplitName, part: SplitPart, count: number, seed: number): Int32Array {
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

/**
 * The images a run's routes address by index: dSprites (64×64, any index of the grid) for a
 * dSprites run, or the run's pair data set (32×32 grey, server/pairs.ts; 3×64×64 colour,
 * server/objects3d.ts). Routes validate indices against `count` and render through `source`.
 */
export interface RunImages {
  kind: 'dsprites' | 'pairs';
  source: ImageSource;
  /** Side of the square images. */
  size: number;
  /** 1 (grey) or 3 (RGB planes). */
  channels: number;
  count: number;
  defaultPivot: number;
  factorsOf(index: number): FactorsJson | PairFactorsJson;
  /** Seeded images of a part (dSprites: of the run's split). */
  samples(part: SplitPart, count: number, seed: number): number[];
  /** What `GET /api/runs/:id/dataset` answers. */
  info(): RunDatasetInfo;
  /** Those of the embedding's options that make its cache file's name. */
  embeddingTag: string;
}

/** What `GET /api/runs/:id/dataset` says of a run's images: dSprites and its split, or a pair set. */
export type RunDatasetInfo =
  | ({ kind: 'dsprites'; dataset: 'dsprites'; split: SplitName; group: null } & ReturnType<typeof datasetInfo>)
  | ReturnType<PairImages['info']>
  | ReturnType<RotationImages['info']>;

/** dSprites as a run's images, sampled from `split`. */
export function dspritesImages(split: SplitName): RunImages {
  return {
    kind: 'dsprites',
    source: DSPRITES_IMAGES,
    size: dsprites.DSPRITES.imageSize,
    channels: 1,
    count: dsprites.DSPRITES.count,
    defaultPivot: DEFAULT_PIVOT,
    factorsOf: factorsJson,
    samples: (part, count, seed) => Array.from(sampleIndices(split, part, count, seed)),
    info: () => ({ kind: 'dsprites' as const, dataset: 'dsprites' as const, split, group: null, ...datasetInfo() }),
    embeddingTag: split,
  };
}

/** A pair data set's images (2-D sets or the 3-D renders) as the routes see them; `tag` names its embeddings. */
function pairImages(images: PairImages | RotationImages, tag: string): RunImages {
  return {
    kind: 'pairs',
    source: images,
    size: images.shape[1],
    channels: images.shape[0],
    count: images.count,
    defaultPivot: images.defaultPivot,
    factorsOf: (index) => images.factorsOf(index),
    samples: (part, count, seed) => images.samples(part, count, seed),
    info: () => images.info(),
    embeddingTag: tag,
  };
}

/** The images of a run, from its config's `data` (a dSprites run's split, or a pair run's data set and group). */
export async function runImages(data: unknown): Promise<RunImages> {
  const rotations = rotationData(data);
  if (rotations) {
    const images = RotationImages.open(rotations);
    return pairImages(images, `${images.dataset.name}-${images.dataset.group}${images.splitSeed ? `-split${images.splitSeed}` : ''}`);
  }
  const pairs = pairData(data);
  if (!pairs) return dspritesImages((data as { split: SplitName }).split);
  const images = await PairImages.open(pairs);
  return pairImages(images, `${images.dataset.name}-${apiGroupLabel(images.group)}`);
}
