// Images as the API sends them (base64 of little-endian float32 pixels in [0, 1], row-major,
// channel-first for colour) and as the viewer draws them: decoding, encoding, comparison and
// conversion to canvas pixels. Grey images have 1 channel, colour ones (the 3-D sets) 3, as planes
// R, G, B one after another: the layout the models compute in ([C, H, W]), so a decode goes to the
// canvas without reordering on the way.

/** An image on the wire: `data` is base64 of channels·width·height little-endian float32 values. */
export interface ApiImage {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB planes); absent means 1, as older servers send. */
  channels?: number;
  data: string;
}

/** A decoded image, pixels in [0, 1]: row-major, one plane per channel (absent channels: 1, grey). */
export interface Img {
  width: number;
  height: number;
  channels?: number;
  pixels: Float32Array;
}

/** An image's channels: 1 unless it says 3. */
export const channelsOf = (img: { channels?: number }) => img.channels ?? 1;

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** Decodes an API image, checking that the byte count matches its size. */
export function decodeImage(image: ApiImage): Img {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image: size ${width}×${height} is not a positive integer size`);
  }
  const channels = image.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new Error(`image: channels must be 1 (grey) or 3 (RGB), got ${JSON.stringify(image.channels)}`);
  if (typeof image.data !== 'string') throw new Error('image: data must be a base64 string');
  const bytes = base64ToBytes(image.data);
  const values = width * height * channels;
  if (bytes.length !== values * 4) {
    const what = channels === 1 ? `${width}×${height}` : `${channels}×${width}×${height}`;
    throw new Error(`image: ${bytes.length} bytes do not hold ${what} float32 pixels (${values * 4} bytes)`);
  }
  // DataView reads little-endian whatever the host's byte order.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixels = new Float32Array(values);
  for (let i = 0; i < pixels.length; i++) pixels[i] = view.getFloat32(i * 4, true);
  return channels === 1 ? { width, height, pixels } : { width, height, channels, pixels };
}

export function encodeImage(img: Img): ApiImage {
  const bytes = new Uint8Array(img.pixels.length * 4);
  const view = new DataView(bytes.buffer);
  img.pixels.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const channels = channelsOf(img);
  return channels === 1 ? { width: img.width, height: img.height, data: bytesToBase64(bytes) } : { width: img.width, height: img.height, channels, data: bytesToBase64(bytes) };
}

/** max |a − b| over pixels; Infinity when the sizes differ. */
export function maxAbsDiff(a: Img | Float32Array, b: Img | Float32Array): number {
  const pa = a instanceof Float32Array ? a : a.pixels;
  const pb = b instanceof Float32Array ? b : b.pixels;
  if (pa.length !== pb.length) return Infinity;
  let max = 0;
  for (let i = 0; i < pa.length; i++) {
    const d = Math.abs(pa[i] - pb[i]);
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/**
 * PSNR in dB of `a` against the reference `b` (pixels in [0, 1]: 10·log10(1 / MSE)), as the
 * evaluation computes it; Infinity for equal images, NaN when the sizes differ.
 */
export function psnr(a: Img, b: Img): number {
  if (a.pixels.length !== b.pixels.length || a.pixels.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i++) sum += (a.pixels[i] - b.pixels[i]) ** 2;
  const mse = sum / a.pixels.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** |a − b| as an image, for showing where two decodes disagree. */
export function absDiff(a: Img, b: Img): Img {
  if (a.pixels.length !== b.pixels.length || channelsOf(a) !== channelsOf(b)) {
    throw new Error(`image: cannot compare ${channelsOf(a)}×${a.width}×${a.height} with ${channelsOf(b)}×${b.width}×${b.height}`);
  }
  return { ...a, pixels: a.pixels.map((v, i) => Math.abs(v - b.pixels[i])) };
}

const unit = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/**
 * RGBA bytes for ImageData: grey levels or RGB planes as they are, or `colour(value)` when given
 * (a heat map), of each pixel's largest channel.
 */
export function toRgba(img: Img, colour?: (value: number) => readonly [number, number, number]): Uint8ClampedArray<ArrayBuffer> {
  const channels = channelsOf(img);
  const plane = img.width * img.height;
  if (img.pixels.length !== plane * channels) throw new Error(`image: ${img.pixels.length} values are not ${channels}×${img.width}×${img.height}`);
  const out = new Uint8ClampedArray(plane * 4);
  const p = img.pixels;
  for (let i = 0; i < plane; i++) {
    if (colour) {
      let v = unit(p[i]);
      for (let c = 1; c < channels; c++) v = Math.max(v, unit(p[c * plane + i]));
      const [r, g, b] = colour(v);
      out[i * 4] = r;
      out[i * 4 + 1] = g;
      out[i * 4 + 2] = b;
    } else if (channels === 3) {
      out[i * 4] = Math.round(unit(p[i]) * 255);
      out[i * 4 + 1] = Math.round(unit(p[plane + i]) * 255);
      out[i * 4 + 2] = Math.round(unit(p[2 * plane + i]) * 255);
    } else {
      const grey = Math.round(unit(p[i]) * 255);
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = grey;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
