import { describe, expect, test } from 'bun:test';
import { divergenceText, fixed, flattenMetrics, formatMs, formatVector, headlineMetrics, timeAgo } from '../src/lib/format.ts';
import { formatMetricValue } from '../src/lib/metrics.ts';

describe('formatting', () => {
  const metrics = { test: { images: 16, bce: 2709.8, psnr: 10.34, ssim: 0.6753 }, train: { psnr: 11.13, note: 'x' }, steps: 4 };

  test('metrics flatten to dotted rows', () => {
    expect(flattenMetrics(metrics)).toEqual([
      { key: 'test.images', value: 16 },
      { key: 'test.bce', value: 2709.8 },
      { key: 'test.psnr', value: 10.34 },
      { key: 'test.ssim', value: 0.6753 },
      { key: 'train.psnr', value: 11.13 },
      { key: 'steps', value: 4 },
    ]);
    expect(flattenMetrics(null)).toEqual([]);
  });

  test('headline metrics prefer the test part', () => {
    expect(headlineMetrics(metrics)).toEqual([
      { key: 'psnr', value: 10.34 },
      { key: 'ssim', value: 0.6753 },
      { key: 'bce', value: 2709.8 },
    ]);
    expect(headlineMetrics({ psnr: 20 })).toEqual([{ key: 'psnr', value: 20 }]);
    // Pair runs: the set's PSNR (from its mean MSE) first, the mean of per-image dB beside it.
    expect(headlineMetrics({ test: { psnr: 16.6, psnrSet: 15.5, notIdentity: { psnrSet: 15.1, psnr: 16.2 } } })).toEqual([
      { key: 'psnrSet', value: 15.5 },
      { key: 'psnr', value: 16.6 },
    ]);
    expect(formatMetricValue('psnrSet', 15.504)).toBe('15.50 dB');
    expect(headlineMetrics(null)).toEqual([]);
  });

  test('metric values, durations, vectors and times', () => {
    expect(formatMetricValue('psnr', 10.344)).toBe('10.34 dB');
    expect(formatMetricValue('ssim', 0.67531)).toBe('0.6753');
    expect(formatMetricValue('images', 12000)).toBe('12,000');
    expect(formatMetricValue('mse', 0.00001234)).toBe('1.234e-5');
    expect(formatMetricValue('bce', 2709.8123)).toBe('2709.8 nats');
    expect(formatMs(4.25)).toBe('4.3 ms');
    expect(formatMs(250.4)).toBe('250 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(fixed(-0.001)).toBe('0.00');
    expect(fixed(-0.5)).toBe('-0.50');
    expect(formatVector([-0.001, 1.234])).toBe('[0.00, 1.23]');
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(timeAgo('2026-01-01T11:59:30Z', now)).toBe('30 s ago');
    expect(timeAgo('2026-01-01T11:00:00Z', now)).toBe('1 h ago');
    expect(timeAgo('not a date', now)).toBe('');
  });

  test('a divergence reads as step, term and value, and the checkpoint kept', () => {
    expect(divergenceText({ step: 1035, term: 'bce', value: 'NaN', checkpointStep: 1000 })).toBe('diverged at step 1,035 (bce = NaN); checkpoint of step 1,000 kept');
    expect(divergenceText({ step: 5, term: 'parameter encoder.fc1.weight', value: 'Infinity', checkpointStep: null })).toBe('diverged at step 5 (parameter encoder.fc1.weight = Infinity); no checkpoint saved');
  });
});
