// Evaluating runs: each run's metrics on a seeded sample of its split's test part and train part
// (written to its metrics.json), and for two runs the blog's "to-diff": how far apart their
// reconstructions of the same test images are (BCE per image, the first run's as the target).
import * as path from 'node:path';
import { evalIndices, reconstructionDifference, reconstructions, type EvalMetrics, type SplitName } from '@maga/model';
import { loadTrainedModel, type TrainedModel } from './load.ts';
import { writeMetrics } from './rundir.ts';
import { evaluateRun } from './train.ts';

export interface RunEvaluation {
  run: string;
  model: string;
  split: SplitName;
  step: number;
  count: number;
  test: EvalMetrics;
  train: EvalMetrics;
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
    onNote(`evaluating ${dir} (step ${step}) on ${n} test and ${n} train images`);
    const metrics = await evaluateRun(model, config, step, n, allowNonFinite);
    writeMetrics(dir, metrics);
    runs.push({ run: dir, model: config.model.model, split: config.data.split, step, count: n, test: metrics.test, train: metrics.train });
  }
  let toDiff: ToDiff | null = null;
  if (loaded.length === 2) {
    const [a, b] = loaded;
    const options = { split: a.config.data.split, part: 'test' as const, count: count ?? a.config.training.evalCount, seed: 0 };
    const ia = evalIndices(a.model, options);
    const ib = evalIndices(b.model, options); // the same varying images; each model's own pivots
    onNote(`to-diff: reconstructing ${ia.varying.length} ${options.split} test images with both runs`);
    const bce = reconstructionDifference(await reconstructions(a.model, ia.pivot, ia.varying), await reconstructions(b.model, ib.pivot, ib.varying));
    toDiff = { target: a.dir, prediction: b.dir, split: options.split, images: ia.varying.length, bce };
  }
  for (const { model } of loaded) model.dispose();
  return { runs, toDiff };
}

/** The report as an aligned text table. */
export function formatReport(report: EvalReport): string {
  const header = ['run', 'model', 'split', 'step', 'part', 'images', 'BCE', 'MSE', 'PSNR', 'SSIM'];
  const rows: string[][] = [];
  for (const r of report.runs) {
    for (const part of ['test', 'train'] as const) {
      const m = r[part];
      rows.push([part === 'test' ? path.basename(r.run) : '', part === 'test' ? r.model : '', part === 'test' ? r.split : '', part === 'test' ? String(r.step) : '', part, String(m.images), m.bce.toFixed(2), m.mse.toFixed(5), m.psnr.toFixed(2), m.ssim.toFixed(4)]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const numeric = (i: number) => i >= 5 || i === 3;
  const line = (cells: string[]) => cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];
  if (report.toDiff) {
    const d = report.toDiff;
    lines.push('', `to-diff: ${d.bce.toFixed(2)} (BCE per image of ${path.basename(d.prediction)}'s reconstructions against ${path.basename(d.target)}'s, ${d.images} ${d.split} test images)`);
  }
  return lines.join('\n');
}
