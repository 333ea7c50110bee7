// What a run looks like in TensorBoard, from its run directory (rundir.ts) or live from `train
// --tensorboard`: one event file per run (per training session, live) holding
//   loss/<term>               every loss term of each log.jsonl line (loss, bce, kl, ...), at its step
//   training/lr, training/imagesPerSecond
//   test/<metric>, train-sample/<metric>      metrics.json (bce, mse, psnr, ssim, msssim), at its step;
//   test/<metric>/<bucket>    a pair run's metrics per bucket of g
//   figures/<name>            each PNG of runs/X/figures/ (`cli render`), at the step it shows
//   config                    config.json as text (Markdown: a JSON code block)
// A log line's nested objects (a metric block of a periodic evaluation) become <key>/<path> scalars.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES, readLog, readMetrics, readRunConfig, type LogLine, type RunConfig, type RunMetrics } from '../run/rundir.ts';
import { eventFileName, EventWriter, pngInfo, scanEventFile, type SummaryValue } from './tensorboard.ts';

/** A log line's fields that are not loss terms, and the tag each gets (time is TensorBoard's own axis). */
const TRAINING_FIELDS: Record<string, string | null> = { step: null, time: null, lr: 'training/lr', imagesPerSecond: 'training/imagesPerSecond' };

function numericLeaves(value: unknown, prefix: string, out: SummaryValue[]): void {
  if (typeof value === 'number' && Number.isFinite(value)) out.push({ tag: prefix, scalar: value });
  else if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) numericLeaves(v, `${prefix}/${k}`, out);
}

export function logScalars(line: LogLine): SummaryValue[] {
  const out: SummaryValue[] = [];
  for (const [key, value] of Object.entries(line)) {
    if (Object.hasOwn(TRAINING_FIELDS, key)) {
      const tag = TRAINING_FIELDS[key];
      if (tag && typeof value === 'number') out.push({ tag, scalar: value });
    } else if (typeof value === 'number') out.push({ tag: `loss/${key}`, scalar: value });
    else numericLeaves(value, key, out);
  }
  return out;
}

export function metricScalars(metrics: RunMetrics): SummaryValue[] {
  const out: SummaryValue[] = [];
  for (const [part, prefix] of [['test', 'test'], ['train', 'train-sample']] as const) {
    const m = metrics[part] as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(m)) {
      if (name === 'images') continue;
      if (name === 'buckets' && Array.isArray(value)) {
        for (const bucket of value as { name: string; [k: string]: unknown }[]) {
          for (const [metric, v] of Object.entries(bucket)) if (metric !== 'name' && metric !== 'images' && typeof v === 'number') out.push({ tag: `${prefix}/${metric}/${bucket.name}`, scalar: v });
        }
      } else numericLeaves(value, `${prefix}/${name}`, out);
    }
  }
  return out;
}

export function configText(config: RunConfig, from?: string): SummaryValue {
  return { tag: 'config', text: `${from ? `${from}\n\n` : ''}\`\`\`json\n${JSON.stringify(config, null, 2)}\n\`\`\`` };
}

/** The PNG figures of runs/X/figures/ as images, and the step they show (figures.json), or null when there are none. */
export function figureImages(dir: string): { step: number | null; values: SummaryValue[] } | null {
  const figures = path.join(dir, FILES.figures);
  if (!fs.existsSync(figures)) return null;
  const pngs = fs.readdirSync(figures).filter((f) => f.endsWith('.png')).sort();
  if (pngs.length === 0) return null;
  let step: number | null = null;
  try {
    const summary = JSON.parse(fs.readFileSync(path.join(figures, 'figures.json'), 'utf8')) as { step?: unknown };
    if (typeof summary.step === 'number') step = summary.step;
  } catch {
    // No figures.json (figures from an older `cli render`): the caller picks the step.
  }
  const values = pngs.map((name) => {
    const file = path.join(figures, name);
    const png = new Uint8Array(fs.readFileSync(file));
    return { tag: `figures/${name.replace(/\.png$/, '')}`, image: { png, ...pngInfo(png, file) } };
  });
  return { step, values };
}

export interface ExportResult {
  file: string;
  scalars: number;
  images: number;
  /** Event files of an earlier export of this run that the new one replaced. */
  replaced: number;
}

const EXPORT_SUFFIX = 'maga-export';

/**
 * Writes one run's event file into outDir (atomically), from config.json, log.jsonl, metrics.json
 * and the PNGs of figures/ (absent figures: none; the command renders them first when asked).
 * An earlier export of the run in outDir is replaced, never added to.
 */
export function exportRun(dir: string, outDir: string): ExportResult {
  const config = readRunConfig(dir);
  const log = readLog(dir);
  const metrics = readMetrics(dir);
  const created = Date.parse(config.createdAt);
  const start = Number.isFinite(created) ? created / 1000 : Date.now() / 1000;
  // Each log line's wall time: the run's creation plus its training seconds.
  const wallTime = (line: LogLine) => start + (typeof line.time === 'number' ? line.time : 0);
  const lastStep = log.at(-1)?.step ?? metrics?.step ?? 0;
  fs.mkdirSync(outDir, { recursive: true });
  const earlier = fs.readdirSync(outDir).filter((f) => f.includes('tfevents') && f.endsWith(`.${EXPORT_SUFFIX}`));
  const file = path.join(outDir, eventFileName(EXPORT_SUFFIX));
  const writer = new EventWriter(file, { atomic: true, wallTime: start });
  let scalars = 0;
  let images = 0;
  try {
    writer.summary(0, [configText(config)], start);
    for (const line of log) {
      const values = logScalars(line);
      writer.summary(line.step, values, wallTime(line));
      scalars += values.length;
    }
    const end = log.length > 0 ? wallTime(log.at(-1)!) : start;
    if (metrics) {
      const values = metricScalars(metrics);
      writer.summary(metrics.step, values, end);
      scalars += values.length;
    }
    const figures = figureImages(dir);
    if (figures) {
      writer.summary(figures.step ?? lastStep, figures.values, end);
      images = figures.values.length;
    }
    writer.close();
  } catch (e) {
    writer.close();
    fs.rmSync(file, { force: true });
    throw e;
  }
  for (const old of earlier) if (path.join(outDir, old) !== file) fs.rmSync(path.join(outDir, old), { force: true });
  return { file, scalars, images, replaced: earlier.filter((f) => path.join(outDir, f) !== file).length };
}

/** The directory of a run's live event files. */
export const liveDir = (dir: string) => path.join(dir, 'tensorboard');
const LIVE_SUFFIX = 'maga-train';

/**
 * `train --tensorboard`: a new event file in runs/X/tensorboard/ for each training session. A
 * resumed session starts with a SessionLog START at its checkpoint's step, so TensorBoard drops
 * what the stopped session logged after it (as log.jsonl does); an earlier file cut short (the
 * process killed mid-write) is reported once: TensorBoard reads it up to its last whole record.
 */
export class LiveTensorBoard {
  private writer: EventWriter | null = null;
  readonly notes: string[] = [];

  start(dir: string, config: RunConfig, step: number, resumed: boolean): string {
    const out = liveDir(dir);
    if (fs.existsSync(out)) {
      for (const name of fs.readdirSync(out).filter((f) => f.includes('tfevents')).sort()) {
        const scan = scanEventFile(new Uint8Array(fs.readFileSync(path.join(out, name))));
        if (scan.problem) this.notes.push(`tensorboard: ${path.join(out, name)}: ${scan.problem}; TensorBoard reads its ${scan.records} whole records before it`);
      }
    }
    const file = path.join(out, eventFileName(LIVE_SUFFIX));
    this.writer = new EventWriter(file);
    const now = Date.now() / 1000;
    if (resumed) this.writer.write({ wallTime: now, step, sessionStart: true });
    this.writer.summary(step, [configText(config, resumed ? `resumed at step ${step}` : undefined)], now);
    return file;
  }

  log(line: LogLine): void {
    this.writer?.summary(line.step, logScalars(line));
  }

  metrics(metrics: RunMetrics): void {
    this.writer?.summary(metrics.step, metricScalars(metrics));
  }

  figures(dir: string, step: number): number {
    const figures = figureImages(dir);
    if (!figures) return 0;
    this.writer?.summary(figures.step ?? step, figures.values);
    return figures.values.length;
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
  }
}
