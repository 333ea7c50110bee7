// Benchmark: how fast dSprites renders, single-threaded, one image at a time and in batches.
// Run: bun run bench:dsprites   (prints images/s; nothing here is asserted anywhere)
import { dsprites, splitIndices } from '@maga/model';
import { randomIntegers } from '../test/support/random.ts';

const { DSPRITES, render, renderBatch } = dsprites;

// A fixed pseudo-random sample of indices, so every run renders the same images.
const sampleIndices = (count: number, seed: number) => Int32Array.from(randomIntegers(count, DSPRITES.count, seed));

function imagesPerSecond(images: number, run: () => void): number {
  run(); // warm-up: let the JIT compile the rendering loops first
  const start = performance.now();
  run();
  return images / ((performance.now() - start) / 1000);
}

const indices = sampleIndices(200_000, 1);
const image = new Float32Array(DSPRITES.imagePixels);
const rows: [string, number][] = [
  ['render, one image at a time', imagesPerSecond(indices.length, () => indices.forEach((index) => render(index, image)))],
  ['renderBatch, batches of 64', imagesPerSecond(indices.length, () => {
    for (let start = 0; start < indices.length; start += 64) renderBatch(indices.subarray(start, start + 64));
  })],
  ['renderBatch, batches of 1024', imagesPerSecond(indices.length, () => {
    for (let start = 0; start < indices.length; start += 1024) renderBatch(indices.subarray(start, start + 1024));
  })],
];

console.log(`dSprites rendering (64×64, random indices, single thread, Bun ${Bun.version})`);
for (const [name, rate] of rows) console.log(`  ${name.padEnd(36)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} images/s`);

for (const split of ['to-element', 'to-range', 'random'] as const) {
  splitIndices(split, 'test'); // warm-up, as above
  const start = performance.now();
  const test = splitIndices(split, 'test');
  console.log(`  splitIndices('${split}', 'test')`.padEnd(38) + ` ${(performance.now() - start).toFixed(0).padStart(10)} ms (${test.length.toLocaleString('en-US')} indices)`);
}
