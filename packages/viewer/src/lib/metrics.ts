// A run's metrics.json read for the overview: the test and train parts side by side, each
// metric with what it is and its unit, and the pair runs' metrics per bucket of g (0–45°, …) as
// tables of their own. Loss terms get their unit for the charts' axes.

/** What each evaluation metric is (packages/model's EvalMetrics), in words, with its unit. */
export const METRIC_INFO: Record<string, { label: string; description: string; better?: 'lower' | 'higher' }> = {
  images: { label: 'images', description: 'images evaluated in this part' },
  bce: { label: 'BCE', description: "binary cross-entropy per image: the decoder's Bernoulli log-loss summed over an image's pixels, in nats", better: 'lower' },
  mse: { label: 'MSE', description: 'mean squared error per pixel, pixels in [0, 1]', better: 'lower' },
  psnrSet: { label: 'PSNR (set)', description: "the set's PSNR in dB of pixels in [0, 1]: 10·log10(1 / MSE) of the mean MSE over the images (pair runs)", better: 'higher' },
  psnr: { label: 'PSNR', description: 'peak signal-to-noise ratio in dB of pixels in [0, 1]: 10·log10(1 / MSE) per image, averaged (capped at 100)', better: 'higher' },
  ssim: { label: 'SSIM', description: 'structural similarity per image, −1 to 1 (1: identical), averaged', better: 'higher' },
  msssim: { label: 'MS-SSIM', description: 'multi-scale SSIM per image, 0 to 1, averaged over the colour channels', better: 'higher' },
};

export interface BucketRow {
  name: string;
  values: Record<string, number>;
}

export interface PartMetrics {
  part: string;
  values: Record<string, number>;
  /** Per bucket of g (pair runs), in the evaluation's order. */
  buckets: BucketRow[];
}

export interface RunMetricsView {
  step: number | null;
  evaluatedAt: string | null;
  /** Images per part. */
  count: number | null;
  parts: PartMetrics[];
  /** The metric keys of the parts, in a fixed order (known ones first). */
  keys: string[];
  /** The bucket tables' columns. */
  bucketKeys: string[];
}

const ORDER = Object.keys(METRIC_INFO);
const rank = (key: string) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);
const sortKeys = (keys: Iterable<string>) => [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const numbersOf = (o: unknown): Record<string, number> => {
  if (typeof o !== 'object' || o === null) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
};

/** metrics.json as the overview shows it: parts (test, train), their buckets, and the evaluation's facts. */
export function readMetrics(metrics: unknown): RunMetricsView | null {
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return null;
  const m = metrics as Record<string, unknown>;
  const parts: PartMetrics[] = [];
  for (const [part, value] of Object.entries(m)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const buckets = (value as { buckets?: unknown }).buckets;
    parts.push({
      part,
      values: numbersOf(value),
      buckets: Array.isArray(buckets) ? buckets.flatMap((b) => (typeof b === 'object' && b !== null && typeof (b as { name?: unknown }).name === 'string' ? [{ name: (b as { name: string }).name, values: numbersOf(b) }] : [])) : [],
    });
  }
  if (parts.length === 0) return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    step: num(m.step),
    evaluatedAt: typeof m.evaluatedAt === 'string' ? m.evaluatedAt : null,
    count: num(m.count),
    parts,
    keys: sortKeys(parts.flatMap((p) => Object.keys(p.values))),
    bucketKeys: sortKeys(parts.flatMap((p) => p.buckets.flatMap((b) => Object.keys(b.values)))),
  };
}

/** A metric's value with its unit: "23.91 dB", "0.9123", "61.2 nats", "1,000". */
export function formatMetricValue(key: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (key === 'psnr' || key === 'psnrSet') return `${value.toFixed(2)} dB`;
  if (key === 'ssim' || key === 'msssim') return value.toFixed(4);
  if (key === 'bce') return `${value.toFixed(1)} nats`;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const a = Math.abs(value);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? value.toExponential(3) : Number(value.toPrecision(5)).toString();
}

/**
 * The unit of a loss term on a chart's axis. Every model's terms are averaged per image over the
 * batch (packages/model's LossTerms); cross-entropies and KL divergences are in nats.
 */
export function termUnit(term: string): string {
  if (term === 'imagesPerSecond') return 'images / s';
  if (term === 'lr') return 'learning rate';
  return term === 'bce' || term === 'kl' ? 'nats per image' : 'per image';
}
