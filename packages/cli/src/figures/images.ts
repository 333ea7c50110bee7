// Images as files and wire formats: grids of 64×64 tiles for figures, PNG (pngjs), animated GIF
// (gifenc), and the API's Image object (base64 float32). Pixels are in [0, 1]. Grey-scale by
// default; colour (3 channels) where a tile is channel-first [3, S, S], as the 3-D sets' images are.
import { GIFEncoder } from 'gifenc';
import { PNG } from 'pngjs';
import { IMAGE } from '../inference/adapters.ts';

/** A raster, row-major: one float per pixel in [0, 1] (grey), or with `channels` 3 an interleaved R, G, B per pixel. */
export interface Raster {
  width: number;
  height: number;
  pixels: Float32Array;
  /** 1 (grey, the default) or 3 (RGB, interleaved). */
  channels?: 1 | 3;
}

/** Tiles laid out row by row; `null` leaves a blank cell. */
export type Tiles = (Float32Array | null)[][];

const GAP = 2;
/** The background between tiles: mid grey, so black and white tiles both stand out. */
const BACKGROUND = 0.5;

/**
 * Puts square tiles (64×64 unless `size` says otherwise) into one raster with a small gap between
 * them, scaled up by an integer factor. Tiles of `channels` 3 are channel-first [3, size, size]
 * (R plane, G plane, B plane) and give an RGB raster.
 */
export function grid(tiles: Tiles, scale = 1, size = IMAGE, channels: 1 | 3 = 1): Raster {
  const rows = tiles.length;
  const columns = Math.max(...tiles.map((row) => row.length));
  const cell = size * scale;
  const width = columns * cell + (columns + 1) * GAP;
  const height = rows * cell + (rows + 1) * GAP;
  const plane = size * size;
  const pixels = new Float32Array(width * height * channels).fill(BACKGROUND);
  tiles.forEach((row, r) =>
    row.forEach((tile, c) => {
      if (!tile) return;
      if (tile.length !== channels * plane) throw new Error(`grid: tile (${r}, ${c}) holds ${tile.length} values, expected ${channels}×${size}×${size}`);
      const left = GAP + c * (cell + GAP);
      const top = GAP + r * (cell + GAP);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const source = Math.floor(y / scale) * size + Math.floor(x / scale);
          const target = ((top + y) * width + left + x) * channels;
          for (let ch = 0; ch < channels; ch++) pixels[target + ch] = tile[ch * plane + source];
        }
      }
    }),
  );
  return { width, height, pixels, channels };
}

const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);

export function encodePng(raster: Raster): Uint8Array {
  const channels = raster.channels ?? 1;
  const colorType = channels === 3 ? 2 : 0;
  const png = new PNG({ width: raster.width, height: raster.height, colorType, inputColorType: colorType, inputHasAlpha: false });
  const bytes = Buffer.alloc(raster.width * raster.height * channels);
  for (let i = 0; i < bytes.length; i++) bytes[i] = byte(raster.pixels[i]);
  png.data = bytes;
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false }));
}

// Colour GIFs use one fixed palette, 6 levels per channel (216 colours): deterministic, no
// quantisation pass, and steps of 51/255 are fine for an animation beside the exact PNGs.
const LEVELS = 6;
const COLOUR_PALETTE = Array.from({ length: LEVELS ** 3 }, (_, i) => [Math.floor(i / (LEVELS * LEVELS)), Math.floor(i / LEVELS) % LEVELS, i % LEVELS].map((l) => Math.round((l * 255) / (LEVELS - 1))));
const level = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * (LEVELS - 1));

/** An animated GIF of equally sized frames (grey, or RGB on a fixed 216-colour palette), looping forever. */
export function encodeGif(frames: Raster[], delayMs = 120): Uint8Array {
  if (frames.length === 0) throw new Error('gif: no frames');
  const { width, height } = frames[0];
  const channels = frames[0].channels ?? 1;
  // Grey: a fixed 256-level palette, every pixel maps to its own level, no quantisation needed.
  const palette = channels === 3 ? COLOUR_PALETTE : Array.from({ length: 256 }, (_, i) => [i, i, i]);
  const gif = GIFEncoder();
  frames.forEach((frame, i) => {
    if (frame.width !== width || frame.height !== height || (frame.channels ?? 1) !== channels) throw new Error(`gif: frame ${i} is ${frame.width}×${frame.height}×${frame.channels ?? 1}, not ${width}×${height}×${channels}`);
    const index = new Uint8Array(width * height);
    if (channels === 3) {
      for (let p = 0; p < index.length; p++) index[p] = (level(frame.pixels[3 * p]) * LEVELS + level(frame.pixels[3 * p + 1])) * LEVELS + level(frame.pixels[3 * p + 2]);
    } else {
      for (let p = 0; p < index.length; p++) index[p] = byte(frame.pixels[p]);
    }
    gif.writeFrame(index, width, height, { palette, delay: delayMs, ...(i === 0 ? { repeat: 0 } : {}) });
  });
  gif.finish();
  return gif.bytes();
}

/** The API's Image: little-endian float32 pixels, base64. */
export interface ImageJson {
  width: number;
  height: number;
  data: string;
}

export function imageJson(pixels: Float32Array, width = IMAGE, height = IMAGE): ImageJson {
  const copy = Float32Array.from(pixels); // own buffer, little-endian on every host we run on
  return { width, height, data: Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength).toString('base64') };
}

/** Splits [n·64·64] pixels into n images. */
export function split(pixels: Float32Array, size = IMAGE * IMAGE): Float32Array[] {
  return Array.from({ length: pixels.length / size }, (_, i) => pixels.subarray(i * size, (i + 1) * size));
}
