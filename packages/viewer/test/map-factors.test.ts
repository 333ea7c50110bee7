import { describe, expect, test } from 'bun:test';
import { SPLITS, dsprites } from '@maga/model';
import type { RunDatasetInfo } from '../src/api.ts';
import { categorical, cyclic, toCss, viridis } from '../src/lib/colors.ts';
import { describeImage, factorScale, mapFactors } from '../src/lib/map-factors.ts';

const dspritesInfo: RunDatasetInfo = {
  kind: 'dsprites',
  dataset: 'dsprites',
  split: 'to-range',
  group: null,
  imageSize: 64,
  count: dsprites.DSPRITES.count,
  factors: dsprites.DSPRITES.values,
  splits: SPLITS,
  fixedPivot: dsprites.FIXED_PIVOT.index,
};

const mnistInfo: RunDatasetInfo = {
  kind: 'pairs',
  dataset: 'rotated-mnist',
  group: { kind: 'so2' },
  imageSize: 32,
  channels: 1,
  count: 3_600_000,
  sources: 10_000,
  testSources: 1_000,
  steps: 360,
  index: 'source·360 + degrees',
  fixedPivot: 0,
  factors: [
    { name: 'digit', kind: 'class', description: 'the digit class', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
    { name: 'angle', kind: 'angle', description: 'the angle the upright digit is turned by (radians, counter-clockwise, [0, 2π))' },
    { name: 'index', kind: 'id', description: 'the digit’s index' },
  ],
};
// The 3-D sets' pose components (another shape of the same description).
const qw = { name: 'qw', kind: 'quaternion', description: 'a quaternion component' } as const;

describe('the latent map’s factors', () => {
  test('dSprites: shape by class index, orientation on the wheel, the rest over the grid’s range', () => {
    const factors = mapFactors(dspritesInfo);
    expect(factors.map((f) => [f.name, f.kind])).toEqual([
      ['shape', 'class'],
      ['scale', 'number'],
      ['orientation', 'angle'],
      ['posX', 'number'],
      ['posY', 'number'],
    ]);
    const point = { shape: 'heart', scale: 0.7, orientation: Math.PI, posX: 0.25, posY: 1, classes: { shape: 2, scale: 2, orientation: 20, posX: 8, posY: 31 } };
    const shape = factors[0];
    expect(shape.value(point)).toBe(2);
    expect(shape.format(2)).toBe('heart');
    expect(factorScale(factors[1]).domain).toEqual([0.5, 1]);
    // Degrees in the description, as in the legend's wheel.
    expect(describeImage(factors, point)).toBe('shape heart, scale 0.70, orientation 180°, x position 0.25, y position 1.00');
  });

  test('pair sets: ten digits get ten distinct colours; angles in degrees; ids over the values shown', () => {
    const [digit, angle, index] = mapFactors(mnistInfo);
    const [pose] = mapFactors({ ...mnistInfo, dataset: 'objects3d', group: { kind: 'so3' }, channels: 3, camera: [1, 0, 0, 0], factors: [qw, { name: 'view', kind: 'id', description: 'the view' }] } as RunDatasetInfo);
    const digits = factorScale(digit);
    expect(digits.palette).toEqual(categorical(10));
    expect(new Set(Array.from({ length: 10 }, (_, d) => toCss(digits.colour(d)))).size).toBe(10);
    expect(factorScale(angle).colour(Math.PI / 2)).toEqual(cyclic(0.25));
    expect(angle.format(Math.PI / 2)).toBe('90°');
    // The legend says degrees, as the hover card writes them, not the data set's radians.
    expect(angle.description).toBe('the angle the upright digit is turned by (in degrees here)');
    const ids = factorScale(index, [5, 105, NaN]);
    expect(ids.domain).toEqual([5, 105]);
    expect(ids.colour(105)).toEqual(viridis(1));
    expect(factorScale(pose).domain).toEqual([-1, 1]);
    expect(describeImage(mapFactors(mnistInfo), { digit: 3, angle: Math.PI, index: 17 })).toBe('digit 3, angle 180°, index 17');
    // A pose's quaternion component is left out of the one-line description.
    expect(pose.terse).toBe(true);
    // A point without the factor is grey, not a class colour.
    expect(digits.colour(NaN)).not.toEqual(digits.colour(0));
  });
});
