// The test curves of an experiment's results: for each data set, the headline test metric against
// the training images seen, one line per arm (model and variant), the mean over seeds with its 95 %
// band, from each run's eval.jsonl (`--eval-every`). Beside the figure, where each arm's test
// metric was best and whether it was still improving when training stopped: when combinatorial
// generalisation appears, not only where training ends.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../run/atomic.ts';
import { readEvalLog, type EvalLine } from '../run/rundir.ts';
import { curveSvg, type CurveSeries } from '../figures/curve-svg.ts';
import type { finishedRuns } from './runner.ts';
import { meanInterval } from './stats.ts';
import { dataLabel, type Experiment } from './table.ts';

type Finished = ReturnType<typeof finishedRuns>[number];

export interface CurveMetric {
  key: string;
  label: string;
  lowerIsBetter: boolean;
}

export interface ArmCurve {
  label: string;
  /** Images seen → the metric's mean over seeds and its 95 % interval (only where every seed has a point). */
  points: { images: number; mean: number; lo?: number; hi?: number }[];
  seeds: number;
}

/** One arm's curve from its runs' eval logs, on the images values every run has. */
export function armCurve(label: string, logs: EvalLine[][], key: string): ArmCurve {
  const byImages = new Map<number, number[]>();
  for (const log of logs) {
    for (const line of log) {
      const v = line.test[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      byImages.set(line.images, [...(byImages.get(line.images) ?? []), v]);
    }
  }
  const points = [...byImages.entries()]
    .filter(([, values]) => values.length === logs.length)
    .sort((a, b) => a[0] - b[0])
    .map(([images, values]) => {
      const i = meanInterval(values);
      return i.halfWidth === null ? { images, mean: i.mean } : { images, mean: i.mean, lo: i.mean - i.halfWidth, hi: i.mean + i.halfWidth };
    });
  return { label, points, seeds: logs.length };
}

const armName = (f: Finished) => (f.run.variant ? `${f.run.model} (${f.run.variant})` : f.run.model);
const count = (n: number) => n.toLocaleString('en-US');

export function curvesSection(e: Experiment, finished: Finished[], metric: CurveMetric, dir: string, link: (file: string) => string, figures: string[]): string[] {
  const withCurves = finished.filter((f) => readEvalLog(f.run.dir).length > 0);
  if (withCurves.length === 0) return [];
  const every = [...new Set(withCurves.map((f) => f.config.training.evalEvery))].join(', ');
  const sample = [...new Set(withCurves.map((f) => f.config.training.evalSample))].join(', ');
  const lines = [
    '',
    '### Test curves',
    '',
    `${metric.label[0].toUpperCase()}${metric.label.slice(1)} on a fixed sample of ${sample} test images, every ${every} steps, against the training images seen: the mean over seeds, with its 95 % band. ` +
      `The table says where each arm's test metric was best, and whether it was still ${metric.lowerIsBetter ? 'falling' : 'rising'} at the last evaluation.`,
    '',
    `| data | arm | best | at images | last | at images | seeds |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const charts: string[] = [];
  for (const data of e.data) {
    const label = dataLabel(data);
    const runs = withCurves.filter((f) => dataLabel(f.run.data) === label);
    const arms = [...new Set(runs.map(armName))];
    const curves = arms.map((arm) => armCurve(arm, runs.filter((f) => armName(f) === arm).map((f) => readEvalLog(f.run.dir)), metric.key)).filter((c) => c.points.length > 0);
    if (curves.length === 0) continue;
    for (const c of curves) {
      const better = (a: number, b: number) => (metric.lowerIsBetter ? a < b : a > b);
      const best = c.points.reduce((b, p) => (better(p.mean, b.mean) ? p : b));
      const last = c.points[c.points.length - 1];
      const still = best === last && c.points.length > 1 ? ' (still improving)' : '';
      lines.push(`| ${label} | ${c.label} | ${best.mean.toFixed(2)} | ${count(best.images)}${still} | ${last.mean.toFixed(2)} | ${count(last.images)} | ${c.seeds} |`);
    }
    const series: CurveSeries[] = curves.map((c) => ({ label: `${c.label}${c.seeds > 1 ? ` (${c.seeds} seeds)` : ''}`, points: c.points.map((p) => ({ x: p.images, y: p.mean, lo: p.lo, hi: p.hi })) }));
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${e.name}-curve-${label}.svg`);
    writeFileAtomic(file, curveSvg({ title: `${e.name}: ${label}`, xLabel: 'training images seen', yLabel: metric.label, series }));
    figures.push(file);
    charts.push('', `![${e.name}: ${metric.label} against images seen on ${label}](${link(file)})`);
  }
  return [...lines, ...charts];
}
