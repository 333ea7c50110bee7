import { describe, expect, test } from 'bun:test';
import { dsprites } from '@maga/model';
import { classesOf, describeFactors, factorsOf, formatFactor, isFactorName, type FactorGrid } from '../src/lib/factors.ts';

const grid = dsprites.DSPRITES.values as unknown as FactorGrid;

describe('factors', () => {
  test('classes from an index agree with the model package’s dSprites', () => {
    for (const index of [0, 1, 31, 32, 1023, 123_530, dsprites.FIXED_PIVOT.index, dsprites.DSPRITES.count - 1]) {
      expect(classesOf(index, grid)).toEqual(dsprites.factorsOf(index).classes);
    }
    expect(classesOf(-1, grid)).toBeUndefined();
    expect(classesOf(dsprites.DSPRITES.count, grid)).toBeUndefined();
  });

  test('factor values and their display', () => {
    const f = factorsOf(dsprites.FIXED_PIVOT.index, grid)!;
    expect(f.shape).toBe('heart');
    expect(f.scale).toBeCloseTo(0.7, 10);
    expect(describeFactors(f)).toBe('heart, scale 0.70, 185°, x 0.16, y 0.48');
    expect(formatFactor('orientation', Math.PI)).toBe('180°');
    expect(isFactorName('posY')).toBe(true);
    expect(isFactorName('colour')).toBe(false);
  });
});
