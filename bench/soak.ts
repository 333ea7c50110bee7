// Long-run memory soak: `bun run bench:soak [--steps 10000] [--every 500] [--backend webgpu|cpu]`.
// Trains the quick preset's MAGANet through the real `cli train` loop (logging, checkpoints, the
// divergence guard) in a temporary run directory and prints, every N steps, the device's live
// buffers and bytes, the pool's bytes and the host's resident memory. After warm-up every column
// should stay flat: a growing one is a leak (a tensor not freed, a pool that only grows, host
// arrays kept per step). The last lines give each column's change from the first row to the last.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRunDir, planRun, train, type Progress, type Reporter } from '@maga/cli';
import * as T from '@maga/tensor';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const steps = Number(flag('steps', '10000'));
const every = Number(flag('every', '500'));
const backend = flag('backend', process.env.MAGA_BACKEND ?? 'auto') as T.BackendChoice;
for (const [name, value] of [['steps', steps], ['every', every]] as const) {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`bench:soak: --${name} must be a positive integer, got ${flag(name, '')}`);
}

const MB = 1024 * 1024;
interface Row {
  step: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBytes: number;
  rss: number;
  imagesPerSecond: number | null;
}
const rows: Row[] = [];
const columns = ['step', 'live buffers', 'live MB', 'pooled MB', 'host RSS MB', 'images/s'];
const print = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(Math.max(columns[i].length, 8))).join('  '));

function sample(p: Progress): void {
  if (p.step % every !== 0 && p.step !== p.steps) return;
  const stats = T.backend().stats();
  const row = { step: p.step, liveBuffers: stats.liveBuffers, liveBytes: stats.liveBytes, pooledBytes: stats.pooledBytes, rss: process.memoryUsage().rss, imagesPerSecond: p.imagesPerSecond };
  rows.push(row);
  print([String(row.step), String(row.liveBuffers), (row.liveBytes / MB).toFixed(2), (row.pooledBytes / MB).toFixed(2), (row.rss / MB).toFixed(1), row.imagesPerSecond?.toFixed(1) ?? '-']);
}

let header = false;
// The first note comes once the backend is chosen: the header names it.
const printHeader = () => {
  if (header) return;
  header = true;
  console.log(`bench:soak: the quick MAGANet, ${steps} steps of batch 16, on ${T.backend().description}; a row every ${every} steps`);
  print(columns);
};
const reporter: Reporter = { note: printHeader, step: sample, log: sample, finish() {} };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-soak-'));
const dir = path.join(tmp, 'run');
try {
  // The quick preset at the asked length; a small final evaluation, which is not what is measured.
  createRunDir(dir, planRun({ preset: 'quick', steps, evalCount: 16 }));
  const started = performance.now();
  await train(dir, { backend, reporter });
  const minutes = (performance.now() - started) / 60_000;
  if (rows.length >= 2) {
    // The first row is after warm-up: pipelines compiled, the pool filled for one step's shapes.
    const [first, last] = [rows[0], rows[rows.length - 1]];
    const change = (key: 'liveBuffers' | 'liveBytes' | 'pooledBytes' | 'rss', scale = 1, digits = 0) => {
      const values = rows.map((r) => r[key] / scale);
      return `${(last[key] / scale - first[key] / scale).toFixed(digits)} (range ${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)})`;
    };
    console.log(`\nfrom step ${first.step} to ${last.step} (${minutes.toFixed(1)} min):`);
    console.log(`  live buffers  ${change('liveBuffers')}`);
    console.log(`  live MB       ${change('liveBytes', MB, 2)}`);
    console.log(`  pooled MB     ${change('pooledBytes', MB, 2)}`);
    console.log(`  host RSS MB   ${change('rss', MB, 1)}`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
