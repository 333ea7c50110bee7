// Loss curves from a run's log: one series per loss term, smoothing, down-sampling for drawing,
// linear and log scales with readable ticks, and SVG paths. Pure functions, drawn by LossChart.

export interface LogLine {
  step: number;
  time?: number;
  loss?: number;
  bce?: number;
  kl?: number;
  latent?: number;
  imagesPerSecond?: number;
  lr?: number;
  [key: string]: number | undefined;
}

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
}

/** Fields of a log line that are not loss terms. */
const NOT_LOSSES = new Set(['step', 'time', 'imagesPerSecond', 'lr', 'epoch']);
/** Loss terms in the order the models name them; others follow alphabetically. */
const TERM_ORDER = ['loss', 'bce', 'kl', 'latent'];

/** One series per numeric field (loss terms first), points sorted by step, non-finite values dropped. */
export function seriesFromLog(log: readonly LogLine[], options: { losses?: boolean } = {}): Series[] {
  const names = new Set<string>();
  for (const line of log) {
    for (const [key, value] of Object.entries(line)) {
      if (typeof value === 'number' && key !== 'step' && (options.losses === false || !NOT_LOSSES.has(key))) names.add(key);
    }
  }
  const rank = (name: string) => {
    const i = TERM_ORDER.indexOf(name);
    return i < 0 ? TERM_ORDER.length : i;
  };
  const ordered = [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const sorted = [...log].filter((l) => Number.isFinite(l.step)).sort((a, b) => a.step - b.step);
  return ordered.map((name) => ({
    name,
    points: sorted.flatMap((l) => {
      const y = l[name];
      return typeof y === 'number' && Number.isFinite(y) ? [{ x: l.step, y }] : [];
    }),
  }));
}

/** TensorBoard-style exponential moving average with debiasing; weight 0 returns the points. */
export function smooth(points: readonly Point[], weight: number): Point[] {
  if (!(weight > 0)) return points.slice();
  const w = Math.min(weight, 0.999);
  let average = 0;
  let scale = 0;
  return points.map((p) => {
    average = average * w + (1 - w) * p.y;
    scale = scale * w + (1 - w);
    return { x: p.x, y: average / scale };
  });
}

/**
 * At most about `maxPoints` points, keeping each bucket's minimum and maximum (in x order) so that
 * spikes survive down-sampling.
 */
export function downsample(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints || maxPoints < 4) return points.slice();
  const buckets = Math.floor(maxPoints / 2);
  const size = points.length / buckets;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (points[i].y < points[lo].y) lo = i;
      if (points[i].y > points[hi].y) hi = i;
    }
    if (lo === hi) out.push(points[lo]);
    else out.push(points[Math.min(lo, hi)], points[Math.max(lo, hi)]);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
  log: boolean;
  ticks(count?: number): number[];
}

/** A linear scale from `domain` to `range`; a degenerate domain is widened around its value. `integer`: ticks on whole numbers only (training steps). */
export function linearScale(domain: [number, number], range: [number, number], integer = false): Scale {
  let [d0, d1] = domain;
  if (d0 === d1) {
    const pad = Math.abs(d0) * 0.1 || 1;
    [d0, d1] = [d0 - pad, d1 + pad];
  }
  const f = ((v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0])) as Scale;
  f.domain = [d0, d1];
  f.range = range;
  f.log = false;
  f.ticks = (count = 5) => niceTicks(d0, d1, count).filter((t) => !integer || Number.isInteger(t));
  return f;
}

/** A base-10 log scale; the domain must be positive (values ≤ 0 map to NaN and are not drawn). */
export function logScale(domain: [number, number], range: [number, number]): Scale {
  let [d0, d1] = domain;
  if (!(d0 > 0)) d0 = Math.min(1e-12, d1 > 0 ? d1 / 10 : 1e-12);
  if (!(d1 > 0)) d1 = 1;
  if (d0 === d1) [d0, d1] = [d0 / 2, d1 * 2];
  const [l0, l1] = [Math.log10(d0), Math.log10(d1)];
  const f = ((v: number) => (v > 0 ? range[0] + ((Math.log10(v) - l0) / (l1 - l0)) * (range[1] - range[0]) : NaN)) as Scale;
  f.domain = [d0, d1];
  f.range = range;
  f.log = true;
  f.ticks = () => logTicks(d0, d1);
  return f;
}

/** Round tick values (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let i = first; i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten within [min, max] (with 2× and 5× when the range spans under two decades). */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  if (min > max) [min, max] = [max, min];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const multiples = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) {
    for (const m of multiples) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

/** The y extent of series for a chart: all finite values (positive ones only in log mode), padded a little. */
export function extent(series: readonly Series[], log: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.y) || (log && !(p.y > 0))) continue;
      lo = Math.min(lo, p.y);
      hi = Math.max(hi, p.y);
    }
  }
  if (lo === Infinity) return null;
  if (log) return [lo / 1.1, hi * 1.1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** An SVG path through the points, broken where a value cannot be drawn (NaN after scaling). */
export function svgPath(points: readonly Point[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const px = x(p.x);
    const py = y(p.y);
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The point of a series nearest to x (by binary search on sorted x), or null for an empty series. */
export function nearest(points: readonly Point[], x: number): Point | null {
  if (points.length === 0) return null;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo].x - x) <= Math.abs(points[hi].x - x) ? points[lo] : points[hi];
}

/** Compact number for axes and read-outs: `digits` significant digits, exponent form when very large or small. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(1, digits - 2)).replace('e+', 'e');
  return Number(v.toPrecision(Math.max(digits, Math.floor(Math.log10(a)) + 1))).toString();
}

/**
 * Labels for a scale's ticks: the fewest significant digits (at least 3) at which every label
 * says its tick's value (ticks 1352, 1354, 1356 read so, not "1350, 1350, 1360"; 1352.5 is not
 * rounded to 1353), so no two labels are the same.
 */
export function tickLabels(ticks: readonly number[]): string[] {
  const says = (label: string, t: number) => Math.abs(Number(label) - t) <= 1e-9 * Math.max(1, Math.abs(t));
  for (let digits = 3; digits <= 15; digits++) {
    const labels = ticks.map((t) => formatNumber(t, digits));
    if (labels.every((l, i) => says(l, ticks[i]))) return labels;
  }
  return ticks.map(String);
}
