import { describe, expect, test } from 'bun:test';
import { readMetrics, termUnit } from '../src/lib/metrics.ts';

describe('the overview’s metrics', () => {
  const pair = {
    step: 4,
    evaluatedAt: '2026-01-01T00:00:00Z',
    count: 16,
    test: { images: 16, bce: 676.5, mse: 0.21, psnr: 6.76, ssim: 0.005, buckets: [{ name: '0–45°', images: 2, mse: 0.2, psnr: 6.7, ssim: 0.004 }, { name: '45–90°', images: 2, mse: 0.21, psnr: 6.8, ssim: 0.006 }] },
    train: { images: 16, bce: 677.1, mse: 0.2, psnr: 6.77, ssim: 0.0055, buckets: [{ name: '0–45°', images: 2, mse: 0.2, psnr: 6.6, ssim: 0.004, msssim: 0.1 }] },
  };

  test('parts side by side, and the per-bucket tables that flattening used to drop', () => {
    const m = readMetrics(pair)!;
    expect(m.step).toBe(4);
    expect(m.count).toBe(16);
    expect(m.parts.map((p) => p.part)).toEqual(['test', 'train']);
    expect(m.keys).toEqual(['images', 'bce', 'mse', 'psnr', 'ssim']);
    expect(m.parts[0].buckets.map((b) => b.name)).toEqual(['0–45°', '45–90°']);
    expect(m.parts[0].buckets[1].values.psnr).toBe(6.8);
    // Columns cover every part's buckets (train's has MS-SSIM).
    expect(m.bucketKeys).toEqual(['images', 'mse', 'psnr', 'ssim', 'msssim']);
  });

  test('a dSprites run has no buckets; no metrics is null', () => {
    const m = readMetrics({ step: 2, count: 8, test: { images: 8, bce: 1, mse: 0.1, psnr: 10, ssim: 0.5 }, train: { images: 8, bce: 1, mse: 0.1, psnr: 10, ssim: 0.5 } })!;
    expect(m.parts.every((p) => p.buckets.length === 0)).toBe(true);
    expect(readMetrics(null)).toBeNull();
    expect(readMetrics({ step: 1 })).toBeNull();
  });

  test('loss terms’ units', () => {
    expect(termUnit('bce')).toBe('nats per image');
    expect(termUnit('equivariance')).toBe('per image');
    expect(termUnit('imagesPerSecond')).toBe('images / s');
  });
});
