// The shapes of the API's inputs (docs/api.md), as validators. Those that involve latent codes
// take the run's latent dimension, so a wrong length is refused before any computation.
import { dsprites, SPLITS, type SplitName } from '@maga/model';
import { finite, integer, integerText, list, object, oneOf, optional } from './validate.ts';

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
