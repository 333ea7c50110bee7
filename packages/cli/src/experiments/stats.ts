// Means and confidence intervals over seeds: a few seeds are a small sample, so the 95 % interval
// of a mean uses Student's t distribution with n − 1 degrees of freedom, not the normal's 1.96.

/** Student's t density with `df` degrees of freedom. */
function tDensity(x: number, df: number): number {
  const logC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logC - ((df + 1) / 2) * Math.log1p((x * x) / df));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(0 ≤ T ≤ x) by Simpson's rule on the density (smooth and bounded: 2000 panels are plenty). */
function tMass(x: number, df: number): number {
  const n = 2000;
  const h = x / n;
  let s = tDensity(0, df) + tDensity(x, df);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * tDensity(i * h, df);
  return (s * h) / 3;
}

/** The two-sided quantile t such that P(|T| ≤ t) = `level`, by bisection on the density's mass. */
export function tQuantile(df: number, level = 0.95): number {
  if (!Number.isFinite(df) || df < 1) throw new Error(`t quantile: degrees of freedom must be ≥ 1, got ${df}`);
  if (!(level > 0 && level < 1)) throw new Error(`t quantile: level must be in (0, 1), got ${level}`);
  const half = level / 2;
  let lo = 0;
  let hi = 1;
  while (tMass(hi, df) < half) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tMass(mid, df) < half) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Interval {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for one value. */
  sd: number | null;
  /** Half-width of the 95 % interval of the mean; null for one value (no spread to measure). */
  halfWidth: number | null;
}

/** Mean ± the 95 % t interval of `values`. */
export function meanInterval(values: readonly number[], level = 0.95): Interval {
  const n = values.length;
  if (n === 0) throw new Error('mean interval: no values');
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`mean interval: ${v} is not a finite number`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { n, mean, sd: null, halfWidth: null };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, halfWidth: (tQuantile(n - 1, level) * sd) / Math.sqrt(n) };
}

/** `38.62 ± 1.20` (or the mean alone for one seed, marked as such). */
export function formatInterval(i: Interval, digits = 2): string {
  return i.halfWidth === null ? `${i.mean.toFixed(digits)} (1 seed)` : `${i.mean.toFixed(digits)} ± ${i.halfWidth.toFixed(digits)}`;
}
