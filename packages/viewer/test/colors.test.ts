import { describe, expect, test } from 'bun:test';
import { CATEGORICAL, cyclic, gradientCss, hslToRgb, scaleFor, toCss, viridis } from '../src/lib/colors.ts';

describe('colour scales', () => {
  test('viridis runs from dark purple to yellow and clamps', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(7)).toEqual(viridis(1));
    expect(viridis(NaN)).toEqual(viridis(0));
    // brightness grows monotonically
    const luminance = (t: number) => viridis(t).reduce((a, b) => a + b, 0);
    for (let t = 0; t < 1; t += 0.05) expect(luminance(t + 0.05)).toBeGreaterThanOrEqual(luminance(t) - 3);
  });

  test('the cyclic scale wraps: a full turn is the same colour', () => {
    expect(cyclic(0)).toEqual(cyclic(1));
    expect(cyclic(0.25)).toEqual(cyclic(1.25));
    expect(cyclic(0.5)).not.toEqual(cyclic(0));
  });

  test('hsl conversion', () => {
    expect(hslToRgb(0, 1, 0.5)).toEqual([255, 0, 0]);
    expect(hslToRgb(120, 1, 0.5)).toEqual([0, 255, 0]);
    expect(hslToRgb(240, 1, 0.5)).toEqual([0, 0, 255]);
    expect(hslToRgb(-120, 1, 0.5)).toEqual([0, 0, 255]);
    expect(toCss([1, 2, 3])).toBe('rgb(1, 2, 3)');
  });

  test('shape is categorical, orientation cyclic, the rest continuous over the grid', () => {
    const shape = scaleFor('shape', ['square', 'ellipse', 'heart']);
    expect(shape.kind).toBe('categorical');
    if (shape.kind !== 'categorical') throw new Error('unreachable');
    expect(shape.labels).toEqual(['square', 'ellipse', 'heart']);
    expect(shape.colour(1)).toEqual(CATEGORICAL[1]);
    expect(new Set([0, 1, 2].map((i) => toCss(shape.colour(i)))).size).toBe(3);

    const scale = scaleFor('scale', [0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(scale.kind).toBe('continuous');
    if (scale.kind === 'categorical') throw new Error('unreachable');
    expect(scale.domain).toEqual([0.5, 1]);
    expect(scale.colour(0.5)).toEqual(viridis(0));
    expect(scale.colour(1)).toEqual(viridis(1));
    expect(gradientCss(scale)).toStartWith('linear-gradient(to right, rgb(68, 1, 84) 0.0%');

    const orientation = scaleFor('orientation', [0, Math.PI, 2 * Math.PI]);
    expect(orientation.kind).toBe('cyclic');
    if (orientation.kind === 'categorical') throw new Error('unreachable');
    expect(orientation.colour(0)).toEqual(orientation.colour(2 * Math.PI));
    expect(gradientCss(shape)).toBe('none');
  });

  test('a constant factor still gets a usable scale', () => {
    const s = scaleFor('posX', [0.3]);
    if (s.kind === 'categorical') throw new Error('unreachable');
    expect(s.colour(0.3)).toEqual(viridis(0));
  });
});
