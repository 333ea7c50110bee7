// Images as the API sends them (base64 of little-endian float32 pixels in [0, 1], row-major) and
// as the viewer draws them: decoding, encoding, comparison and conversion to canvas pixels.

/** An image on the wire: `data` is base64 of width·height little-endian float32 values. */
export interface ApiImage {
  width: number;
  height: number;
  data: string;
}

/** A decoded grey-scale image, pixels row-major in [0, 1]. */
export interface Img {
  width: number;
  height: number;
  pixels: Float32Array;
}

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
  if (typeof image.data !== 'string') throw new Error('image: data must be a base64 string');
  const bytes = base64ToBytes(image.data);
  if (bytes.length !== width * height * 4) {
    throw new Error(`image: ${bytes.length} bytes do not hold ${width}×${height} float32 pixels (${width * height * 4} bytes)`);
  }
  // DataView reads little-endian whatever the host's byte order.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = view.getFloat32(i * 4, true);
  return { width, height, pixels };
}

export function encodeImage(img: Img): ApiImage {
  const bytes = new Uint8Array(img.pixels.length * 4);
  const view = new DataView(bytes.buffer);
  img.pixels.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { width: img.width, height: img.height, data: bytesToBase64(bytes) };
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

/** Whether two images differ anywhere by more than `tolerance`. */
export function imagesDiffer(a: Img, b: Img, tolerance = 0): boolean {
  return maxAbsDiff(a, b) > tolerance;
}

/** |a − b| as an image, for showing where two decodes disagree. */
export function absDiff(a: Img, b: Img): Img {
  if (a.pixels.length !== b.pixels.length) throw new Error(`image: cannot compare ${a.width}×${a.height} with ${b.width}×${b.height}`);
  return { width: a.width, height: a.height, pixels: a.pixels.map((v, i) => Math.abs(v - b.pixels[i])) };
}

/** RGBA bytes for ImageData: grey levels, or `colour(value)` when given (e.g. a heat map). */
export function toRgba(img: Img, colour?: (value: number) => readonly [number, number, number]): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(img.pixels.length * 4);
  for (let i = 0; i < img.pixels.length; i++) {
    const v = img.pixels[i];
    const clamped = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
    if (colour) {
      const [r, g, b] = colour(clamped);
      out[i * 4] = r;
      out[i * 4 + 1] = g;
      out[i * 4 + 2] = b;
    } else {
      const grey = Math.round(clamped * 255);
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = grey;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
