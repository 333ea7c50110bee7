import { describe, expect, test } from 'bun:test';
import { absDiff, base64ToBytes, bytesToBase64, decodeImage, encodeImage, maxAbsDiff, toRgba } from '../src/lib/images.ts';

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
});
