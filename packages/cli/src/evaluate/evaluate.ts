// Evaluating runs: each run's metrics on a seeded sample of its split's test part and train part
// (written to its metrics.json), and for two dSprites runs the blog's "to-diff": how far apart
// their reconstructions of the same test images are (BCE per image, the first run's as the target).
// Known-group runs are evaluated on a fixed set of pairs (x, g·x), also per bucket of g.
import * as path from 'node:path';
import { DataParallel, datasetEntry, evalIndices, psnrOfMse, reconstructionDifference, reconstructions, type BucketMetrics, type EvalMetrics, type PairEvalMetrics, type SplitName } from '@maga/model';
import { loadTrainedModel, type TrainedModel } from '../inference/load.ts';
import { dataLabel, splitOf, writeMetrics } from '../run/rundir.ts';
import { evaluateRun } from '../train/train.ts';

export interface RunEvaluation {
  run: string;
  model: string;
  /** What it trains on: `dsprites to-range`, `rotated-mnist so2`. */
  data: string;
  /** The dSprites split, or null for a pair run. */
  split: SplitName | null;
  step: number;
  count: number;
  test: EvalMetrics | PairEvalMetrics;
  train: EvalMetrics | PairEvalMetrics;
}

export interface ToDiff {
  /** The run whose reconstructions are the target, and the one compared with it. */
  target: string;
  prediction: string;
  /** The test images compared: the first `images` of the target run's split test sample. */
  split: SplitName;
  images: number;
  bce: number;
}

export interface EvalReport {
  runs: RunEvaluation[];
  toDiff: ToDiff | null;
}

/** Evaluates runs; weights or metrics that are not finite are refused unless `allowNonFinite`. */
export async function evaluateRuns(dirs: string[], count: number | undefined, onNote: (text: string) => void = () => {}, allowNonFinite = false): Promise<EvalReport> {
  const loaded: (TrainedModel & { dir: string })[] = [];
  try {
    for (const dir of dirs) loaded.push({ dir, ...(await loadTrainedModel(dir, undefined, undefined, { allowNonFinite })) });
  } catch (e) {
    for (const { model } of loaded) model.dispose();
    throw e;
  }
  const runs: RunEvaluation[] = [];
  for (const { dir, config, model, step } of loaded) {
    const n = count ?? config.training.evalCount;
    onNote(`evaluating ${dir} (step ${step}) on ${n} test and ${n} train ${datasetEntry(config.data.dataset).unit}`);
    // Each batch's shards on the native engine's threads (none elsewhere).
    const parallel = await DataParallel.create(model, { schedule: 'threads' });
    let metrics;
    try {
      metrics = await evaluateRun(model, config, step, n, allowNonFinite, parallel);
    } finally {
      parallel?.dispose();
    }
    writeMetrics(dir, metrics);
    runs.push({ run: dir, model: config.model.model, data: dataLabel(config.data), split: splitOf(config.data), step, count: n, test: metrics.test, train: metrics.train });
  }
  let toDiff: ToDiff | null = null;
  const [a, b] = loaded;
  const split = loaded.length === 2 ? splitOf(a.config.data) : null;
  if (split !== null && splitOf(b.config.data) !== null) {
    const options = { split, part: 'test' as const, count: count ?? a.config.training.evalCount, seed: 0 };
    const ia = evalIndices(a.model, options);
    const ib = evalIndices(b.model, options); // the same varying images; each model's own pivots
    onNote(`to-diff: reconstructing ${ia.varying.length} ${options.split} test images with both runs`);
    const bce = reconstructionDifference(await reconstructions(a.model, ia.pivot, ia.varying), await reconstructions(b.model, ib.pivot, ib.varying));
    toDiff = { target: a.dir, prediction: b.dir, split: options.split, images: ia.varying.length, bce };
  } else if (loaded.length === 2) {
    onNote('to-diff compares two dSprites runs: not computed for a pair run');
  }
  for (const { model } of loaded) model.dispose();
  return { runs, toDiff };
}

/**
 * The report as an aligned text table. PSNR is the set's, 10·log10(1/MSE) of the mean MSE (the
 * headline); PSNR/img the mean of per-image dB beside it; for pair runs the same for the pairs
 * with g ≠ e.
 */
export function formatReport(report: EvalReport): string {
  // MS-SSIM is measured on colour runs only: its column appears when one of them is in the table.
  const ms = report.runs.some((r) => r.test.msssim !== undefined);
  const pairs = report.runs.some((r) => hasBuckets(r.test));
  const header = ['run', 'model', 'data', 'step', 'part', 'images', 'BCE', 'MSE', 'PSNR', 'PSNR/img', 'SSIM', ...(ms ? ['MS-SSIM'] : []), ...(pairs ? ['g ≠ e', 'PSNR', 'SSIM'] : [])];
  const rows: string[][] = [];
  for (const r of report.runs) {
    for (const part of ['test', 'train'] as const) {
      const m = r[part];
      const msCell = ms ? [m.msssim !== undefined ? m.msssim.toFixed(4) : '–'] : [];
      const moved = hasBuckets(m) && m.notIdentity ? m.notIdentity : null;
      const movedCells = pairs ? (moved ? [String(moved.images), moved.psnrSet.toFixed(2), moved.ssim.toFixed(4)] : ['–', '–', '–']) : [];
      rows.push([
        part === 'test' ? path.basename(r.run) : '',
        part === 'test' ? r.model : '',
        part === 'test' ? r.data : '',
        part === 'test' ? String(r.step) : '',
        part,
        String(m.images),
        m.bce.toFixed(2),
        m.mse.toFixed(5),
        psnrOfMse(m.mse).toFixed(2),
        m.psnr.toFixed(2),
        m.ssim.toFixed(4),
        ...msCell,
        ...movedCells,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const numeric = (i: number) => i >= 5 || i === 3;
  const line = (cells: string[]) => cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  const buckets = bucketTable(report.runs);
  if (buckets) lines.push('', buckets);
  if (report.toDiff) {
    const d = report.toDiff;
    lines.push('', `to-diff: ${d.bce.toFixed(2)} (BCE per image of ${path.basename(d.prediction)}'s reconstructions against ${path.basename(d.target)}'s, ${d.images} ${d.split} test images)`);
  }
  return lines.join('\n');
}

const hasBuckets = (m: EvalMetrics | PairEvalMetrics): m is PairEvalMetrics => 'buckets' in m;

/** Test PSNR (the bucket's, from its mean MSE) and SSIM (and MS-SSIM for colour runs) per bucket of g, the pair runs side by side (those with the same buckets as the first). */
function bucketTable(runs: RunEvaluation[]): string | null {
  const pairRuns = runs.filter((r) => hasBuckets(r.test));
  if (pairRuns.length === 0) return null;
  const names = (pairRuns[0].test as PairEvalMetrics).buckets.map((b) => b.name);
  const same = pairRuns.filter((r) => (r.test as PairEvalMetrics).buckets.map((b) => b.name).join() === names.join());
  const hasMs = (r: RunEvaluation) => r.test.msssim !== undefined;
  const header = ['g (test)', ...same.flatMap((r) => [`${path.basename(r.run)} PSNR`, 'SSIM', ...(hasMs(r) ? ['MS-SSIM'] : [])])];
  const rows = names.map((name, i) => [name, ...same.flatMap((r) => {
    const b: BucketMetrics = (r.test as PairEvalMetrics).buckets[i];
    return [psnrOfMse(b.mse).toFixed(2), b.ssim.toFixed(4), ...(hasMs(r) ? [(b.msssim ?? NaN).toFixed(4)] : [])];
  })]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const skipped = pairRuns.length - same.length;
  return [line(header), ...rows.map(line), ...(skipped ? [`(${skipped} pair run(s) with other groups not shown per bucket)`] : [])].join('\n');
}
