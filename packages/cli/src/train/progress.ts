// Training progress for people: on a terminal, one progress-bar line redrawn in place; when
// output goes to a file or a pipe, plain lines at each logging interval; with --quiet, only the
// final summary.
import type { LogLine } from '../run/rundir.ts';

export interface Progress {
  step: number;
  steps: number;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  /** The most recent loss terms read from the device. */
  last: LogLine | null;
}

export interface Reporter {
  /** A line of information (backend, run directory, checkpoints, evaluation). */
  note(text: string): void;
  /** Called after every step; cheap (a terminal redraw is rate-limited). */
  step(progress: Progress): void;
  /** Called at each logging interval with the terms just read. */
  log(progress: Progress): void;
  /** The final summary: printed even when quiet. */
  finish(lines: string[]): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

// Four significant digits (whole numbers from 1000 up): enough to watch a loss, short enough for one line.
const number = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(4));

/** The log line's fields that are not loss terms. */
const NOT_TERMS = new Set(['step', 'time', 'imagesPerSecond', 'lr']);

/** The loss terms of a log line, the loss first: `loss 512.3 bce 498.1 kl 3.20 latent 0.0412`. */
export function formatTerms(line: LogLine): string {
  const names = ['loss', ...Object.keys(line).filter((k) => k !== 'loss' && !NOT_TERMS.has(k))];
  return names
    .filter((k) => typeof line[k] === 'number')
    .map((k) => `${k} ${number(line[k])}`)
    .join(' ');
}

function statusText(p: Progress): string {
  const width = String(p.steps).length;
  const parts = [`step ${String(p.step).padStart(width)}/${p.steps}`];
  if (p.last) parts.push(formatTerms(p.last));
  if (p.imagesPerSecond !== null) parts.push(`${p.imagesPerSecond.toFixed(1)} img/s`);
  if (p.etaSeconds !== null) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(' | ');
}

type Output = { write(text: string): unknown; isTTY?: boolean; columns?: number };

export function createReporter(options: { quiet?: boolean; output?: Output } = {}): Reporter {
  const output: Output = options.output ?? process.stdout;
  if (options.quiet) {
    return { note() {}, step() {}, log() {}, finish: (lines) => output.write(`${lines.join('\n')}\n`) };
  }
  if (!output.isTTY) {
    return {
      note: (text) => output.write(`${text}\n`),
      step() {},
      log: (p) => output.write(`${statusText(p)}\n`),
      finish: (lines) => output.write(`${lines.join('\n')}\n`),
    };
  }
  let shown = false;
  let lastDraw = 0;
  let last: Progress | null = null;
  const clear = () => {
    if (shown) output.write('\r\x1b[2K');
    shown = false;
  };
  const draw = (p: Progress) => {
    last = p;
    // A pseudo-terminal may report 0 columns: then assume a common width.
    const columns = output.columns || 100;
    const text = statusText(p);
    const barWidth = Math.min(20, columns - text.length - 4);
    const filled = Math.round((Math.max(barWidth, 0) * p.step) / Math.max(1, p.steps));
    const line = barWidth >= 5 ? `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}` : text;
    output.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    shown = true;
    lastDraw = performance.now();
  };
  return {
    note(text) {
      clear();
      output.write(`${text}\n`);
      if (last) draw(last);
    },
    step(p) {
      if (performance.now() - lastDraw > 100 || p.step === p.steps) draw(p);
      else last = p;
    },
    log: draw,
    finish(lines) {
      clear();
      output.write(`${lines.join('\n')}\n`);
    },
  };
}
