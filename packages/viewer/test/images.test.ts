import { describe, expect, test } from 'bun:test';
import { metrics } from '@maga/model';
import { absDiff, base64ToBytes, bytesToBase64, decodeImage, encodeImage, maxAbsDiff, psnr, toRgba } from '../src/lib/images.ts';

describe('API images', () => {
  test('decode reads little-endian float32 pixels row-major', () => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    [0, 0.25, 0.5, 1].forEach((v, i) => view.setFloat32(i * 4, v, true));
    const img = decodeImage({ width: 2, height: 2, data: Buffer.from(bytes).toString('base64') });
    expect(img.width).toBe(2);
    expect(Array.from(img.pixels)).toEqual([0, 0.25, 0.5, 1]);
  });

  test('encode and decode round-trip exactly', () => {
    const pixels = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i) ** 2);
    const back = decodeImage(encodeImage({ width: 64, height: 64, pixels }));
    expect(back.pixels).toEqual(pixels);
    expect(encodeImage({ width: 64, height: 64, pixels }).data).toBe(Buffer.from(pixels.buffer).toString('base64'));
  });

  test('base64 helpers agree with Buffer, including large inputs', () => {
    const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31) % 256);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(base64ToBytes(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
  });

  test('a size that does not match the bytes is an error naming both', () => {
    const data = Buffer.from(new Uint8Array(12)).toString('base64');
    expect(() => decodeImage({ width: 2, height: 2, data })).toThrow('12 bytes do not hold 2×2 float32 pixels (16 bytes)');
    expect(() => decodeImage({ width: 0, height: 2, data })).toThrow('not a positive integer size');
  });

  test('differences', () => {
    const a = { width: 2, height: 1, pixels: Float32Array.of(0, 1) };
    const b = { width: 2, height: 1, pixels: Float32Array.of(0.25, 0.5) };
    expect(maxAbsDiff(a, b)).toBe(0.5);
    expect(maxAbsDiff(a, { width: 1, height: 1, pixels: Float32Array.of(0) })).toBe(Infinity);
    expect(maxAbsDiff(a, { ...b, pixels: Float32Array.of(NaN, 0) })).toBe(Infinity);
    expect(Array.from(absDiff(a, b).pixels)).toEqual([0.25, 0.5]);
  });

  test('RGBA bytes clamp to [0, 1], map NaN to black and are opaque', () => {
    const rgba = toRgba({ width: 4, height: 1, pixels: Float32Array.of(-1, 0.5, 2, NaN) });
    expect(Array.from(rgba)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 255]);
    const red = toRgba({ width: 1, height: 1, pixels: Float32Array.of(1) }, () => [255, 0, 0]);
    expect(Array.from(red)).toEqual([255, 0, 0, 255]);
  });

  test('colour: 3 planes R, G, B on the wire and on the canvas, checked against a naive per-pixel loop', () => {
    const [w, h] = [3, 2];
    const plane = w * h;
    const pixels = Float32Array.from({ length: 3 * plane }, (_, i) => ((i * 37) % 101) / 100);
    const wire = encodeImage({ width: w, height: h, channels: 3, pixels });
    expect(wire.channels).toBe(3);
    const back = decodeImage(wire);
    expect(back.channels).toBe(3);
    expect(back.pixels).toEqual(pixels);
    const rgba = toRgba(back);
    expect(rgba.length).toBe(plane * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = y * w + x;
        const expected = [pixels[at], pixels[plane + at], pixels[2 * plane + at]].map((v) => Math.round(v * 255));
        expect(Array.from(rgba.subarray(at * 4, at * 4 + 4))).toEqual([...expected, 255]);
      }
    }
    // A grey image of the same size is not the colour one.
    expect(() => absDiff(back, { width: w, height: h, pixels: pixels.subarray(0, plane) })).toThrow('cannot compare 3×3×2 with 1×3×2');
    expect(absDiff(back, back).channels).toBe(3);
    // A heat map of a colour image colours each pixel's largest channel.
    const heat = toRgba({ width: 1, height: 1, channels: 3, pixels: Float32Array.of(0.1, 0.7, 0.3) }, (v) => [Math.round(v * 100), 0, 0]);
    expect(Array.from(heat)).toEqual([70, 0, 0, 255]);
  });

  test('colour on the wire: bytes must hold channels·width·height floats; channels is 1 or 3', () => {
    const data = Buffer.from(new Uint8Array(2 * 2 * 4)).toString('base64');
    expect(() => decodeImage({ width: 2, height: 2, channels: 3, data })).toThrow('16 bytes do not hold 3×2×2 float32 pixels (48 bytes)');
    expect(() => decodeImage({ width: 2, height: 2, channels: 2, data })).toThrow('channels must be 1 (grey) or 3 (RGB), got 2');
    expect(decodeImage({ width: 2, height: 2, data }).channels).toBeUndefined();
    expect(() => toRgba({ width: 2, height: 2, channels: 3, pixels: new Float32Array(4) })).toThrow('4 values are not 3×2×2');
  });

  test('PSNR against the model package’s metric (the evaluation’s), equal images and mismatched sizes', () => {
    const a = Float32Array.from({ length: 64 }, (_, i) => (i * 37) % 64 / 63);
    const b = a.map((v, i) => Math.min(1, v + (i % 3) * 0.05));
    const img = (pixels: Float32Array) => ({ width: 8, height: 8, pixels });
    expect(psnr(img(a), img(b))).toBeCloseTo(metrics.psnr(a, b), 10);
    expect(psnr(img(a), img(a))).toBe(Infinity);
    expect(psnr(img(a), { width: 4, height: 4, pixels: new Float32Array(16) })).toBeNaN();
  });
});
