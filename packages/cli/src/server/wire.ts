// A run's images on the wire: the API's Image objects (base64 float32, with `channels` for colour)
// and PNG files, for grey runs (dSprites, MNIST, contrast: 1 channel) and colour ones (the 3-D
// sets: 3 channels, planes R, G, B as the models compute them, [C, H, W]).
import { encodePng, imageJson, type ImageJson } from '../figures/images.ts';

/** The API's Image: `channels` is sent for colour images only, so grey ones read as before. */
export type ApiImage = ImageJson & { channels?: 3 };

/** One image of `channels`·size² values. */
export function apiImage(pixels: Float32Array, size: number, channels: number): ApiImage {
  if (pixels.length !== channels * size * size) throw new Error(`image: ${pixels.length} values are not ${channels}×${size}×${size}`);
  const json = imageJson(pixels, size, size);
  return channels === 3 ? { ...json, channels: 3 } : json;
}

/** n images, [n·channels·size²] values, one Image each. */
export function apiImages(pixels: Float32Array, size: number, channels: number): ApiImage[] {
  const values = channels * size * size;
  return Array.from({ length: pixels.length / values }, (_, i) => apiImage(pixels.subarray(i * values, (i + 1) * values), size, channels));
}

/** A PNG of one square image: grey (colour type 0) or RGB (colour type 2) from channel planes. */
export function imagePng(pixels: Float32Array, size: number, channels: number): Uint8Array {
  if (pixels.length !== channels * size * size) throw new Error(`png: ${pixels.length} values are not ${channels}×${size}×${size}`);
  if (channels === 1) return encodePng({ width: size, height: size, pixels });
  if (channels !== 3) throw new Error(`png: images have 1 or 3 channels, got ${channels}`);
  // encodePng takes RGB interleaved per pixel; the models' images are planes.
  const plane = size * size;
  const rgb = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = pixels[c * plane + i];
  return encodePng({ width: size, height: size, pixels: rgb, channels: 3 });
}
