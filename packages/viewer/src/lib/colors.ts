// Colour scales for the latent map: a categorical palette for shape, viridis for ordered factors
// (scale, position) and a cyclic hue wheel for orientation, whose 0 and 2π are the same pose.
import type { FactorName } from './factors.ts';

export type Rgb = readonly [number, number, number];

// Viridis sampled at 9 evenly spaced points (matplotlib's values, 0–255).
const VIRIDIS: readonly Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
export const CATEGORICAL: readonly Rgb[] = [
  [0, 114, 178],
  [230, 159, 0],
  [204, 121, 167],
  [0, 158, 115],
  [213, 94, 0],
  [86, 180, 233],
  [240, 228, 66],
];

const clamp01 = (t: number) => (Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0);

/** Viridis at t ∈ [0, 1] (clamped), linearly interpolated. */
export function viridis(t: number): Rgb {
  const x = clamp01(t) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A hue wheel at t ∈ [0, 1) (wrapping), with even lightness so no angle stands out. */
export function cyclic(t: number): Rgb {
  const turn = Number.isFinite(t) ? t - Math.floor(t) : 0;
  return hslToRgb(turn * 360, 0.65, 0.5);
}

export function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const c = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = lightness - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

export const toCss = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;

/** How a factor is coloured, and what its legend shows. */
export type ColourScale =
  | { kind: 'categorical'; factor: FactorName; labels: string[]; colour(classIndex: number): Rgb }
  | { kind: 'continuous' | 'cyclic'; factor: FactorName; domain: [number, number]; colour(value: number): Rgb; stops(count: number): Rgb[] };

/**
 * The scale for a factor. `values` are the factor's values on the grid (from `/api/dataset`):
 * shape names for shape, numbers for the rest.
 */
export function scaleFor(factor: FactorName, values: readonly (string | number)[]): ColourScale {
  if (factor === 'shape') {
    return { kind: 'categorical', factor, labels: values.map(String), colour: (i) => CATEGORICAL[((i % CATEGORICAL.length) + CATEGORICAL.length) % CATEGORICAL.length] };
  }
  const numbers = values.map(Number).filter(Number.isFinite);
  const lo = numbers.length ? Math.min(...numbers) : 0;
  const hi = numbers.length ? Math.max(...numbers) : 1;
  const span = hi - lo || 1;
  if (factor === 'orientation') {
    // One full turn maps onto the wheel whatever the grid's last value (dSprites ends at 2π = 0).
    const colour = (v: number) => cyclic(v / (2 * Math.PI));
    return { kind: 'cyclic', factor, domain: [0, 2 * Math.PI], colour, stops: (n) => Array.from({ length: n }, (_, i) => cyclic(i / n)) };
  }
  const colour = (v: number) => viridis((v - lo) / span);
  return { kind: 'continuous', factor, domain: [lo, hi], colour, stops: (n) => Array.from({ length: n }, (_, i) => viridis(n === 1 ? 0 : i / (n - 1))) };
}

/** A CSS linear-gradient for a continuous or cyclic scale's colour bar. */
export function gradientCss(scale: ColourScale, direction = 'to right', count = 16): string {
  if (scale.kind === 'categorical') return 'none';
  const stops = scale.stops(count);
  return `linear-gradient(${direction}, ${stops.map((c, i) => `${toCss(c)} ${((100 * i) / Math.max(1, count - 1)).toFixed(1)}%`).join(', ')})`;
}
