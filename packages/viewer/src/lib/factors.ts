// dSprites' factors of variation as the API describes them, with labels and formatting for the UI.

export const FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

export const FACTOR_LABELS: Record<FactorName, string> = {
  shape: 'shape',
  scale: 'scale',
  orientation: 'orientation',
  posX: 'x position',
  posY: 'y position',
};

/** A factor's class index per factor, as in `/api/dataset/index`. */
export type FactorClasses = Record<FactorName, number>;

/** An image's factors as the API sends them: values, plus their class indices. */
export interface Factors {
  shape: string;
  scale: number;
  orientation: number;
  posX: number;
  posY: number;
  classes: FactorClasses;
}

/** The grid of factor values from `/api/dataset`. */
export type FactorGrid = { shape: readonly string[] } & Record<Exclude<FactorName, 'shape'>, readonly number[]>;

export function isFactorName(value: unknown): value is FactorName {
  return typeof value === 'string' && (FACTOR_NAMES as readonly string[]).includes(value);
}

/** A factor value for display: degrees for orientation, two decimals for scale and position. */
export function formatFactor(factor: FactorName, value: string | number): string {
  if (factor === 'shape') return String(value);
  const v = Number(value);
  if (factor === 'orientation') return `${Math.round((v * 180) / Math.PI)}°`;
  return v.toFixed(2);
}

/** One line describing an image, e.g. "heart, scale 0.70, 180°, x 0.16, y 0.48". */
export function describeFactors(f: Factors): string {
  return `${f.shape}, scale ${formatFactor('scale', f.scale)}, ${formatFactor('orientation', f.orientation)}, x ${formatFactor('posX', f.posX)}, y ${formatFactor('posY', f.posY)}`;
}

/**
 * An index's class per factor on a grid of these sizes, in dSprites' order (shape slowest, posY
 * fastest) — for labelling an image without asking the server; undefined when out of range.
 */
export function classesOf(index: number, grid: FactorGrid): FactorClasses | undefined {
  const sizes = FACTOR_NAMES.map((name) => grid[name].length);
  const count = sizes.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(index) || index < 0 || index >= count) return undefined;
  const classes = {} as FactorClasses;
  let rest = index;
  for (let k = FACTOR_NAMES.length - 1; k >= 0; k--) {
    classes[FACTOR_NAMES[k]] = rest % sizes[k];
    rest = Math.floor(rest / sizes[k]);
  }
  return classes;
}

/** The factors of an index on a grid (values looked up from the classes). */
export function factorsOf(index: number, grid: FactorGrid): Factors | undefined {
  const classes = classesOf(index, grid);
  if (!classes) return undefined;
  return {
    shape: grid.shape[classes.shape],
    scale: grid.scale[classes.scale],
    orientation: grid.orientation[classes.orientation],
    posX: grid.posX[classes.posX],
    posY: grid.posY[classes.posY],
    classes,
  };
}
