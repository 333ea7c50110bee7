// The factors a run's images vary by, as the latent map colours and describes them: read from the
// run's data set description (`GET /api/runs/:id/dataset`), whichever data set it is. Each factor
// is coloured by its kind — classes by a palette with one colour per class, angles round a colour
// wheel, other numbers along a colour bar — and its values are written in one unit everywhere
// (angles in degrees in the legend and in the hover card alike).
import type { RunDatasetInfo } from '../api.ts';
import { MISSING, categorical, cyclic, viridis, type Rgb } from './colors.ts';
import { FACTOR_LABELS, FACTOR_NAMES } from './factors.ts';

/** An image's factors as the API sends them (an embedding point's, a sample's). */
export type FactorValues = object;

export interface MapFactor {
  /** The key in an image's factors. */
  name: string;
  label: string;
  /** What it is, in words (the data set's own description). */
  description: string;
  /** 'class': one colour per class; 'angle': the colour wheel; 'number': a colour bar. */
  kind: 'class' | 'angle' | 'number';
  /** A class factor's class names, by class index. */
  classes?: readonly string[];
  /** A number factor's range when the data set states it (else the values shown give it). */
  domain?: [number, number];
  /** The number an image is coloured by: a class index, an angle in radians, a value; NaN when absent. */
  value(f: FactorValues): number;
  /** A value in words, in the unit the legend uses. */
  format(v: number): string;
  /** Left out of an image's one-line description (a pose's quaternion components: its Euler angles say it). */
  terse?: boolean;
}

/** An angle in radians in degrees, e.g. "185°". */
export const degrees = (radians: number) => `${Math.round((radians * 180) / Math.PI)}°`;

const numberAt = (f: FactorValues, key: string): number => {
  const v = (f as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : NaN;
};

/** The factors of a run's images, for colouring and describing them. */
export function mapFactors(info: RunDatasetInfo): MapFactor[] {
  if (info.kind === 'dsprites') {
    const grid = info.factors;
    return FACTOR_NAMES.map((name): MapFactor => {
      if (name === 'shape') {
        return {
          name,
          label: FACTOR_LABELS.shape,
          description: 'the sprite’s shape',
          kind: 'class',
          classes: grid.shape,
          value: (f) => numberAt((f as { classes?: object }).classes ?? {}, 'shape'),
          format: (v) => grid.shape[v] ?? String(v),
        };
      }
      if (name === 'orientation') return { name, label: FACTOR_LABELS.orientation, description: 'the sprite’s rotation, counter-clockwise', kind: 'angle', value: (f) => numberAt(f, name), format: degrees };
      const values = grid[name];
      return {
        name,
        label: FACTOR_LABELS[name],
        description: name === 'scale' ? 'the sprite’s size, relative to the largest' : `the sprite’s ${name === 'posX' ? 'horizontal' : 'vertical'} position, 0 to 1 across the image`,
        kind: 'number',
        domain: [Math.min(...values), Math.max(...values)],
        value: (f) => numberAt(f, name),
        format: (v) => v.toFixed(2),
      };
    });
  }
  return info.factors.map((factor): MapFactor => {
    const base = { name: factor.name, label: factor.name, description: factor.description, value: (f: FactorValues) => numberAt(f, factor.name) };
    if (factor.kind === 'class') {
      const classes = ('classes' in factor ? factor.classes : undefined) ?? [];
      return { ...base, kind: 'class', classes, format: (v) => classes[v] ?? String(v) };
    }
    // The data set states angles in radians; the viewer writes them in degrees, and says so.
    if (factor.kind === 'angle') return { ...base, description: `${factor.description.split(/\s*\(radians|,\s*radians/)[0]} (in degrees here)`, kind: 'angle', format: degrees };
    // A pose's quaternion components lie in [−1, 1]; ids run over what the points show.
    if (factor.kind === 'quaternion') return { ...base, kind: 'number', domain: [-1, 1], format: (v) => v.toFixed(2), terse: true };
    return { ...base, kind: 'number', format: (v) => String(Math.round(v)) };
  });
}

/** How a factor is coloured for the values shown (`values`: the numbers of every point drawn). */
export interface FactorScale {
  factor: MapFactor;
  colour(v: number): Rgb;
  /** A class factor's colour per class index. */
  palette?: Rgb[];
  /** A number factor's range, the colour bar's ends. */
  domain?: [number, number];
}

export function factorScale(factor: MapFactor, values: readonly number[] = []): FactorScale {
  if (factor.kind === 'class') {
    const palette = categorical(factor.classes?.length ?? 0);
    return { factor, palette, colour: (v) => palette[v] ?? MISSING };
  }
  if (factor.kind === 'angle') return { factor, colour: (v) => (Number.isFinite(v) ? cyclic(v / (2 * Math.PI)) : MISSING) };
  let domain = factor.domain;
  if (!domain) {
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    domain = lo <= hi ? [lo, hi] : [0, 1];
  }
  const [lo, hi] = domain;
  const span = hi - lo || 1;
  return { factor, domain, colour: (v) => (Number.isFinite(v) ? viridis((v - lo) / span) : MISSING) };
}

/**
 * An image's factors in words, e.g. "digit 3, angle 45°, index 17", each value written as the
 * legend writes it (terse factors left out).
 */
export function describeImage(factors: readonly MapFactor[], f: FactorValues | undefined): string {
  if (!f) return '';
  return factors
    .filter((factor) => !factor.terse && Number.isFinite(factor.value(f)))
    .map((factor) => `${factor.label} ${factor.format(factor.value(f))}`)
    .join(', ');
}
