// Benchmark: the `cli serve` process as a client sees it — latency of a reconstruct request and of
// a 10-image traversal, and the server's memory (RSS) idle and over sequential requests.
// Run: bun bench/server.ts [--run runs/NAME] [--backend webgpu|cpu] [--requests 100]
// Without --run it trains a throwaway run with the quick preset's architecture for 2 steps (the
// weights do not matter for speed). Prints one table; nothing here is asserted anywhere.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dir, '..');
const { values: args } = parseArgs({ options: { run: { type: 'string' }, requests: { type: 'string', default: '100' }, backend: { type: 'string', default: process.env.MAGA_BACKEND || 'auto' } } });
const env = { ...process.env, MAGA_BACKEND: args.backend! };

let runsDir: string;
let id: string;
let scratch: string | null = null;
if (args.run) {
  runsDir = path.dirname(path.resolve(args.run));
  id = path.basename(args.run);
} else {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-bench-server-'));
  runsDir = scratch;
  id = 'quick-2-steps';
  const trained = Bun.spawnSync([process.execPath, 'packages/cli/main.ts', 'train', '--preset', 'quick', '--steps', '2', '--eval-count', '8', '--quiet', '--out', path.join(runsDir, id)], { cwd: ROOT, env, stderr: 'pipe' });
  if (trained.exitCode !== 0) throw new Error(`training the benchmark run failed:\n${trained.stderr.toString()}`);
}

const server = Bun.spawn([process.execPath, 'packages/cli/main.ts', 'serve', '--runs', runsDir, '--port', '0'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' });
const reader = server.stdout.getReader();
let banner = '';
while (!/at (http:\/\/\S+)/.test(banner)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`the server did not start:\n${banner}\n${await new Response(server.stderr).text()}`);
  banner += new TextDecoder().decode(value);
}
const base = banner.match(/at (http:\/\/\S+)/)![1];
const device = banner.match(/backend: (.*)/)?.[1] ?? '?';

/** Resident memory of the server process, in MiB (Linux /proc, else ps). */
function rssMiB(): number {
  try {
    const status = fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
    return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
  } catch {
    return Number(Bun.spawnSync(['ps', '-o', 'rss=', '-p', String(server.pid)]).stdout.toString().trim()) / 1024;
  }
}

async function post(route: string, body: unknown): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${base}/api/runs/${id}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: [string, string][] = [];
const time = (ms: number) => `${ms.toFixed(1)} ms`;

await fetch(`${base}/api/health`);
rows.push(['server RSS, idle after start', `${rssMiB().toFixed(0)} MiB`]);

rows.push(['reconstruct 1 image, first (loads the model)', time(await post('reconstruct', { indices: [1000] }))]);
const reconstruct1 = Array.from({ length: 10 }, (_, i) => () => post('reconstruct', { indices: [1000 + i] }));
const reconstruct16 = Array.from({ length: 5 }, (_, i) => () => post('reconstruct', { indices: Array.from({ length: 16 }, (_, k) => 5000 * i + 37 * k) }));
const traverse10 = Array.from({ length: 5 }, (_, i) => () => post('traverse', { index: 70_000 + i, steps: 10, components: [i % 10] }));
const traverseAll = Array.from({ length: 3 }, (_, i) => () => post('traverse', { index: 80_000 + i, steps: 9 }));
async function series(tasks: (() => Promise<number>)[]): Promise<number[]> {
  const out: number[] = [];
  for (const task of tasks) out.push(await task());
  return out;
}
await post('traverse', { index: 1, steps: 10, components: [0] }); // first traversal compiles nothing new, but warms caches
rows.push(['reconstruct 1 image (median of 10)', time(median(await series(reconstruct1)))]);
rows.push(['reconstruct 16 images (median of 5)', time(median(await series(reconstruct16)))]);
rows.push(['traverse 1 component × 10 steps = 10 images (median of 5)', time(median(await series(traverse10)))]);
rows.push(['traverse all components × 9 steps (median of 3)', time(median(await series(traverseAll)))]);

// Sequential requests, a mix of the viewer's calls; memory sampled after each (and reported per
// hundred, which shows whether it settles).
const total = Number(args.requests);
let peak = 0;
let started = performance.now();
for (let i = 0; i < total; i++) {
  if (i % 4 === 3) await post('traverse', { index: 90_000 + i, steps: 10, components: [i % 10] });
  else await post('reconstruct', { indices: Array.from({ length: 8 }, (_, k) => (i * 7919 + k * 104_729) % 737_280) });
  peak = Math.max(peak, rssMiB());
  if ((i + 1) % 100 === 0) {
    const seconds = (performance.now() - started) / 1000;
    rows.push([`requests ${i - 98}-${i + 1} (3/4 reconstruct ×8, 1/4 traverse ×10)`, `${seconds.toFixed(1)} s, ${(100 / seconds).toFixed(1)} req/s; RSS peak ${peak.toFixed(0)} MiB`]);
    started = performance.now();
  }
}
await Bun.sleep(1000);
rows.push(['server RSS, idle after them', `${rssMiB().toFixed(0)} MiB`]);

server.kill('SIGINT');
await server.exited;
if (scratch) fs.rmSync(scratch, { recursive: true, force: true });

console.log(`bench/server.ts — ${device}; run ${id}`);
const width = Math.max(...rows.map(([name]) => name.length));
for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
