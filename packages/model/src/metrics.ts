// Image metrics the papers report: MSE, PSNR, per-image summed BCE, SSIM and MS-SSIM.
// Pure functions on flat images (Float32Array in practice) with pixels in [0, 1]; sums and means
// are accumulated in float64 so that a metric does not depend on the order of a long sum.

/** A flat, row-major image or batch of images. */
export type Pixels = Float32Array | Float64Array;

/** Mean squared error over all pixels. */
export function mse(a: Pixels, b: Pixels): number {
  checkSameLength(a, b, 'mse');
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = a[i] - b[i];
    sum += difference * difference;
  }
  return sum / a.length;
}

/** Peak signal-to-noise ratio in dB, 10 log10(range² / MSE); Infinity for identical images. */
export function psnr(a: Pixels, b: Pixels, dataRange = 1): number {
  const error = mse(a, b);
  return error === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / error);
}

/**
 * Binary cross-entropy of a Bernoulli decoder given its logits, summed over all pixels (the
 * per-image number the papers report when given one image). Written as
 * max(x, 0) - x t + log(1 + e^-|x|) so that no exp overflows and no log sees 0.
 */
export function bceWithLogitsSum(logits: Pixels, target: Pixels): number {
  checkSameLength(logits, target, 'bceWithLogitsSum');
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    sum += Math.max(x, 0) - x * target[i] + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return sum;
}

/**
 * Binary cross-entropy of probabilities, summed over all pixels. Probabilities are clamped to
 * [eps, 1 - eps] because a decoder that outputs an exact 0 or 1 would otherwise score Infinity.
 */
export function bceSum(prob: Pixels, target: Pixels, eps = 1e-7): number {
  checkSameLength(prob, target, 'bceSum');
  let sum = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = Math.min(Math.max(prob[i], eps), 1 - eps);
    const t = target[i];
    sum -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
  }
  return sum;
}

export type SsimOptions = {
  /** Difference between the largest and smallest possible pixel value: 1 for [0, 1] images. */
  dataRange?: number;
  /** Standard deviation of the Gaussian window, in pixels. */
  sigma?: number;
  /** Side of the square window; odd. 11 is what sigma 1.5 truncated at 3.5 sigma gives. */
  windowSize?: number;
  k1?: number;
  k2?: number;
};

/**
 * Structural similarity of two single-channel images (Wang et al. 2004): Gaussian-weighted local
 * means, variances and covariance (population, not sample, statistics), averaged over the
 * positions where the whole window fits inside the image (no padding). This is
 * skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1) and Wang et al.'s ssim.m without downsampling.
 */
export function ssim(a: Pixels, b: Pixels, width: number, height: number, options: SsimOptions = {}): number {
  checkSameLength(a, b, 'ssim');
  return ssimTerms(a, b, width, height, options, 'ssim').ssim;
}

/** SSIM's mean over the window positions, and the mean of its contrast-structure factor alone (MS-SSIM's cs). */
function ssimTerms(a: Pixels, b: Pixels, width: number, height: number, options: SsimOptions, metric: string): { ssim: number; cs: number } {
  const { dataRange = 1, sigma = 1.5, windowSize = 11, k1 = 0.01, k2 = 0.03 } = options;
  if (a.length !== width * height) {
    throw new Error(`${metric}: ${a.length} pixels do not make a ${width}x${height} image`);
  }
  if (!Number.isInteger(windowSize) || windowSize % 2 !== 1) {
    throw new Error(`${metric}: window size must be an odd integer, got ${windowSize}`);
  }
  if (width < windowSize || height < windowSize) {
    throw new Error(`${metric}: a ${width}x${height} image is smaller than the ${windowSize}x${windowSize} window`);
  }
  const c1 = (k1 * dataRange) ** 2;
  const c2 = (k2 * dataRange) ** 2;
  const window = gaussianWindow(windowSize, sigma);

  const n = width * height;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  const muA = filterValid(a, width, height, window);
  const muB = filterValid(b, width, height, window);
  const meanAA = filterValid(aa, width, height, window);
  const meanBB = filterValid(bb, width, height, window);
  const meanAB = filterValid(ab, width, height, window);

  let sum = 0;
  let csSum = 0;
  for (let i = 0; i < muA.length; i++) {
    const varianceA = meanAA[i] - muA[i] * muA[i];
    const varianceB = meanBB[i] - muB[i] * muB[i];
    const covariance = meanAB[i] - muA[i] * muB[i];
    const luminance = (2 * muA[i] * muB[i] + c1) / (muA[i] * muA[i] + muB[i] * muB[i] + c1);
    const structure = (2 * covariance + c2) / (varianceA + varianceB + c2);
    sum += luminance * structure;
    csSum += structure;
  }
  return { ssim: sum / muA.length, cs: csSum / muA.length };
}

/** Wang, Simoncelli and Bovik's (2003) weights of the five scales, finest first. */
export const MS_SSIM_WEIGHTS: readonly number[] = Object.freeze([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);

export type MsSsimOptions = SsimOptions & {
  /**
   * Scales used, finest first (at most 5). Default: as many of the five as the window fits at the
   * coarsest (a side ≥ windowSize after halving): 3 at 64×64 with the 11×11 window (64, 32, 16).
   */
  scales?: number;
};

/** The scales MS-SSIM uses for an image (see MsSsimOptions.scales). */
export function msSsimScales(width: number, height: number, windowSize = 11): number {
  let scales = 0;
  for (let side = Math.min(width, height); scales < MS_SSIM_WEIGHTS.length && side >= windowSize; side = Math.floor(side / 2)) scales++;
  return scales;
}

/**
 * Multi-scale SSIM of two single-channel images (Wang, Simoncelli, Bovik 2003): at scales
 * j = 1 … M (each a 2×2 average of the one before, odd edges dropped), the mean contrast-structure
 * term cs_j; at the coarsest, the mean SSIM (luminance included). MS-SSIM = SSIM_M^{β_M} · Π_{j<M}
 * cs_j^{β_j} with Wang's weights β, and SSIM's window, constants and valid-window means at every
 * scale. With fewer than five scales (small images: the 11×11 window does not fit 4×4) the first M
 * weights are used, renormalised to sum to 1; docs/objects3d.md says why. With all five, the
 * weights are used as published. A term below 0 (images
 * anti-correlated at a scale) is clamped to 0 before its fractional power, as pytorch_msssim does,
 * so the result is in [0, 1].
 */
export function msSsim(a: Pixels, b: Pixels, width: number, height: number, options: MsSsimOptions = {}): number {
  checkSameLength(a, b, 'msSsim');
  const windowSize = options.windowSize ?? 11;
  const fit = msSsimScales(width, height, windowSize);
  if (fit < 1) throw new Error(`msSsim: a ${width}x${height} image fits 0 scale(s) of the ${windowSize}x${windowSize} window: it is smaller than the window`);
  const scales = options.scales ?? fit;
  if (!Number.isInteger(scales) || scales < 1 || scales > MS_SSIM_WEIGHTS.length) throw new Error(`msSsim: scales must be an integer in [1, ${MS_SSIM_WEIGHTS.length}], got ${scales}`);
  if (scales > fit) throw new Error(`msSsim: a ${width}x${height} image fits ${fit} scale(s) of the ${windowSize}x${windowSize} window, not ${scales}`);
  const weights = MS_SSIM_WEIGHTS.slice(0, scales);
  // All five: Wang's weights as published (they sum to 1.0001 by rounding); fewer: renormalised.
  const total = scales === MS_SSIM_WEIGHTS.length ? 1 : weights.reduce((s, w) => s + w, 0);
  let [x, y, w, h] = [a as Pixels, b as Pixels, width, height];
  let product = 1;
  for (let j = 0; j < scales; j++) {
    const terms = ssimTerms(x, y, w, h, options, 'msSsim');
    const value = j === scales - 1 ? terms.ssim : terms.cs;
    product *= Math.max(0, value) ** (weights[j] / total);
    if (j < scales - 1) [x, y, w, h] = [halve(x, w, h), halve(y, w, h), Math.floor(w / 2), Math.floor(h / 2)];
  }
  return product;
}

/** The image at half size: each output pixel the mean of a 2×2 block (an odd last row or column is dropped). */
function halve(image: Pixels, width: number, height: number): Float64Array {
  const [w, h] = [Math.floor(width / 2), Math.floor(height / 2)];
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * width + 2 * x;
      out[y * w + x] = (image[i] + image[i + 1] + image[i + width] + image[i + width + 1]) / 4;
    }
  }
  return out;
}

/** Mean SSIM over a batch of n single-channel images laid out [n, height, width]. */
export function ssimBatch(
  a: Pixels,
  b: Pixels,
  n: number,
  width: number,
  height: number,
  options: SsimOptions = {},
): number {
  checkSameLength(a, b, 'ssimBatch');
  const size = width * height;
  if (n <= 0 || a.length !== n * size) {
    throw new Error(`ssimBatch: ${a.length} pixels do not make ${n} images of ${width}x${height}`);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const image = (pixels: Pixels) => pixels.subarray(i * size, (i + 1) * size);
    sum += ssim(image(a), image(b), width, height, options);
  }
  return sum / n;
}

// A normalised 1-D Gaussian; the 2-D window is its outer product, so filtering is separable.
function gaussianWindow(size: number, sigma: number): Float64Array {
  const radius = (size - 1) / 2;
  const weights = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    weights[i] = Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma));
    total += weights[i];
  }
  for (let i = 0; i < size; i++) weights[i] /= total;
  return weights;
}

// Weighted window averages at every position where the window lies wholly inside the image:
// a (height - k + 1) x (width - k + 1) result, rows then columns.
function filterValid(image: Pixels, width: number, height: number, window: Float64Array): Float64Array {
  const k = window.length;
  const outWidth = width - k + 1;
  const outHeight = height - k + 1;
  const rows = new Float64Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += window[j] * image[y * width + x + j];
      rows[y * outWidth + x] = sum;
    }
  }
  const out = new Float64Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += window[j] * rows[(y + j) * outWidth + x];
      out[y * outWidth + x] = sum;
    }
  }
  return out;
}

function checkSameLength(a: Pixels, b: Pixels, metric: string): void {
  if (a.length !== b.length) {
    throw new Error(`${metric}: images differ in size (${a.length} vs ${b.length} pixels)`);
  }
  if (a.length === 0) throw new Error(`${metric}: images are empty`);
}
