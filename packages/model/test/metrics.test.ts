// Image metrics: MSE/PSNR and BCE against values worked out from their definitions, SSIM against
// a direct 2-D evaluation of Wang et al.'s formula and against the ssim.js package, MS-SSIM against
// a float64 evaluation from its definition written here and a numpy implementation
// (fixtures/msssim.py, run with /usr/bin/python3 when it has numpy; skipped, saying why, if not).
import { describe, expect, test } from 'bun:test';
import * as path from 'node:path';
import { ssim as ssimJs, type Options as SsimJsOptions } from 'ssim.js';
import { Objects3dDataset } from '../src/data/objects3d.ts';
import { bceSum, bceWithLogitsSum, MS_SSIM_WEIGHTS, msSsim, msSsimScales, mse, psnr, ssim, ssimBatch } from '../src/metrics.ts';
import { seededRandom } from '../../../test/support/random.ts';

const noise = (size: number, seed: number) => Float64Array.from({ length: size }, seededRandom(seed));

describe('mse and psnr', () => {
  const zeros = new Float64Array([0, 0, 0, 0]);
  const ramp = new Float64Array([0.1, 0.2, 0.3, 0.4]);

  test('match hand-computed values', () => {
    // (0.01 + 0.04 + 0.09 + 0.16) / 4
    expect(mse(zeros, ramp)).toBeCloseTo(0.075, 15);
    expect(mse(ramp, zeros)).toBeCloseTo(0.075, 15);
    expect(psnr(zeros, ramp)).toBeCloseTo(10 * Math.log10(1 / 0.075), 12);
    // A range of 2 multiplies the peak power by 4: +10 log10(4) dB.
    expect(psnr(zeros, ramp, 2)).toBeCloseTo(10 * Math.log10(4 / 0.075), 12);
    // One pixel off by 0.5 in a 2-pixel image: MSE 0.125, PSNR = 10 log10(8).
    expect(psnr(new Float32Array([0.25, 1]), new Float32Array([0.75, 1]))).toBeCloseTo(10 * Math.log10(8), 6);
  });

  test('identical images have zero error and infinite PSNR', () => {
    expect(mse(ramp, ramp)).toBe(0);
    expect(psnr(ramp, ramp)).toBe(Infinity);
  });

  test('refuse images of different sizes', () => {
    expect(() => mse(zeros, new Float64Array(3))).toThrow('differ in size');
  });
});

describe('binary cross-entropy', () => {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const logit = (p: number) => Math.log(p / (1 - p));

  test('bceWithLogitsSum matches a naive float64 loop on moderate logits', () => {
    const random = seededRandom(3);
    const logits = Float64Array.from({ length: 500 }, () => (random() - 0.5) * 16);
    // Binary and soft targets both occur in practice (soft ones from blurred or resized data).
    const target = Float64Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? random() : Math.round(random())));
    let naive = 0;
    for (let i = 0; i < logits.length; i++) {
      const p = sigmoid(logits[i]);
      naive -= target[i] * Math.log(p) + (1 - target[i]) * Math.log(1 - p);
    }
    expect(Math.abs(bceWithLogitsSum(logits, target) - naive) / naive).toBeLessThan(1e-10);
  });

  test('bceWithLogitsSum matches hand values, including logits where the naive form overflows', () => {
    // x = 0 means p = 1/2: log 2 per pixel whatever the target.
    expect(bceWithLogitsSum(new Float64Array(4), new Float64Array([0, 1, 0.5, 1]))).toBeCloseTo(4 * Math.LN2, 14);
    // Confidently wrong by 100 costs 100 (+ log(1 + e^-100)); confidently right costs ~e^-100.
    expect(bceWithLogitsSum(new Float64Array([100]), new Float64Array([0]))).toBeCloseTo(100, 12);
    expect(bceWithLogitsSum(new Float64Array([-100]), new Float64Array([1]))).toBeCloseTo(100, 12);
    expect(bceWithLogitsSum(new Float64Array([1000, -1000]), new Float64Array([1, 0]))).toBe(0);
  });

  test('bceSum matches hand values and clamps certain predictions', () => {
    expect(bceSum(new Float64Array([0.5, 0.5]), new Float64Array([0, 1]))).toBeCloseTo(2 * Math.LN2, 14);
    expect(bceSum(new Float64Array([0.9]), new Float64Array([1]))).toBeCloseTo(-Math.log(0.9), 14);
    expect(bceSum(new Float64Array([0.9]), new Float64Array([0]))).toBeCloseTo(-Math.log(0.1), 14);
    // p = 0 with t = 1 is clamped to eps: -log(1e-7) = 7 ln 10, not Infinity.
    expect(bceSum(new Float64Array([0]), new Float64Array([1]))).toBeCloseTo(7 * Math.LN10, 6);
    expect(bceSum(new Float64Array([1]), new Float64Array([0]), 1e-3)).toBeCloseTo(3 * Math.LN10, 6);
  });

  test('bceWithLogitsSum(logit(p)) equals bceSum(p)', () => {
    const random = seededRandom(4);
    const prob = Float64Array.from({ length: 300 }, () => 0.001 + 0.998 * random());
    const target = Float64Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? random() : Math.round(random())));
    const fromLogits = bceWithLogitsSum(prob.map(logit), target);
    const fromProbs = bceSum(prob, target);
    expect(Math.abs(fromLogits - fromProbs) / fromProbs).toBeLessThan(1e-10);
  });
});

// Wang et al.'s SSIM evaluated straight from its definition: at each position where the 11x11
// window fits, Gaussian-weighted (sigma 1.5) means, variances and covariance, then the formula.
// Written without the separable filtering the implementation uses.
function ssimFromDefinition(a: Float64Array, b: Float64Array, width: number, height: number): number {
  const radius = 5;
  const weight: number[] = [];
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) weight.push(Math.exp(-(dx * dx + dy * dy) / (2 * 1.5 * 1.5)));
  }
  const total = weight.reduce((s, w) => s + w, 0);
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  let sum = 0;
  let count = 0;
  for (let y = radius; y < height - radius; y++) {
    for (let x = radius; x < width - radius; x++) {
      const pixels: [number, number, number][] = [];
      let k = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          const i = (y + dy) * width + (x + dx);
          pixels.push([weight[k++] / total, a[i], b[i]]);
        }
      }
      const meanA = pixels.reduce((s, [w, p]) => s + w * p, 0);
      const meanB = pixels.reduce((s, [w, , q]) => s + w * q, 0);
      const varA = pixels.reduce((s, [w, p]) => s + w * (p - meanA) ** 2, 0);
      const varB = pixels.reduce((s, [w, , q]) => s + w * (q - meanB) ** 2, 0);
      const cov = pixels.reduce((s, [w, p, q]) => s + w * (p - meanA) * (q - meanB), 0);
      sum += ((2 * meanA * meanB + c1) * (2 * cov + c2)) / ((meanA ** 2 + meanB ** 2 + c1) * (varA + varB + c2));
      count++;
    }
  }
  return sum / count;
}

/** A filled ellipse on a dark background, the kind of image dSprites and MNIST are made of. */
function shape(width: number, height: number): Float64Array {
  const image = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x - width * 0.45) / (width * 0.3);
      const v = (y - height * 0.55) / (height * 0.2);
      image[y * width + x] = u * u + v * v <= 1 ? 0.9 : 0.1;
    }
  }
  return image;
}

/** A 5x5 box blur with clamped edges. */
function blur(image: Float64Array, width: number, height: number): Float64Array {
  const out = new Float64Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const yy = Math.min(Math.max(y + dy, 0), height - 1);
          const xx = Math.min(Math.max(x + dx, 0), width - 1);
          sum += image[yy * width + xx];
        }
      }
      out[y * width + x] = sum / 25;
    }
  }
  return out;
}

describe('ssim', () => {
  const width = 40;
  const height = 28;
  const size = width * height;

  test('is 1 for identical images, constant ones included', () => {
    const image = noise(size, 5);
    expect(ssim(image, image, width, height)).toBeCloseTo(1, 12);
    const flat = new Float64Array(size).fill(0.3);
    expect(ssim(flat, flat, width, height)).toBeCloseTo(1, 12);
  });

  test('is symmetric and below 1 for different images', () => {
    const a = shape(width, height);
    const b = blur(a, width, height);
    expect(ssim(a, b, width, height)).toBeCloseTo(ssim(b, a, width, height), 14);
    expect(ssim(a, b, width, height)).toBeLessThan(0.99);
    expect(ssim(noise(size, 6), noise(size, 7), width, height)).toBeLessThan(0.1);
  });

  test('of two constant images is the luminance term alone', () => {
    // With no variance the structure term is c2 / c2 = 1, leaving (2 a b + c1) / (a² + b² + c1).
    const a = new Float64Array(size).fill(0.2);
    const b = new Float64Array(size).fill(0.6);
    const c1 = 0.01 ** 2;
    expect(ssim(a, b, width, height)).toBeCloseTo((2 * 0.2 * 0.6 + c1) / (0.2 ** 2 + 0.6 ** 2 + c1), 12);
  });

  test('matches a direct evaluation of the definition', () => {
    const a = shape(width, height);
    const noisy = a.map((v, i) => Math.min(1, Math.max(0, v + 0.3 * (noise(size, 8)[i] - 0.5))));
    expect(ssim(a, noisy, width, height)).toBeCloseTo(ssimFromDefinition(a, noisy, width, height), 12);
    // The smallest image: one window position.
    const small = noise(121, 9);
    const other = noise(121, 10);
    expect(ssim(small, other, 11, 11)).toBeCloseTo(ssimFromDefinition(small, other, 11, 11), 12);
  });

  test('depends on the data range only through the images', () => {
    const a = shape(width, height);
    const b = blur(a, width, height);
    const scaled = (image: Float64Array) => image.map((v) => v * 255);
    expect(ssim(scaled(a), scaled(b), width, height, { dataRange: 255 })).toBeCloseTo(ssim(a, b, width, height), 12);
  });

  test('refuses images smaller than the window or of the wrong size', () => {
    expect(() => ssim(new Float64Array(100), new Float64Array(100), 10, 10)).toThrow('smaller than');
    expect(() => ssim(new Float64Array(100), new Float64Array(100), 11, 11)).toThrow('do not make');
  });

  test('ssimBatch is the mean over the batch', () => {
    const n = 3;
    const batchA = new Float32Array(n * size);
    const batchB = new Float32Array(n * size);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = i === 0 ? shape(width, height) : noise(size, 20 + i);
      const b = blur(a, width, height);
      batchA.set(a, i * size);
      batchB.set(b, i * size);
      expected.push(ssim(Float32Array.from(a), Float32Array.from(b), width, height));
    }
    // The images differ, so a batch that averaged the wrong slices would not match.
    expect(new Set(expected.map((v) => v.toFixed(6))).size).toBe(n);
    expect(ssimBatch(batchA, batchB, n, width, height)).toBeCloseTo((expected[0] + expected[1] + expected[2]) / 3, 12);
    expect(() => ssimBatch(batchA, batchB, 2, width, height)).toThrow('do not make');
  });
});

// ssim.js works on 8-bit RGBA. Its 'original' (a line-by-line port of Wang et al.'s ssim.m) and
// 'fast' (the same maths with a separable window) modes use an 11x11 Gaussian window with
// sigma 1.5, population statistics, 'valid' filtering and the mean over the map: our definition.
// Its 'weber' (the default) and 'bezkrovny' modes use a uniform window, and its default
// downsample: 'original' shrinks images of 384+ pixels, so we turn that off.
describe('ssim against ssim.js', () => {
  const tolerance = 1e-6;
  const quantise = (image: Float64Array) => image.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  const rgba = (grey: Float64Array, width: number, height: number) => {
    const data = new Uint8ClampedArray(grey.length * 4);
    for (let i = 0; i < grey.length; i++) data.set([grey[i], grey[i], grey[i], 255], i * 4);
    return { data, width, height };
  };
  const options = (mode: SsimJsOptions['ssim']): Partial<SsimJsOptions> => ({
    ssim: mode,
    windowSize: 11,
    k1: 0.01,
    k2: 0.03,
    bitDepth: 8,
    downsample: false,
    rgb2grayVersion: 'integer',
  });
  // Ours on the quantised values scaled to [0, 1], theirs on the same values in 0..255.
  const compare = (a: Float64Array, b: Float64Array, width: number, height: number, mode: SsimJsOptions['ssim']) => {
    const qa = quantise(a);
    const qb = quantise(b);
    const ours = ssim(qa.map((v) => v / 255), qb.map((v) => v / 255), width, height);
    const theirs = ssimJs(rgba(qa, width, height), rgba(qb, width, height), options(mode)).mssim;
    return { ours, theirs };
  };

  const width = 48;
  const height = 36;
  const size = width * height;
  const original = shape(width, height);
  const cases: [string, Float64Array, Float64Array][] = [
    ['random noise', noise(size, 11), noise(size, 12)],
    ['a blurred shape vs its original', blur(original, width, height), original],
    ['a shape vs the shape with noise', original, original.map((v, i) => v + 0.2 * (noise(size, 13)[i] - 0.5))],
    ['identical images', original, original],
    ['an image vs its inverse', blur(original, width, height), blur(original, width, height).map((v) => 1 - v)],
  ];

  for (const mode of ['original', 'fast'] as const) {
    for (const [name, a, b] of cases) {
      test(`${name} (${mode})`, () => {
        const { ours, theirs } = compare(a, b, width, height, mode);
        expect(Math.abs(ours - theirs)).toBeLessThan(tolerance);
      });
    }
  }

  test('identical images score 1 in both', () => {
    const { ours, theirs } = compare(original, original, width, height, 'original');
    expect(ours).toBeCloseTo(1, 12);
    expect(theirs).toBeCloseTo(1, 12);
  });

  test('the comparison can tell windows apart: the uniform-window weber mode differs', () => {
    const { ours, theirs } = compare(blur(original, width, height), original, width, height, 'weber');
    expect(Math.abs(ours - theirs)).toBeGreaterThan(tolerance);
  });
});

// ---- MS-SSIM ------------------------------------------------------------------------------------

// SSIM's two means at one scale from the definition (a direct 11×11 Gaussian window at each valid
// position): the mean of l·cs and the mean of cs alone.
function ssimTermsFromDefinition(a: Float64Array, b: Float64Array, width: number, height: number): { ssim: number; cs: number } {
  const radius = 5;
  const weight: number[] = [];
  for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) weight.push(Math.exp(-(dx * dx + dy * dy) / (2 * 1.5 * 1.5)));
  const total = weight.reduce((s, w) => s + w, 0);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let [sum, csSum, count] = [0, 0, 0];
  for (let y = radius; y < height - radius; y++) {
    for (let x = radius; x < width - radius; x++) {
      let [meanA, meanB, k] = [0, 0, 0];
      for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) {
        const i = (y + dy) * width + (x + dx);
        meanA += (weight[k] / total) * a[i];
        meanB += (weight[k++] / total) * b[i];
      }
      let [varA, varB, cov] = [0, 0, 0];
      k = 0;
      for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) {
        const i = (y + dy) * width + (x + dx);
        const w = weight[k++] / total;
        varA += w * (a[i] - meanA) ** 2;
        varB += w * (b[i] - meanB) ** 2;
        cov += w * (a[i] - meanA) * (b[i] - meanB);
      }
      const cs = (2 * cov + c2) / (varA + varB + c2);
      sum += ((2 * meanA * meanB + c1) / (meanA ** 2 + meanB ** 2 + c1)) * cs;
      csSum += cs;
      count++;
    }
  }
  return { ssim: sum / count, cs: csSum / count };
}

/** MS-SSIM from the definition: M scales of 2×2 means, Π_{j<M} cs_j^{w_j} · ssim_M^{w_M}, w the first M weights over their sum (as published at M = 5). */
function msSsimFromDefinition(a: Float64Array, b: Float64Array, width: number, height: number, scales: number): number {
  const published = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
  const total = scales === 5 ? 1 : published.slice(0, scales).reduce((s, w) => s + w, 0);
  return msSsimTerms(a, b, width, height, scales).reduce((value, term, j) => value * Math.max(0, term) ** (published[j] / total), 1);
}

/** The term of each scale before clamping: cs_j below the last scale, ssim at the last. */
function msSsimTerms(a: Float64Array, b: Float64Array, width: number, height: number, scales: number): number[] {
  let [x, y, w, h] = [a, b, width, height];
  const terms: number[] = [];
  for (let j = 0; j < scales; j++) {
    const t = ssimTermsFromDefinition(x, y, w, h);
    terms.push(j === scales - 1 ? t.ssim : t.cs);
    const [w2, h2] = [Math.floor(w / 2), Math.floor(h / 2)];
    const down = (im: Float64Array) => {
      const out = new Float64Array(w2 * h2);
      for (let yy = 0; yy < h2; yy++) for (let xx = 0; xx < w2; xx++) {
        let s = 0;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s += im[(2 * yy + dy) * w + 2 * xx + dx];
        out[yy * w2 + xx] = s / 4;
      }
      return out;
    };
    [x, y, w, h] = [down(x), down(y), w2, h2];
  }
  return terms;
}

/** One colour channel of an objects3d render pair (x, g·x): the images the metric is reported on. */
function renderedPair(index: number, channel: number): [Float64Array, Float64Array] {
  const dataset = Objects3dDataset.open('objects3d', 'so3');
  const batch = dataset.renderPairs([{ source: index, base: [1, 0, 0, 0], g: [Math.SQRT1_2, 0, Math.SQRT1_2, 0] }]);
  const plane = (im: Float32Array) => Float64Array.from(im.subarray(channel * 4096, (channel + 1) * 4096));
  return [plane(batch.x), plane(batch.gx)];
}

interface MsCase {
  name: string;
  a: Float64Array;
  b: Float64Array;
  width: number;
  height: number;
}

function msCases(): MsCase[] {
  const cases: MsCase[] = [];
  for (const side of [64, 32, 176]) {
    const size = side * side;
    const original = shape(side, side);
    cases.push({ name: `${side}×${side}: a blurred shape vs its original`, a: blur(original, side, side), b: original, width: side, height: side });
    cases.push({ name: `${side}×${side}: a shape vs the shape with noise`, a: original, b: original.map((v, i) => v + 0.2 * (noise(size, 21)[i] - 0.5)), width: side, height: side });
  }
  cases.push({ name: '64×64: random noise (terms near or below 0: clamped)', a: noise(4096, 31), b: noise(4096, 32), width: 64, height: 64 });
  cases.push({ name: '64×48: a non-square shape vs its blur', a: shape(64, 48), b: blur(shape(64, 48), 64, 48), width: 64, height: 48 });
  const [x, gx] = renderedPair(3, 0);
  cases.push({ name: '64×64: an objects3d render x vs g·x (red channel)', a: x, b: gx, width: 64, height: 64 });
  const [x2] = renderedPair(3, 2);
  const [, gx2] = renderedPair(7, 2);
  cases.push({ name: '64×64: two objects3d renders (blue channel)', a: x2, b: gx2, width: 64, height: 64 });
  return cases;
}

describe('msSsim', () => {
  const cases = msCases();

  test('the scales that fit the 11×11 window: 3 at 64×64, 2 at 32×32, 5 at 176×176 (and no more than 5)', () => {
    expect(msSsimScales(64, 64)).toBe(3);
    expect(msSsimScales(64, 48)).toBe(3);
    expect(msSsimScales(32, 32)).toBe(2);
    expect(msSsimScales(176, 176)).toBe(5);
    expect(msSsimScales(1024, 1024)).toBe(5);
    expect(msSsimScales(10, 64)).toBe(0);
    expect(MS_SSIM_WEIGHTS).toEqual([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);
  });

  for (const c of cases) {
    test(`matches its float64 definition: ${c.name}`, () => {
      const scales = msSsimScales(c.width, c.height);
      const ours = msSsim(Float32Array.from(c.a), Float32Array.from(c.b), c.width, c.height);
      const reference = msSsimFromDefinition(Float64Array.from(Float32Array.from(c.a)), Float64Array.from(Float32Array.from(c.b)), c.width, c.height, scales);
      // A case whose value is 0 (a clamped term) would compare 0 with 0: each must be away from it.
      expect(reference).toBeGreaterThan(0.01);
      expect(Math.abs(ours - reference)).toBeLessThan(1e-10);
    });
  }

  test('a negative term is clamped to 0, as in the published code: two objects3d renders whose coarse contrast term is below 0', () => {
    const [x] = renderedPair(3, 2);
    const [, other] = renderedPair(4, 2);
    const [a, b] = [Float64Array.from(Float32Array.from(x)), Float64Array.from(Float32Array.from(other))];
    const terms = msSsimTerms(a, b, 64, 64, 3);
    expect(Math.min(...terms)).toBeLessThan(0);
    expect(terms.filter((t) => t > 0).length).toBeGreaterThan(0);
    expect(msSsim(Float32Array.from(x), Float32Array.from(other), 64, 64)).toBe(0);
  });

  test('is 1 for identical images, symmetric, below 1 and below SSIM-like bounds for different images; one scale is SSIM', () => {
    const a = shape(64, 64);
    const b = blur(a, 64, 64);
    expect(msSsim(a, a, 64, 64)).toBeCloseTo(1, 12);
    expect(msSsim(a, b, 64, 64)).toBeCloseTo(msSsim(b, a, 64, 64), 14);
    expect(msSsim(a, b, 64, 64)).toBeLessThan(0.99);
    expect(msSsim(a, b, 64, 64, { scales: 1 })).toBeCloseTo(ssim(a, b, 64, 64), 12);
    // The scales differ: two and three scales are not the same number.
    expect(Math.abs(msSsim(a, b, 64, 64, { scales: 2 }) - msSsim(a, b, 64, 64))).toBeGreaterThan(1e-4);
  });

  test('refuses scales the image cannot hold, naming them', () => {
    const a = shape(64, 64);
    expect(() => msSsim(a, a, 64, 64, { scales: 4 })).toThrow('msSsim: a 64x64 image fits 3 scale(s) of the 11x11 window, not 4');
    expect(() => msSsim(a, a, 64, 64, { scales: 0 })).toThrow('scales must be an integer in [1, 5], got 0');
    expect(() => msSsim(new Float64Array(100), new Float64Array(100), 10, 10)).toThrow('fits 0 scale(s)');
    expect(() => msSsim(a, new Float64Array(10), 64, 64)).toThrow('images differ in size');
  });

  // The numpy reference: an independent implementation (sliding windows and einsum, not separable
  // filters), run as a child process on the same float32-rounded images.
  const python = '/usr/bin/python3';
  const probe = Bun.spawnSync([python, '-c', 'import numpy'], { stderr: 'pipe' });
  const hasNumpy = probe.exitCode === 0;
  if (!hasNumpy) console.warn(`[msSsim] numpy reference skipped: ${python} -c 'import numpy' failed (${probe.stderr.toString().trim().split('\n').pop() ?? 'no output'})`);
  (hasNumpy ? test : test.skip)('matches a numpy implementation (fixtures/msssim.py) on every case', () => {
    const payload = {
      cases: cases.map((c) => ({ a: Array.from(Float32Array.from(c.a)), b: Array.from(Float32Array.from(c.b)), width: c.width, height: c.height, scales: msSsimScales(c.width, c.height) })),
    };
    const run = Bun.spawnSync([python, path.join(import.meta.dir, 'fixtures', 'msssim.py')], { stdin: Buffer.from(JSON.stringify(payload)), stdout: 'pipe', stderr: 'pipe' });
    expect(run.stderr.toString()).toBe('');
    expect(run.exitCode).toBe(0);
    const out = JSON.parse(run.stdout.toString()) as { msssim: number[]; ssim: number[] };
    cases.forEach((c, i) => {
      const [a, b] = [Float32Array.from(c.a), Float32Array.from(c.b)];
      expect(Math.abs(msSsim(a, b, c.width, c.height) - out.msssim[i])).toBeLessThan(1e-10);
      expect(Math.abs(ssim(a, b, c.width, c.height) - out.ssim[i])).toBeLessThan(1e-10);
    });
  });
});
