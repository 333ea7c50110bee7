// Formatting for tables and read-outs: metrics flattened to rows, times and durations.

export interface MetricRow {
  /** Dotted path, e.g. "test.psnr". */
  key: string;
  value: number;
}

/** Numeric leaves of a metrics object as dotted rows, in the object's order (non-numbers skipped). */
export function flattenMetrics(metrics: unknown, prefix = ''): MetricRow[] {
  if (typeof metrics === 'number') return [{ key: prefix || 'value', value: metrics }];
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return [];
  return Object.entries(metrics).flatMap(([k, v]) => flattenMetrics(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * A few headline metrics for the runs table, when present (any group): the set's PSNR from its mean
 * MSE (psnrSet, pair runs), the mean of per-image PSNR, SSIM, BCE, MSE.
 */
export function headlineMetrics(metrics: unknown, names = ['psnrSet', 'psnr', 'ssim', 'bce', 'mse']): MetricRow[] {
  const rows = flattenMetrics(metrics);
  const out: MetricRow[] = [];
  for (const name of names) {
    const row = rows.find((r) => r.key === name) ?? rows.find((r) => r.key.startsWith('test.') && r.key.endsWith(`.${name}`)) ?? rows.find((r) => r.key.endsWith(`.${name}`));
    if (row) out.push({ key: name, value: row.value });
  }
  return out;
}

/** "3 s", "4 min", "2 h", "5 d" ago, from an ISO time (empty for an invalid one). */
export function timeAgo(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** toFixed without "-0.00" for values that round to zero. */
export function fixed(v: number, digits = 2): string {
  const s = v.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** A latent vector for display: "[0.12, -1.30, …]". */
export function formatVector(v: readonly number[], digits = 2): string {
  return `[${v.map((x) => fixed(x, digits)).join(', ')}]`;
}

/** A diverged run in a few words: `diverged at step 35 (bce = NaN); checkpoint of step 30 kept`. */
export function divergenceText(d: { step: number; term: string; value: string; checkpointStep: number | null }): string {
  const kept = d.checkpointStep === null ? 'no checkpoint saved' : `checkpoint of step ${d.checkpointStep.toLocaleString('en-US')} kept`;
  return `diverged at step ${d.step.toLocaleString('en-US')} (${d.term} = ${d.value}); ${kept}`;
}
