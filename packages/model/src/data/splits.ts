// Train/test splits of dSprites for combinatorial generalisation. Each split is a predicate on an
// image's latent values that says "held out for testing"; training gets every other image.
// recombination-to-element and recombination-to-range are MAGANet's (Hwang et al., ICML 2023).

import { DSPRITES, factorsOf, type LatentValues } from './dsprites.ts';

export type SplitName = 'to-element' | 'to-range' | 'to-range-ellipse' | 'extrapolation' | 'random';
export type SplitPart = 'train' | 'test';

/** Every split, with what its test set holds. */
export const SPLITS: Readonly<Record<SplitName, string>> = Object.freeze({
  'to-element': 'recombination-to-element: ellipses with posX ≥ 0.6, posY ≥ 0.6, 120° ≤ orientation ≤ 240°, scale < 0.6 are held out',
  'to-range': 'recombination-to-range: every square with posX > 0.5 is held out',
  'to-range-ellipse': 'recombination-to-range on ellipses: every ellipse with posX ≥ 0.5 is held out (contains to-element)',
  extrapolation: 'extrapolation: every image with posX > 0.5 is held out, whatever its shape',
  random: 'a seeded random 10 % of the images is held out (interpolation, the easy case)',
});

const SPLIT_NAMES = Object.keys(SPLITS) as SplitName[];

/** The fraction of images the random split holds out. */
const RANDOM_TEST_FRACTION = 0.1;

// Latent values come from float arithmetic (13·2π/39 is not exactly 2π/3; 18/31 vs 0.6), so a
// bound counts as met within this tolerance in the inclusive direction, and a strict bound must
// be beaten by more than it.
const TOLERANCE = 1e-9;
const atLeast = (value: number, bound: number) => value >= bound - TOLERANCE;
const atMost = (value: number, bound: number) => value <= bound + TOLERANCE;
const above = (value: number, bound: number) => value > bound + TOLERANCE;
const below = (value: number, bound: number) => value < bound - TOLERANCE;

const HELD_OUT: Readonly<Record<Exclude<SplitName, 'random'>, (latents: LatentValues) => boolean>> = {
  'to-element': ({ shape, scale, orientation, posX, posY }) =>
    shape === 'ellipse' &&
    atLeast(posX, 0.6) &&
    atLeast(posY, 0.6) &&
    atLeast(orientation, (2 * Math.PI) / 3) &&
    atMost(orientation, (4 * Math.PI) / 3) &&
    below(scale, 0.6),
  'to-range': ({ shape, posX }) => shape === 'square' && above(posX, 0.5),
  'to-range-ellipse': ({ shape, posX }) => shape === 'ellipse' && atLeast(posX, 0.5),
  extrapolation: ({ posX }) => above(posX, 0.5),
};

/** The split's name, checked: throws listing the valid names when it is not one. */
export function parseSplit(name: string): SplitName {
  if (!Object.hasOwn(SPLITS, name)) {
    throw new Error(`unknown dsprites split '${name}': expected one of ${SPLIT_NAMES.join(', ')}`);
  }
  return name as SplitName;
}

function checkPart(part: string): SplitPart {
  if (part !== 'train' && part !== 'test') throw new Error(`unknown split part '${part}': expected 'train' or 'test'`);
  return part;
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed)) throw new Error(`split seed ${seed} is not an integer`);
  return seed >>> 0;
}

// murmur3's 32-bit finaliser: a bijection on 32-bit integers that mixes every input bit into every
// output bit, so that hashing (index, seed) gives each image an independent-looking coin.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function randomlyHeldOut(index: number, seed: number): boolean {
  return mix32(index ^ mix32(seed + 0x9e3779b9)) < RANDOM_TEST_FRACTION * 2 ** 32;
}

/** Whether image `index` is in the split's test set (`seed` matters only for 'random'). */
export function isTest(split: SplitName, index: number, seed = 0): boolean {
  const name = parseSplit(split);
  const checkedSeed = checkSeed(seed);
  const { values } = factorsOf(index); // validates the index for every split
  return name === 'random' ? randomlyHeldOut(index, checkedSeed) : HELD_OUT[name](values);
}

/** The indices of one part of a split, in increasing order. */
export function splitIndices(split: SplitName, part: SplitPart, seed = 0): Int32Array {
  const name = parseSplit(split);
  const wantTest = checkPart(part) === 'test';
  const checkedSeed = checkSeed(seed);
  const heldOut =
    name === 'random'
      ? (index: number) => randomlyHeldOut(index, checkedSeed)
      : (index: number) => HELD_OUT[name](factorsOf(index).values);
  const indices = new Int32Array(DSPRITES.count);
  let count = 0;
  for (let index = 0; index < DSPRITES.count; index++) {
    if (heldOut(index) === wantTest) indices[count++] = index;
  }
  return indices.slice(0, count);
}

/** How many images one part of a split holds. */
export function splitSize(split: SplitName, part: SplitPart, seed = 0): number {
  return splitIndices(split, part, seed).length;
}

/**
 * The indices an epoch draws from: the part's, or with a limit a fixed, seed-independent subset, every
 * k-th index, so that it spans the factors. Errors name `who` and the bad limit, or `place` (e.g.
 * 'all/train') and its `count` of `noun`s when they are fewer than a batch.
 */
export function epochPool(part: Int32Array, limit: number | undefined, batchSize: number, who: string, place: string, noun: string): Int32Array {
  let pool = part;
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`${who}: limit must be a positive integer, got ${limit}`);
    const step = Math.max(1, Math.floor(pool.length / limit));
    pool = pool.filter((_, i) => i % step === 0).slice(0, limit);
  }
  if (pool.length < batchSize) throw new Error(`${who}: ${place} has ${pool.length} ${noun}, fewer than a batch of ${batchSize}`);
  return pool;
}
