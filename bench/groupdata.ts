// Benchmark: how fast the known-group data sets make training batches (pairs (x, g·x), 32×32),
// single-threaded, through the public PairSampler. Also the one-off cost of reading the mnist package.
// Run: bun run bench:groupdata   (prints images/s, two per pair; nothing here is asserted anywhere)
import { datasetEntry, datasetNames, loadMnist, openDataset } from '@maga/model';

const BATCH = 64;
const BATCHES = 40;

let start = performance.now();
await loadMnist();
const loadMs = performance.now() - start;

console.log(`Known-group pairs (1×32×32, batches of ${BATCH}, single thread, Bun ${Bun.version})`);
console.log(`  reading the mnist package (10,000 digits, once per process)  ${loadMs.toFixed(0)} ms`);
// The 32×32 sets: every pair set that draws its batches in line (the 3-D renders have bench:render3d).
for (const name of datasetNames('group-pairs').filter((n) => !datasetEntry(n).renderAhead)) {
  const entry = datasetEntry(name);
  for (const group of [entry.defaultGroup, 'c4'].filter((g, i, all): g is string => g !== null && all.indexOf(g) === i)) {
    const sampler = (await openDataset(name, group)).sampler({ part: 'train', batchSize: BATCH, seed: 1 });
    for (let i = 0; i < 5; i++) sampler.next(); // warm-up: let the JIT compile the loops first
    start = performance.now();
    for (let i = 0; i < BATCHES; i++) sampler.next();
    const seconds = (performance.now() - start) / 1000;
    const images = (2 * BATCH * BATCHES) / seconds;
    console.log(`  ${`${name} / ${group}`.padEnd(30)} ${Math.round(images).toLocaleString('en-US').padStart(10)} images/s`);
  }
}
