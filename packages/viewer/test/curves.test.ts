import { describe, expect, test } from 'bun:test';
import { downsample, extent, formatNumber, linearScale, logScale, logTicks, nearest, niceTicks, seriesFromLog, smooth, svgPath, tickLabels } from '../src/lib/curves.ts';

describe('loss curves', () => {
  test('one series per loss term, in the models’ order, sorted by step, gaps skipped', () => {
    const log = [
      { step: 2, loss: 5, bce: 3, kl: 1, latent: 0.1, imagesPerSecond: 50, lr: 1e-3, time: 2 },
      { step: 1, loss: 6, bce: 4, kl: 1.5, imagesPerSecond: 40, lr: 1e-3, time: 1 },
      { step: 3, loss: NaN, bce: 2, kl: 0.5, latent: 0.05, extra: 7 },
    ];
    const series = seriesFromLog(log);
    expect(series.map((s) => s.name)).toEqual(['loss', 'bce', 'kl', 'latent', 'extra']);
    expect(series[0].points).toEqual([
      { x: 1, y: 6 },
      { x: 2, y: 5 },
    ]);
    expect(series[3].points.map((p) => p.x)).toEqual([2, 3]);
    expect(seriesFromLog(log, { losses: false }).map((s) => s.name)).toContain('imagesPerSecond');
    expect(seriesFromLog([])).toEqual([]);
  });

  test('smoothing is a debiased moving average', () => {
    const pts = [1, 1, 1].map((y, x) => ({ x, y }));
    expect(smooth(pts, 0.9).map((p) => p.y)).toEqual([1, 1, 1]);
    const step = [0, 10, 10].map((y, x) => ({ x, y }));
    const s = smooth(step, 0.5);
    expect(s[0].y).toBe(0);
    expect(s[1].y).toBeCloseTo(20 / 3, 10);
    expect(smooth(step, 0)).toEqual(step);
  });

  test('down-sampling bounds the size and keeps spikes and the last point', () => {
    const pts = Array.from({ length: 10_000 }, (_, x) => ({ x, y: x === 4321 ? 100 : x === 777 ? -50 : Math.sin(x) }));
    const d = downsample(pts, 500);
    expect(d.length).toBeLessThanOrEqual(501);
    expect(d.some((p) => p.y === 100)).toBe(true);
    expect(d.some((p) => p.y === -50)).toBe(true);
    expect(d[d.length - 1]).toEqual(pts[pts.length - 1]);
    for (let i = 1; i < d.length; i++) expect(d[i].x).toBeGreaterThan(d[i - 1].x);
    expect(downsample(pts.slice(0, 10), 500)).toHaveLength(10);
  });

  test('nice ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.91, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-3, 3, 3)).toEqual([-2, 0, 2]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(NaN, 1)).toEqual([]);
    expect(logTicks(0.03, 2000)).toEqual([0.1, 1, 10, 100, 1000]);
    expect(logTicks(3, 60)).toEqual([5, 10, 20, 50]);
    expect(logTicks(-1, 10)).toEqual([]);
  });

  test('scales map domain to range; log drops values ≤ 0', () => {
    const x = linearScale([0, 10], [0, 100]);
    expect(x(5)).toBe(50);
    const flat = linearScale([3, 3], [0, 100]);
    expect(flat(3)).toBe(50);
    const y = logScale([1, 100], [100, 0]);
    expect(y(10)).toBeCloseTo(50, 10);
    expect(y(0)).toBeNaN();
    expect(y(-1)).toBeNaN();
    expect(y.ticks()).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });

  test('extent pads, ignoring non-finite values and, in log mode, non-positive ones', () => {
    const s = [{ name: 'a', points: [0, 10, NaN, -5].map((y, x) => ({ x, y })) }];
    expect(extent(s, false)).toEqual([-5.75, 10.75]);
    const [lo, hi] = extent(s, true)!;
    expect(lo).toBeCloseTo(10 / 1.1, 10);
    expect(hi).toBeCloseTo(11, 10);
    expect(extent([{ name: 'b', points: [] }], false)).toBeNull();
  });

  test('paths break where a value cannot be drawn', () => {
    const pts = [1, 10, 0, 100].map((y, x) => ({ x, y }));
    const y = logScale([1, 100], [100, 0]);
    expect(svgPath(pts, (v) => v * 10, y)).toBe('M0.0,100.0L10.0,50.0M30.0,0.0');
  });

  test('nearest point by x', () => {
    const pts = [0, 10, 20, 30].map((x) => ({ x, y: x }));
    expect(nearest(pts, 14)).toEqual({ x: 10, y: 10 });
    expect(nearest(pts, 16)).toEqual({ x: 20, y: 20 });
    expect(nearest(pts, -100)).toEqual({ x: 0, y: 0 });
    expect(nearest(pts, 100)).toEqual({ x: 30, y: 30 });
    expect(nearest([], 1)).toBeNull();
  });

  test('axis numbers: 3 significant digits, never fewer than the integer part', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(0.012345)).toBe('0.0123');
    expect(formatNumber(0.012345, 4)).toBe('0.01235');
    expect(formatNumber(2e-5)).toBe('2.0e-5');
    expect(formatNumber(3e6)).toBe('3.0e6');
  });

  test('tick labels are distinct: as many digits as the ticks need', () => {
    // A loss that moved from 1350 to 1360 over four steps: ticks 2 apart.
    const ticks = linearScale([1351.5, 1360.2], [0, 1]).ticks(5);
    expect(ticks).toEqual([1352, 1354, 1356, 1358, 1360]);
    expect(tickLabels(ticks)).toEqual(['1352', '1354', '1356', '1358', '1360']);
    expect(tickLabels([1352.5, 1355, 1357.5])).toEqual(['1352.5', '1355', '1357.5']);
    expect(tickLabels([0.0011, 0.00105, 0.001])).toEqual(['0.0011', '0.00105', '0.001']);
    expect(tickLabels([677.2, 677.4, 677.6])).toEqual(['677.2', '677.4', '677.6']);
    expect(tickLabels([9e-4, 9.5e-4])).toEqual(['9.0e-4', '9.5e-4']);
    expect(tickLabels([])).toEqual([]);
    // Steps are whole: an integer scale leaves out ticks between them.
    expect(linearScale([1, 4], [0, 1], true).ticks(8)).toEqual([1, 2, 3, 4]);
    expect(linearScale([1, 2], [0, 1], true).ticks(8)).toEqual([1, 2]);
  });
});
