// Grey-scale images as files and wire formats: grids of 64×64 tiles for figures, PNG (pngjs),
// animated GIF (gifenc), and the API's Image object (base64 float32). Pixels are in [0, 1].
import { GIFEncoder } from 'gifenc';
import { PNG } from 'pngjs';
import { IMAGE } from './latent.ts';

/** A grey-scale raster, one float per pixel in [0, 1], row-major. */
export interface Raster {
  width: number;
  height: number;
  pixels: Float32Array;
}

/** Tiles laid out row by row; `null` leaves a blank cell. */
export type Tiles = (Float32Array | null)[][];

const GAP = 2;
/** The background between tiles: mid grey, so black and white tiles both stand out. */
const BACKGROUND = 0.5;

/** Puts square tiles (64×64 unless `size` says otherwise) into one raster with a small gap between them, scaled up by an integer factor. */
export function grid(tiles: Tiles, scale = 1, size = IMAGE): Raster {
  const rows = tiles.length;
  const columns = Math.max(...tiles.map((row) => row.length));
  const cell = size * scale;
  const width = columns * cell + (columns + 1) * GAP;
  const height = rows * cell + (rows + 1) * GAP;
  const pixels = new Float32Array(width * height).fill(BACKGROUND);
  tiles.forEach((row, r) =>
    row.forEach((tile, c) => {
      if (!tile) return;
      const left = GAP + c * (cell + GAP);
      const top = GAP + r * (cell + GAP);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) pixels[(top + y) * width + left + x] = tile[Math.floor(y / scale) * size + Math.floor(x / scale)];
      }
    }),
  );
  return { width, height, pixels };
}

const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);

export function encodePng(raster: Raster): Uint8Array {
  const png = new PNG({ width: raster.width, height: raster.height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const grey = Buffer.alloc(raster.width * raster.height);
  for (let i = 0; i < grey.length; i++) grey[i] = byte(raster.pixels[i]);
  png.data = grey;
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** An animated GIF of equally sized frames, looping forever. */
export function encodeGif(frames: Raster[], delayMs = 120): Uint8Array {
  if (frames.length === 0) throw new Error('gif: no frames');
  const { width, height } = frames[0];
  // A fixed 256-level grey palette: every pixel maps to its own level, no quantisation needed.
  const palette = Array.from({ length: 256 }, (_, i) => [i, i, i]);
  const gif = GIFEncoder();
  frames.forEach((frame, i) => {
    if (frame.width !== width || frame.height !== height) throw new Error(`gif: frame ${i} is ${frame.width}×${frame.height}, not ${width}×${height}`);
    const index = new Uint8Array(width * height);
    for (let p = 0; p < index.length; p++) index[p] = byte(frame.pixels[p]);
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
