// The shapes of the API's inputs (docs/api.md), as validators. Those that involve latent codes
// take the run's latent dimension, so a wrong length is refused before any computation.
import { check, dsprites, SPLITS, ValidationError, type Check, type Group, type SplitName } from '@maga/model';

const { finite, integer, integerText, list, object, oneOf, optional, show } = check;

export const MAX_INDICES = 256;
export const MAX_TRAVERSAL_IMAGES = 1024;
export const MAX_EMBEDDING_POINTS = 5000;
/** Codes beyond this are far outside anything an encoder produces and only overflow the flow. */
export const MAX_CODE = 1000;

const SPLIT_NAMES = Object.keys(SPLITS) as SplitName[];
const index = integer(0, dsprites.DSPRITES.count - 1);
const indices = list(index, 1, MAX_INDICES);
const code = (d: number) => list(finite(-MAX_CODE, MAX_CODE), d, d);

export const encodeBody = object({ indices });
export const reconstructBody = object({ pivot: optional(index, undefined), indices });
export const decodeBody = (d: number) => object({ pivot: optional(index, undefined), z: list(code(d), 1, MAX_INDICES) });
export const traverseBody = (d: number) =>
  object({
    pivot: optional(index, undefined),
    index,
    range: optional(finite(0, 100, true), 2),
    steps: optional(integer(2, 64), 9),
    components: optional(list(integer(0, d - 1), 1, d, { unique: true }), undefined),
  });
export const recombineBody = object({ source: object({ pivot: index, varying: index }), targets: list(index, 1, 64) });
export const groupLawsBody = (d: number) => object({ pivot: optional(index, undefined), z1: code(d), z2: code(d) });
export const embeddingBody = (defaultSplit: SplitName) =>
  object({
    split: optional(oneOf(SPLIT_NAMES), defaultSplit),
    count: optional(integer(10, MAX_EMBEDDING_POINTS), 2000),
    nNeighbors: optional(integer(2, 200), 50),
    seed: optional(integer(0, 2 ** 31 - 1), 0),
  });

export const samplesQuery = object({
  split: optional(oneOf(SPLIT_NAMES), 'to-range'),
  part: optional(oneOf(['train', 'test'] as const), 'test'),
  count: optional(integerText(1, MAX_INDICES), 16),
  seed: optional(integerText(0, 2 ** 31 - 1), 0),
});

const { sizes } = dsprites.DSPRITES;
export const indexQuery = object({
  shape: integerText(0, sizes.shape - 1),
  scale: integerText(0, sizes.scale - 1),
  orientation: integerText(0, sizes.orientation - 1),
  posX: integerText(0, sizes.posX - 1),
  posY: integerText(0, sizes.posY - 1),
});

export const imageIndexParam = integerText(0, dsprites.DSPRITES.count - 1);

// ---- a run's own images: indices checked against its data set (dSprites, or a pair run's grid) ---

const indicesIn = (count: number) => list(integer(0, count - 1), 1, MAX_INDICES);
const pivotIn = (count: number) => optional(integer(0, count - 1), undefined);

export const runEncodeBody = (count: number) => object({ indices: indicesIn(count) });
export const runReconstructBody = (count: number) => object({ pivot: pivotIn(count), indices: indicesIn(count) });
export const runDecodeBody = (d: number, count: number) => object({ pivot: pivotIn(count), z: list(code(d), 1, MAX_INDICES) });
export const runTraverseBody = (d: number, count: number) =>
  object({
    pivot: pivotIn(count),
    index: integer(0, count - 1),
    range: optional(finite(0, 100, true), 2),
    steps: optional(integer(2, 64), 9),
    components: optional(list(integer(0, d - 1), 1, d, { unique: true }), undefined),
  });
export const runRecombineBody = (count: number) =>
  object({ source: object({ pivot: integer(0, count - 1), varying: integer(0, count - 1) }), targets: list(integer(0, count - 1), 1, 64) });
export const runGroupLawsBody = (d: number, count: number) => object({ pivot: pivotIn(count), z1: code(d), z2: code(d) });
export const swapBody = (count: number) => object({ pairs: list(list(integer(0, count - 1), 2, 2), 1, 64) });
export const runSamplesQuery = object({
  part: optional(oneOf(['train', 'test'] as const), 'test'),
  count: optional(integerText(1, MAX_INDICES), 16),
  seed: optional(integerText(0, 2 ** 31 - 1), 0),
});
export const runImageParam = (count: number) => integerText(0, count - 1);
export const pairEmbeddingBody = object({
  count: optional(integer(10, MAX_EMBEDDING_POINTS), 2000),
  nNeighbors: optional(integer(2, 200), 50),
  seed: optional(integer(0, 2 ** 31 - 1), 0),
});

// ---- known group elements g: an angle in radians (SO(2)), an integer j ∈ [0, n) (C_n), or a unit
// quaternion [w, x, y, z] (SO(3)) ----------------------------------------------------------------

export type ElementGroup = Group;
/** One element as it arrives: a number (SO(2), C_n) or four (SO(3)). */
export type Element = number | number[];

/** What a group's elements must be, in words (angles bounded by MAX_CODE). */
export const elementText = (group: ElementGroup) => group.describeElement(MAX_CODE);

/** One group element, checked for the run's group (Group.parseElement), in the shape it came: one number, or four. */
export const element =
  (group: ElementGroup): Check<Element> =>
  (v, at) => {
    const g = group.parseElement(v, at, MAX_CODE);
    return group.elementSize === 1 ? g[0] : g;
  };

export const elementsDecodeBody = (group: ElementGroup, count: number) => object({ pivot: pivotIn(count), g: list(element(group), 1, MAX_INDICES) });
export const elementsGroupLawsBody = (group: ElementGroup, count: number) => object({ pivot: pivotIn(count), g1: element(group), g2: element(group) });

/**
 * `check`, after refusing the key a run of the other kind would take: `g` (a known group element)
 * for a run whose model infers a learned code z, or `z` for one that takes a known g.
 */
export const refusing =
  <T>(key: string, why: string, check: Check<T>): Check<T> =>
  (v, at) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, key)) {
      throw new ValidationError(`${key} (${show((v as Record<string, unknown>)[key])}) is not accepted here: ${why}`, key);
    }
    return check(v, at);
  };
