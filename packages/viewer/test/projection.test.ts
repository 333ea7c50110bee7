import { describe, expect, test } from 'bun:test';
import { DEFAULT_VIEW, dragView, normalisePoints, pick, project, zoomView } from '../src/lib/projection.ts';

describe('3-D points for drawing', () => {
  test('normalising centres the bounding box and scales its largest half-extent to 1', () => {
    const p = normalisePoints([
      [10, 0, 5],
      [14, 2, 5],
      [12, 1, 5],
    ]);
    expect(Array.from(p)).toEqual([-1, -0.5, 0, 1, 0.5, 0, 0, 0, 0]);
    expect(normalisePoints([])).toHaveLength(0);
    expect(Array.from(normalisePoints([[1, NaN, 2]]))).toEqual([0, 0, 0]);
  });

  test('the centre projects to the middle of the canvas; nearer points are larger and drawn last', () => {
    const points = Float32Array.of(0, 0, 0, 0, 0, 1, 0, 0, -1);
    const view = { yaw: 0, pitch: 0, zoom: 1 };
    const pr = project(points, view, 200, 100);
    expect(pr.x[0]).toBeCloseTo(100, 5);
    expect(pr.y[0]).toBeCloseTo(50, 5);
    expect(pr.size[1]).toBeGreaterThan(pr.size[0]);
    expect(pr.size[2]).toBeLessThan(pr.size[0]);
    expect(Array.from(pr.order)).toEqual([2, 0, 1]);
  });

  test('rotating by a quarter turn about the vertical axis moves +x to the front', () => {
    const pr = project(Float32Array.of(1, 0, 0), { yaw: -Math.PI / 2, pitch: 0, zoom: 1 }, 100, 100);
    expect(pr.x[0]).toBeCloseTo(50, 4);
    expect(pr.size[0]).toBeGreaterThan(1);
  });

  test('picking finds the nearest point within the radius, the front one on ties', () => {
    const points = Float32Array.of(0, 0, 1, 0, 0, -1, 0.5, 0.5, 0);
    const pr = project(points, { yaw: 0, pitch: 0, zoom: 1 }, 200, 200);
    expect(pick(pr, 100, 100, 5)).toBe(0);
    expect(pick(pr, pr.x[2] + 1, pr.y[2], 5)).toBe(2);
    expect(pick(pr, 0, 0, 5)).toBeNull();
    expect(pick(pr, 100, 100, 5, (i) => i !== 0)).toBe(1);
  });

  test('dragging clamps the pitch; zooming stays within bounds', () => {
    expect(dragView(DEFAULT_VIEW, 100, 0).yaw).toBeCloseTo(DEFAULT_VIEW.yaw + 1, 10);
    expect(dragView(DEFAULT_VIEW, 0, 10_000).pitch).toBeLessThan(Math.PI / 2);
    expect(zoomView(DEFAULT_VIEW, 100).zoom).toBe(8);
    expect(zoomView(DEFAULT_VIEW, 0.001).zoom).toBe(0.3);
  });
});
