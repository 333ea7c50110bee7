// Reading and writing the view state kept in the URL's query (so that links are shareable):
// dataset indices, lists of them, slider offsets and choices. Bad values fall back to defaults
// rather than breaking the page: a shared link with a typo still opens.
import { FACTOR_NAMES, isFactorName, type FactorName } from './factors.ts';

/** dSprites has 737,280 images. */
export const DATASET_SIZE = 737_280;

type Raw = string | string[] | undefined;

const first = (raw: Raw): string | undefined => (Array.isArray(raw) ? raw[0] : raw);

/** A dataset index, or undefined when absent or invalid. */
export function parseIndex(raw: Raw, size = DATASET_SIZE): number | undefined {
  const text = first(raw)?.trim();
  if (!text || !/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v < size ? v : undefined;
}

/** A comma-separated list of dataset indices; invalid entries are dropped, duplicates kept once. */
export function parseIndexList(raw: Raw, options: { max?: number; size?: number } = {}): number[] {
  const text = first(raw);
  if (!text) return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const v = parseIndex(part, options.size);
    if (v !== undefined && !out.includes(v)) out.push(v);
    if (options.max !== undefined && out.length >= options.max) break;
  }
  return out;
}

export const formatList = (values: readonly number[]): string => values.join(',');

/**
 * Slider offsets from the base code, one per component: "0,0.5,-1.25". Missing entries are 0;
 * each is clamped to ±range; anything non-numeric counts as 0.
 */
export function parseOffsets(raw: Raw, count: number, range = 2): number[] {
  const parts = (first(raw) ?? '').split(',');
  return Array.from({ length: count }, (_, i) => {
    const v = Number(parts[i]);
    return Number.isFinite(v) ? Math.min(range, Math.max(-range, v)) : 0;
  });
}

/** Offsets for the URL: rounded to 2 decimals, trailing zeros dropped, "" when all are zero. */
export function formatOffsets(offsets: readonly number[]): string {
  const rounded = offsets.map((v) => Math.round(v * 100) / 100);
  let end = rounded.length;
  while (end > 0 && rounded[end - 1] === 0) end--;
  return rounded.slice(0, end).join(',');
}

export function parseFactorName(raw: Raw, fallback: FactorName = 'shape'): FactorName {
  const v = first(raw);
  return isFactorName(v) ? v : fallback;
}

/** One of `allowed`, or the fallback. */
export function parseChoice<T extends string>(raw: Raw, allowed: readonly T[], fallback: T): T {
  const v = first(raw);
  return v !== undefined && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** A positive integer within [min, max], or the fallback. */
export function parseCount(raw: Raw, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(first(raw));
  return Number.isInteger(v) && v >= min && v <= max ? v : fallback;
}

/** A run id as the API accepts it (see docs/api.md). */
export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value);
}

export { FACTOR_NAMES };

/** The varying image shown before one is chosen: a square at scale 0.8, x 0.65, y 0.32 (in the to-range test part). */
export const DEFAULT_VARYING = 123_530;
/** A pivot to start from when the dataset description has not arrived: the blog's fixed pivot. */
export const DEFAULT_PIVOT = 594_095;
