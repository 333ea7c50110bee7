// Procedural dSprites: the latent grid, index ↔ factor round trips, the splits' sizes, and the
// rendered images' properties (binary, area grows with scale, position moves the object,
// rotation acts, the heart is a heart).
import { describe, expect, test } from 'bun:test';
import { DSPRITES, FIXED_PIVOT, factorsOf, indexOf, render, renderBatch, type FactorClasses } from '../src/data/dsprites.ts';
import { SPLITS, isTest, parseSplit, splitIndices, splitSize, type SplitName } from '../src/data/splits.ts';
import { randomIntegers } from '../../../test/support/random.ts';

const SIZE = DSPRITES.imageSize;

// Seeded "random" indices, the same on every run.
const randomIndices = (count: number, seed: number) => randomIntegers(count, DSPRITES.count, seed);

const image = (classes: FactorClasses) => render(indexOf(classes));
const area = (pixels: Float32Array) => pixels.reduce((sum, p) => sum + p, 0);

function centreOfMass(pixels: Float32Array): { x: number; y: number } {
  let x = 0;
  let y = 0;
  let mass = 0;
  for (let row = 0; row < SIZE; row++) {
    for (let col = 0; col < SIZE; col++) {
      const p = pixels[row * SIZE + col];
      x += p * col;
      y += p * row;
      mass += p;
    }
  }
  return { x: x / mass, y: y / mass };
}

/** The rows [first, last] that hold object pixels. */
function rowExtent(pixels: Float32Array): [number, number] {
  const rows = [...Array(SIZE).keys()].filter((row) => pixels.subarray(row * SIZE, (row + 1) * SIZE).some((p) => p === 1));
  return [rows[0], rows[rows.length - 1]];
}

/** Pixels that differ between an image and its mirror image top-to-bottom within the object's rows. */
function verticalAsymmetry(pixels: Float32Array): number {
  const [first, last] = rowExtent(pixels);
  let differing = 0;
  for (let row = first; row <= last; row++) {
    const mirrored = first + last - row;
    for (let col = 0; col < SIZE; col++) if (pixels[row * SIZE + col] !== pixels[mirrored * SIZE + col]) differing++;
  }
  return differing;
}

function differingPixels(a: Float32Array, b: Float32Array): number {
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  return differing;
}

describe('dSprites latent grid', () => {
  test('has the sizes and latent values of DeepMind dSprites', () => {
    const { sizes, values } = DSPRITES;
    expect(DSPRITES.count).toBe(737_280);
    expect(DSPRITES.count).toBe(sizes.shape * sizes.scale * sizes.orientation * sizes.posX * sizes.posY);
    expect(DSPRITES.imagePixels).toBe(64 * 64);
    expect(DSPRITES.factorNames).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
    for (const name of DSPRITES.factorNames) expect(values[name].length).toBe(sizes[name]);
    expect(values.shape).toEqual(['square', 'ellipse', 'heart']);
    expect(sizes).toEqual({ shape: 3, scale: 6, orientation: 40, posX: 32, posY: 32 });
    values.scale.forEach((scale, i) => expect(scale).toBeCloseTo(0.5 + 0.1 * i, 12));
    values.orientation.forEach((angle, i) => expect(angle).toBeCloseTo((2 * Math.PI * i) / 39, 12));
    values.posX.forEach((pos, i) => expect(pos).toBeCloseTo(i / 31, 12));
    expect(values.orientation[39]).toBeCloseTo(2 * Math.PI, 12);
  });

  test('index ↔ factor classes round trip, with posY fastest', () => {
    const indices = [0, 1, 32, 1024, DSPRITES.count - 1, ...randomIndices(2000, 7)];
    for (const index of indices) {
      const { classes, values } = factorsOf(index);
      expect(indexOf(classes)).toBe(index);
      for (const name of DSPRITES.factorNames) expect(values[name]).toBe(DSPRITES.values[name][classes[name]] as never);
    }
    expect(factorsOf(0).classes).toEqual({ shape: 0, scale: 0, orientation: 0, posX: 0, posY: 0 });
    expect(factorsOf(1).classes).toEqual({ shape: 0, scale: 0, orientation: 0, posX: 0, posY: 1 });
    expect(factorsOf(32).classes).toEqual({ shape: 0, scale: 0, orientation: 0, posX: 1, posY: 0 });
    expect(factorsOf(DSPRITES.count - 1).classes).toEqual({ shape: 2, scale: 5, orientation: 39, posX: 31, posY: 31 });
    expect(factorsOf(DSPRITES.count - 1).values).toEqual({ shape: 'heart', scale: 1, orientation: 2 * Math.PI, posX: 1, posY: 1 });
  });

  test('every combination of classes has its own index', () => {
    const seen = new Uint8Array(DSPRITES.count);
    const { sizes } = DSPRITES;
    for (let shape = 0; shape < sizes.shape; shape++)
      for (let scale = 0; scale < sizes.scale; scale++)
        for (let orientation = 0; orientation < sizes.orientation; orientation++)
          for (let posX = 0; posX < sizes.posX; posX++)
            for (let posY = 0; posY < sizes.posY; posY++) seen[indexOf({ shape, scale, orientation, posX, posY })]++;
    expect(seen.every((times) => times === 1)).toBe(true);
  });

  test('bad indices and classes throw, naming the value and the valid range', () => {
    for (const bad of [-1, DSPRITES.count, 1.5, Number.NaN]) {
      expect(() => factorsOf(bad)).toThrow(`index ${bad} is out of range: expected an integer in [0, 737279]`);
      expect(() => render(bad)).toThrow('out of range');
    }
    const pivot = { shape: 2, scale: 2, orientation: 20, posX: 5, posY: 15 };
    expect(() => indexOf({ ...pivot, orientation: 40 })).toThrow('orientation class 40 is out of range: expected an integer in [0, 39]');
    expect(() => indexOf({ ...pivot, shape: -1 })).toThrow('shape class -1 is out of range: expected an integer in [0, 2]');
    expect(() => indexOf({ ...pivot, scale: 0.5 })).toThrow('scale class 0.5 is out of range: expected an integer in [0, 5]');
    expect(() => indexOf({ ...pivot, posY: 32 })).toThrow('posY class 32');
    expect(() => render(0, new Float32Array(100))).toThrow('does not leave room');
    expect(() => render(0, new Float32Array(4096), 1)).toThrow('does not leave room');
    expect(() => renderBatch([0, DSPRITES.count])).toThrow('out of range');
  });

  test('the fixed pivot is the blog’s heart at scale 0.7', () => {
    const { classes, values } = factorsOf(FIXED_PIVOT.index);
    expect(classes).toEqual({ ...FIXED_PIVOT.classes });
    expect(values.shape).toBe('heart');
    expect(values.scale).toBeCloseTo(0.7, 12);
    expect(classes).toEqual({ shape: 2, scale: 2, orientation: 20, posX: 5, posY: 15 });
  });
});

describe('dSprites splits', () => {
  const names = Object.keys(SPLITS) as SplitName[];

  test('recombination-to-element holds out exactly 2,366 ellipses', () => {
    const test = splitIndices('to-element', 'test');
    expect(test.length).toBe(2366);
    expect(splitSize('to-element', 'test')).toBe(2366);
    // The floating-point boundaries (13·2π/39 = 2π/3, 26·2π/39 = 4π/3) are inside, scale 0.6 is not.
    const classes = [...test].map((index) => factorsOf(index).classes);
    expect(new Set(classes.map((c) => c.orientation))).toEqual(new Set(Array.from({ length: 14 }, (_, i) => 13 + i)));
    expect(new Set(classes.map((c) => c.scale))).toEqual(new Set([0]));
    expect(classes.every((c) => c.shape === 1 && c.posX >= 19 && c.posY >= 19)).toBe(true);
  });

  test('recombination-to-range holds out exactly the 122,880 squares right of centre', () => {
    expect(splitSize('to-range', 'test')).toBe(122_880);
    const test = splitIndices('to-range', 'test');
    expect([...test].every((index) => factorsOf(index).values.shape === 'square' && factorsOf(index).values.posX > 0.5)).toBe(true);
  });

  test('train and test partition the grid, in increasing order', () => {
    for (const name of names) {
      const train = splitIndices(name, 'train');
      const test = splitIndices(name, 'test');
      expect(train.length + test.length).toBe(DSPRITES.count);
      const owner = new Uint8Array(DSPRITES.count);
      for (const index of train) owner[index] |= 1;
      for (const index of test) owner[index] |= 2;
      expect(owner.every((o) => o === 1 || o === 2)).toBe(true);
      for (const part of [train, test]) for (let i = 1; i < part.length; i++) expect(part[i]).toBeGreaterThan(part[i - 1]);
    }
  });

  test('isTest agrees with splitIndices', () => {
    const sample = randomIndices(3000, 11);
    for (const name of names) {
      const test = new Set(splitIndices(name, 'test', 5));
      for (const index of sample) expect(isTest(name, index, 5)).toBe(test.has(index));
    }
  });

  test('to-element’s test set lies inside to-range-ellipse’s', () => {
    const rangeEllipse = new Set(splitIndices('to-range-ellipse', 'test'));
    const element = splitIndices('to-element', 'test');
    expect([...element].every((index) => rangeEllipse.has(index))).toBe(true);
    expect(rangeEllipse.size).toBeGreaterThan(element.length);
  });

  test('extrapolation holds out the right half of every shape', () => {
    const test = splitIndices('extrapolation', 'test');
    expect(test.length).toBe(DSPRITES.count / 2);
    const shapes = new Set([...test].map((index) => factorsOf(index).values.shape));
    expect(shapes).toEqual(new Set(['square', 'ellipse', 'heart']));
  });

  test('the random split holds out about 10 %, deterministically from its seed', () => {
    for (const seed of [0, 1, 12345]) {
      const fraction = splitSize('random', 'test', seed) / DSPRITES.count;
      expect(Math.abs(fraction - 0.1)).toBeLessThan(0.005);
    }
    expect(splitIndices('random', 'test', 3)).toEqual(splitIndices('random', 'test', 3));
    expect(splitIndices('random', 'test')).toEqual(splitIndices('random', 'test', 0));
    const overlap = new Set(splitIndices('random', 'test', 1));
    const other = splitIndices('random', 'test', 2);
    const shared = [...other].filter((index) => overlap.has(index)).length;
    // Independent 10 % coins share about 1 % of the grid, far from all 10 %.
    expect(shared / DSPRITES.count).toBeLessThan(0.02);
  });

  test('unknown names, parts and seeds throw', () => {
    const unknown = 'to-elements' as SplitName;
    for (const call of [() => isTest(unknown, 0), () => splitIndices(unknown, 'test'), () => splitSize(unknown, 'train'), () => parseSplit('nope')]) {
      expect(call).toThrow('expected one of to-element, to-range, to-range-ellipse, extrapolation, random');
    }
    expect(() => splitIndices('random', 'validation' as 'test')).toThrow("expected 'train' or 'test'");
    expect(() => splitIndices('random', 'test', 0.5)).toThrow('not an integer');
    expect(() => isTest('to-range', DSPRITES.count)).toThrow('out of range');
    expect(parseSplit('to-range')).toBe('to-range');
  });
});

describe('dSprites rendering', () => {
  const { sizes } = DSPRITES;

  test('images are binary and never empty', () => {
    const corners = [0, sizes.posX - 1].flatMap((posX) => [0, sizes.posY - 1].map((posY) => ({ posX, posY })));
    const indices = [...randomIndices(3000, 3)];
    for (let shape = 0; shape < sizes.shape; shape++)
      for (let scale = 0; scale < sizes.scale; scale++)
        for (let orientation = 0; orientation < sizes.orientation; orientation++)
          for (const corner of corners) indices.push(indexOf({ shape, scale, orientation, ...corner }));
    for (const index of indices) {
      const pixels = render(index);
      expect(pixels.length).toBe(DSPRITES.imagePixels);
      expect(pixels.every((p) => p === 0 || p === 1)).toBe(true);
      expect(area(pixels)).toBeGreaterThan(0);
    }
  });

  test('area grows with scale, for each shape', () => {
    for (let shape = 0; shape < sizes.shape; shape++) {
      const meanAreas = Array.from({ length: sizes.scale }, (_, scale) => {
        let total = 0;
        let count = 0;
        for (let orientation = 0; orientation < sizes.orientation; orientation++)
          for (const pos of [4, 15, 27]) {
            total += area(image({ shape, scale, orientation, posX: pos, posY: 31 - pos }));
            count++;
          }
        return total / count;
      });
      for (let scale = 1; scale < sizes.scale; scale++) expect(meanAreas[scale]).toBeGreaterThan(meanAreas[scale - 1] * 1.1);
    }
  });

  test('the square is about 20 px wide at scale 1, and shapes are of a similar size', () => {
    const squareRows = rowExtent(image({ shape: 0, scale: 5, orientation: 0, posX: 15, posY: 15 }));
    expect(squareRows[1] - squareRows[0] + 1).toBeGreaterThanOrEqual(18);
    expect(squareRows[1] - squareRows[0] + 1).toBeLessThanOrEqual(22);
    const squareArea = area(image({ shape: 0, scale: 5, orientation: 0, posX: 15, posY: 15 }));
    for (const shape of [1, 2]) {
      const shapeArea = area(image({ shape, scale: 5, orientation: 0, posX: 15, posY: 15 }));
      expect(shapeArea).toBeGreaterThan(squareArea * 0.4);
      expect(shapeArea).toBeLessThan(squareArea * 1.2);
    }
  });

  test('the ellipse is elongated about 2:1', () => {
    const pixels = image({ shape: 1, scale: 5, orientation: 0, posX: 15, posY: 15 });
    const [top, bottom] = rowExtent(pixels);
    const height = bottom - top + 1;
    const width = Math.max(...Array.from({ length: SIZE }, (_, row) => area(pixels.subarray(row * SIZE, (row + 1) * SIZE))));
    expect(width / height).toBeGreaterThan(1.7);
    expect(width / height).toBeLessThan(2.3);
  });

  test('the object moves right as posX grows and down as posY grows', () => {
    for (let shape = 0; shape < sizes.shape; shape++)
      for (const orientation of [0, 7, 20, 33]) {
        const alongX = Array.from({ length: sizes.posX }, (_, posX) => centreOfMass(image({ shape, scale: 2, orientation, posX, posY: 10 })));
        const alongY = Array.from({ length: sizes.posY }, (_, posY) => centreOfMass(image({ shape, scale: 2, orientation, posX: 20, posY })));
        for (let pos = 1; pos < sizes.posX; pos++) {
          expect(alongX[pos].x).toBeGreaterThan(alongX[pos - 1].x);
          expect(alongX[pos].y).toBeCloseTo(alongX[0].y, 0);
          expect(alongY[pos].y).toBeGreaterThan(alongY[pos - 1].y);
          expect(alongY[pos].x).toBeCloseTo(alongY[0].x, 0);
        }
        // The centre travels over most of the frame.
        expect(alongX[sizes.posX - 1].x - alongX[0].x).toBeGreaterThan(SIZE / 2);
      }
  });

  test('one orientation step turns the square; orientation 0 and 2π look the same', () => {
    for (let scale = 0; scale < sizes.scale; scale++) {
      const at = (orientation: number) => image({ shape: 0, scale, orientation, posX: 13, posY: 17 });
      expect(differingPixels(at(0), at(1))).toBeGreaterThan(0);
      expect(differingPixels(at(0), at(5))).toBeGreaterThan(differingPixels(at(0), at(1)));
      // Rotation keeps the size: only pixelation changes the area.
      expect(Math.abs(area(at(5)) - area(at(0)))).toBeLessThan(0.1 * area(at(0)));
    }
    for (let shape = 0; shape < sizes.shape; shape++)
      for (let scale = 0; scale < sizes.scale; scale++)
        for (const [posX, posY] of [[0, 0], [9, 22], [31, 31]]) {
          const first = image({ shape, scale, orientation: 0, posX, posY });
          const last = image({ shape, scale, orientation: sizes.orientation - 1, posX, posY });
          expect(differingPixels(first, last)).toBeLessThanOrEqual(2);
        }
  });

  test('the square and ellipse are symmetric top-to-bottom at orientation 0; the heart is not', () => {
    // Pixelation breaks the mirror symmetry of a small shape whose centre is off the pixel grid's
    // own symmetry lines, so a symmetric shape must be an exact mirror image at some of its
    // vertical positions, while a heart is far from one at every position.
    const asymmetryAlongY = (shape: number, scale: number, posX: number) =>
      Array.from({ length: sizes.posY }, (_, posY) => {
        const pixels = image({ shape, scale, orientation: 0, posX, posY });
        return verticalAsymmetry(pixels) / area(pixels);
      });
    for (let scale = 0; scale < sizes.scale; scale++)
      for (const posX of [0, 14, 31]) {
        for (const shape of [0, 1]) expect(Math.min(...asymmetryAlongY(shape, scale, posX))).toBe(0);
        expect(Math.min(...asymmetryAlongY(2, scale, posX))).toBeGreaterThan(0.2);
      }
  });

  test('the heart at orientation 0 points down: its lobes are at the top, its tip at the bottom', () => {
    for (let scale = 0; scale < sizes.scale; scale++) {
      const heart = image({ shape: 2, scale, orientation: 0, posX: 15, posY: 15 });
      const [top, bottom] = rowExtent(heart);
      expect(centreOfMass(heart).y).toBeLessThan((top + bottom) / 2);
      const rowWidth = (row: number) => area(heart.subarray(row * SIZE, (row + 1) * SIZE));
      expect(rowWidth(bottom)).toBeLessThan(rowWidth(top + 2));
      // Turned half a turn (orientation class 20 is about π), it points up instead.
      const turned = image({ shape: 2, scale, orientation: 20, posX: 15, posY: 15 });
      const [turnedTop, turnedBottom] = rowExtent(turned);
      expect(centreOfMass(turned).y).toBeGreaterThan((turnedTop + turnedBottom) / 2);
    }
  });

  test('renderBatch equals rendering each index, and render overwrites what was there', () => {
    const indices = [FIXED_PIVOT.index, ...randomIndices(64, 5), FIXED_PIVOT.index];
    const batch = renderBatch(Int32Array.from(indices));
    expect(batch.length).toBe(indices.length * DSPRITES.imagePixels);
    const reused = new Float32Array(3 * DSPRITES.imagePixels).fill(7);
    indices.forEach((index, i) => {
      const single = render(index);
      expect(batch.subarray(i * DSPRITES.imagePixels, (i + 1) * DSPRITES.imagePixels)).toEqual(single);
      render(index, reused, DSPRITES.imagePixels);
      expect(reused.subarray(DSPRITES.imagePixels, 2 * DSPRITES.imagePixels)).toEqual(single);
    });
    // The images around the one rendered into are left alone.
    expect(reused[0]).toBe(7);
    expect(reused[2 * DSPRITES.imagePixels]).toBe(7);
    expect(renderBatch([]).length).toBe(0);
  });
});
