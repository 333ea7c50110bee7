// The results' scatter plots (latent-maps.ts): points land where their coordinates say, in their
// colour, each panel fitted to its own box; the colour ramp and the PNG encoding.
import { expect, test } from 'bun:test';
import { PNG } from 'pngjs';
import { encodeRgbPng, rampColour, scatter, SHAPE_COLOURS } from '../packages/cli/src/figures/latent-maps.ts';

const at = (r: ReturnType<typeof scatter>, x: number, y: number) => Array.from(r.rgb.subarray((y * r.width + x) * 3, (y * r.width + x) * 3 + 3));

test('scatter puts each point at its fitted place, in its colour, per panel', () => {
  const red = [255, 0, 0] as const;
  const blue = [0, 0, 255] as const;
  // Panel 0: corners (0, 0) and (10, 10); panel 1: the same shape at another scale and offset.
  const r = scatter(
    [
      { points: [[0, 0], [10, 10]], colours: [red, blue] },
      { points: [[-3, 7], [-2.5, 7.5]], colours: [blue, red] },
    ],
    [red],
  );
  expect(r.width).toBe(2 * 360 + 3 * 8);
  // margin 4 % of 360 = 14.4; inner 331.2. Panel 0 left edge 8, top 8: (0, 0) is bottom left.
  const left0 = Math.round(8 + 14.4);
  const right0 = Math.round(8 + 14.4 + 331.2);
  const bottom = Math.round(8 + 14.4 + 331.2);
  const top = Math.round(8 + 14.4);
  const blend = (c: readonly number[]) => c.map((v) => Math.round(0.4 * 255 + 0.6 * v));
  expect(at(r, left0, bottom)).toEqual(blend(red));
  expect(at(r, right0, top)).toEqual(blend(blue));
  // Panel 1 is fitted alone: its first point also lands bottom left of its own box.
  const left1 = Math.round(8 + 360 + 8 + 14.4);
  expect(at(r, left1, bottom)).toEqual(blend(blue));
  expect(at(r, left1 + 331, top)).toEqual(blend(red));
  // Far from every point: white.
  expect(at(r, 100, 100)).toEqual([255, 255, 255]);
  // The key strip under the panels.
  expect(at(r, 20, 360 + 16 + 5)).toEqual([255, 0, 0]);
  expect(() => scatter([{ points: [[0, 0]], colours: [] }], [red])).toThrow(/panel 0 has 1 points but 0 colours/);
});

test('the colour ramp runs from dark blue to yellow and clamps; shapes have distinct colours', () => {
  expect(rampColour(0)).toEqual([68, 1, 84]);
  expect(rampColour(1)).toEqual([253, 231, 37]);
  expect(rampColour(-1)).toEqual(rampColour(0));
  expect(rampColour(2)).toEqual(rampColour(1));
  expect(rampColour(0.125)).toEqual([64, 42, 112]);
  expect(new Set(SHAPE_COLOURS.map((c) => c.join())).size).toBe(3);
});

test('encodeRgbPng writes the pixels back as read', () => {
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const png = PNG.sync.read(Buffer.from(encodeRgbPng({ width: 5, height: 3, rgb })));
  expect([png.width, png.height]).toEqual([5, 3]);
  for (let p = 0; p < 15; p++) for (let c = 0; c < 3; c++) expect(png.data[p * 4 + c]).toBe(rgb[p * 3 + c]);
});
