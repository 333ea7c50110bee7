// Baselines for the objects3d table (docs/latent-action.md, "The skip ablation on objects3d"): the
// PSNR, SSIM and MS-SSIM that predictions needing no model reach on the same test pairs as `cli
// eval` (objects3d so3, 240 pairs, seed 0) — the input x copied, a white image (the background),
// and the mean g·x of those pairs — so a model's figures can be read against them.
// Run: bun run bench:objects3d-baselines   (prints the figures; nothing here is asserted anywhere)
import { metrics, openDataset } from '@maga/model';

const dataset = await openDataset('objects3d', 'so3');
const set = dataset.evaluationSet({ pairs: 240, seed: 0, part: 'test' });
const [channels, height, width] = dataset.imageShape;
const pixels = channels * height * width;
const pairs = dataset.renderPairs(set.specs);
const image = (values: Float32Array, i: number) => values.subarray(i * pixels, (i + 1) * pixels);

// As evaluatePairs scores colour images: SSIM and MS-SSIM per channel, averaged; PSNR capped at 100.
const perChannel = (metric: typeof metrics.ssim, a: Float32Array, b: Float32Array) => {
  let total = 0;
  for (let ch = 0; ch < channels; ch++) total += metric(a.subarray(ch * height * width, (ch + 1) * height * width), b.subarray(ch * height * width, (ch + 1) * height * width), width, height);
  return total / channels;
};

const meanTarget = new Float32Array(pixels);
for (let i = 0; i < pairs.size; i++) image(pairs.gx, i).forEach((v, j) => (meanTarget[j] += v / pairs.size));
const white = new Float32Array(pixels).fill(1);
const predictions: [string, (i: number) => Float32Array][] = [
  ['x itself (no change)', (i) => image(pairs.x, i)],
  ['a white image (the background)', () => white],
  ['the mean g·x of these pairs', () => meanTarget],
];
console.log(`objects3d so3, ${pairs.size} test pairs (seed 0), as cli eval scores them`);
for (const [name, predict] of predictions) {
  const total = { psnr: 0, ssim: 0, msssim: 0 };
  for (let i = 0; i < pairs.size; i++) {
    const target = image(pairs.gx, i);
    const guess = predict(i);
    total.psnr += Math.min(100, metrics.psnr(guess, target));
    total.ssim += perChannel(metrics.ssim, guess, target);
    total.msssim += perChannel(metrics.msSsim, guess, target);
  }
  console.log(`${name}: PSNR ${(total.psnr / pairs.size).toFixed(2)} dB, SSIM ${(total.ssim / pairs.size).toFixed(4)}, MS-SSIM ${(total.msssim / pairs.size).toFixed(4)}`);
}
