// oneDNN's activation layouts for MAGANet's convolutions: `bun run bench:conv-layouts [--batch 64]
// [--reps 7]`. For each kind of layer of a MAGANet step (the encoder's 4×4 stride-2 convolutions,
// Glow's 1×1 convolutions and its couplings' 3×3 ones) and each pass (forward, data gradient,
// weight gradient): the time with blocked layouts (oneDNN's choice, with the reorders in and out)
// and with plain NCHW, on one thread, and which one native/dnnl.ts's layoutFor rule picks. Times
// are the best of `reps` runs of the calling thread's CPU time (getrusage of a one-thread process),
// which a busy machine inflates less than wall time. docs/performance.md shows its table.
import { loadDnnl, layoutFor, type ConvPass } from '../packages/tensor/src/native/dnnl.ts';
import { convGeometry } from '../packages/tensor/src/ops/conv-geometry.ts';
import { benchFlags } from './flags.ts';

const { positiveInt } = benchFlags('bench:conv-layouts');
const batch = positiveInt('batch', '64');
const reps = positiveInt('reps', '7');
if (process.env.OMP_NUM_THREADS !== '1') console.error('bench:conv-layouts: run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 (the figures are for one thread)');

// [channels in, size, channels out, kernel, stride, padding, what]
const LAYERS: [number, number, number, number, number, number, string][] = [
  [1, 64, 32, 4, 2, 1, 'encoder conv1'],
  [32, 32, 32, 4, 2, 1, 'encoder conv2'],
  [32, 16, 32, 4, 2, 1, 'encoder conv3'],
  [32, 8, 32, 4, 2, 1, 'encoder conv4'],
  [4, 32, 4, 1, 1, 0, 'Glow 1×1, level 1'],
  [16, 16, 16, 1, 1, 0, 'Glow 1×1, level 2'],
  [64, 8, 64, 1, 1, 0, 'Glow 1×1, level 3'],
  [2, 32, 2, 3, 1, 1, 'coupling 3×3, level 1'],
  [2, 32, 2, 1, 1, 0, 'coupling 1×1, level 1'],
  [8, 16, 8, 3, 1, 1, 'coupling 3×3, level 2'],
  [8, 16, 8, 1, 1, 0, 'coupling 1×1, level 2'],
  [32, 8, 32, 3, 1, 1, 'coupling 3×3, level 3'],
  [32, 8, 32, 1, 1, 0, 'coupling 1×1, level 3'],
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const best = (f: () => void) => {
  f();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const a = cpuMs();
    f();
    t = Math.min(t, cpuMs() - a);
  }
  return t;
};

const blocked = await loadDnnl({ layouts: 'blocked' });
const plain = await loadDnnl({ layouts: 'plain' });
if ('error' in blocked || 'error' in plain) throw new Error(`bench:conv-layouts: oneDNN did not load (${'error' in blocked ? blocked.error : ''})`);
const rows: string[][] = [['layer', 'geometry', 'pass', 'blocked ms', 'plain ms', 'rule', 'rule / best']];
for (const [ci, size, co, k, stride, pad, what] of LAYERS) {
  const g = convGeometry('bench', [batch, ci, size, size], [co, ci, k, k], stride, pad);
  const x = new Float32Array(g.n * g.ci * g.h * g.w).fill(0.1);
  const w = new Float32Array(g.co * g.ci * g.kh * g.kw).fill(0.01);
  const y = new Float32Array(g.n * g.co * g.ho * g.wo);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  for (const pass of ['forward', 'data', 'weights'] as ConvPass[]) {
    const time = (c: typeof blocked.convolutions) =>
      best(() => (pass === 'forward' ? c.forward(x, w, null, y, g) : pass === 'data' ? c.backwardData(y, w, dx, g) : c.backwardWeights(x, y, dw, g)));
    const b = time(blocked.convolutions);
    const p = time(plain.convolutions);
    const rule = layoutFor(pass, g);
    rows.push([what, `${ci}→${co} ${size}×${size} k${k} s${stride}`, pass, b.toFixed(3), p.toFixed(3), rule, ((rule === 'plain' ? p : b) / Math.min(b, p)).toFixed(2)]);
  }
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`\nbench:conv-layouts: batch ${batch}, one thread, best of ${reps} (CPU ms)\n`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
