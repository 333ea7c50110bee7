// Colour scales: a categorical palette with as many distinct colours as classes, viridis for
// ordered values (a colour bar) and a cyclic hue wheel for angles, whose 0 and 2π are the same.

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

/**
 * Ten distinguishable colours (Tableau 10: blue, orange, red, teal, green, yellow, purple, pink,
 * brown, grey), one per class for up to ten classes — ten digits get ten colours.
 */
export const CATEGORICAL: readonly Rgb[] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
];

/**
 * `n` distinct colours for `n` classes: the ten above, then hues a golden angle apart at
 * alternating lightness (every colour differs from every other; beyond a dozen or so they are
 * distinct but no longer easy to tell apart, which the legend makes up for).
 */
export function categorical(n: number): Rgb[] {
  if (n <= CATEGORICAL.length) return CATEGORICAL.slice(0, Math.max(0, n));
  const out = CATEGORICAL.slice();
  const seen = new Set(out.map(toCss));
  for (let k = 0; out.length < n; k++) {
    const colour = hslToRgb((k * 137.508) % 360, 0.6, [0.42, 0.6, 0.75][k % 3]);
    if (!seen.has(toCss(colour))) {
      seen.add(toCss(colour));
      out.push(colour);
    }
  }
  return out;
}

/** The colour of "no value" (a point whose factor is missing). */
export const MISSING: Rgb = [150, 150, 150];

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

/** A CSS linear-gradient of `colour` over t ∈ [0, 1], for a colour bar. */
export function gradientCss(colour: (t: number) => Rgb, direction = 'to right', count = 16): string {
  const stops = Array.from({ length: count }, (_, i) => `${toCss(colour(i / (count - 1)))} ${((100 * i) / (count - 1)).toFixed(1)}%`);
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

/**
 * A CSS conic-gradient of the cyclic scale laid out as angles are drawn: 0 at 3 o'clock, growing
 * counter-clockwise (CSS turns clockwise from `from`, hence the reversed stops).
 */
export function wheelCss(count = 24): string {
  const stops = Array.from({ length: count + 1 }, (_, i) => `${toCss(cyclic(1 - i / count))} ${((360 * i) / count).toFixed(1)}deg`);
  return `conic-gradient(from 90deg, ${stops.join(', ')})`;
}
