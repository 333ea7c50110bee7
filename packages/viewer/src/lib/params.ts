// Parsers and writers for the view state kept in the URL's query (so that links are shareable):
// lists of image indices, slider offsets, run ids. A parser returns undefined for a value it
// refuses; lib/link.ts turns that into a message the view shows, and the view its default.

/** dSprites has 737,280 images. */
export const DATASET_SIZE = 737_280;

/** Image indices from a link, "3,17,42": each below `size`, at most `max`; undefined when any is not. */
export function parseIndexListText(text: string, size = DATASET_SIZE, max = Infinity): number[] | undefined {
  const parts = text.split(',').map((t) => t.trim());
  if (parts.length > max || parts.some((t) => !/^\d+$/.test(t) || Number(t) >= size)) return undefined;
  return [...new Set(parts.map(Number))];
}

export const formatList = (values: readonly number[]): string => values.join(',');

/** Slider offsets from a link: numbers within ±range separated by commas; undefined when any is not. */
export function parseOffsetsText(text: string, range = 2): number[] | undefined {
  const values = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
  return values.every((v) => Number.isFinite(v) && Math.abs(v) <= range) ? values : undefined;
}

/** Offsets for the URL: rounded to 2 decimals, trailing zeros dropped, "" when all are zero. */
export function formatOffsets(offsets: readonly number[]): string {
  const rounded = offsets.map((v) => Math.round(v * 100) / 100);
  let end = rounded.length;
  while (end > 0 && rounded[end - 1] === 0) end--;
  return rounded.slice(0, end).join(',');
}

/** A run id as the API accepts it (see docs/api.md). */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value);
}

/** The varying image shown before one is chosen: a square at scale 0.8, x 0.65, y 0.32 (in the to-range test part). */
export const DEFAULT_VARYING = 123_530;
/** A pivot to start from when the dataset description has not arrived: the blog's fixed pivot. */
export const DEFAULT_PIVOT = 594_095;
