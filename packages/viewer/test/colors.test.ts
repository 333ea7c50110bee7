import { describe, expect, test } from 'bun:test';
import { CATEGORICAL, categorical, cyclic, gradientCss, hslToRgb, toCss, viridis, wheelCss } from '../src/lib/colors.ts';

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

  test('as many distinct colours as classes: ten for the digits, and beyond the palette', () => {
    const distinct = (colours: readonly (readonly number[])[]) => new Set(colours.map((c) => c.join(','))).size;
    expect(distinct(CATEGORICAL)).toBe(CATEGORICAL.length);
    expect(categorical(10)).toHaveLength(10);
    expect(distinct(categorical(10))).toBe(10);
    expect(categorical(3)).toEqual(CATEGORICAL.slice(0, 3));
    for (const n of [11, 17, 40]) {
      expect(categorical(n)).toHaveLength(n);
      expect(distinct(categorical(n))).toBe(n);
    }
    expect(categorical(0)).toEqual([]);
  });

  test('a colour bar runs the scale end to end; the wheel starts at 3 o’clock and turns counter-clockwise', () => {
    expect(gradientCss(viridis)).toStartWith('linear-gradient(to right, rgb(68, 1, 84) 0.0%');
    expect(gradientCss(viridis)).toEndWith('rgb(253, 231, 37) 100.0%)');
    const wheel = wheelCss(4);
    // CSS turns clockwise from `from 90deg` (3 o'clock): a quarter turn clockwise is 270° counter-clockwise.
    expect(wheel).toBe(`conic-gradient(from 90deg, ${toCss(cyclic(1))} 0.0deg, ${toCss(cyclic(0.75))} 90.0deg, ${toCss(cyclic(0.5))} 180.0deg, ${toCss(cyclic(0.25))} 270.0deg, ${toCss(cyclic(0))} 360.0deg)`);
  });
});
