// dSprites for the API: the grid's description, seeded samples of a split's part, and an image's
// factors in the API's shape (latent values plus their class indices).
import { dsprites, Sampler, SPLITS, type SplitName, type SplitPart } from '@maga/model';

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
