// Rotating square images about their centre, for the rotated-MNIST data sets.
//
// R_θ turns the picture counter-clockwise on screen by θ radians (rows run downward) about the
// image centre (size/2, size/2 in pixel-edge coordinates, i.e. between the middle pixels), by
// bilinear resampling of the source at the back-rotated pixel centre; the source is zero outside
// its frame. Bilinear resampling is exact at θ = 0 (every weight but one is 0) and reproduces a
// linear ramp exactly, but cos(π/2) is not 0 in floating point, so quarter turns would pick up
// rounding-sized fractional weights: angles within QUARTER_TURN_TOLERANCE of a multiple of π/2 are
// done by permuting pixel indices instead, which makes C₄ (and C₂) act exactly.

/** How close (radians) an angle must be to k·π/2 to be done as an exact index permutation. */
export const QUARTER_TURN_TOLERANCE = 1e-9;

function checkImage(where: string, image: ArrayLike<number>, size: number, offset: number): void {
  if (!Number.isInteger(size) || size < 1) throw new Error(`${where}: image size must be a positive integer, got ${size}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + size * size > image.length) {
    throw new Error(`${where}: offset ${offset} does not leave room for a ${size}×${size} image in an array of length ${image.length}`);
  }
}

/** The number of counter-clockwise quarter turns θ is (0–3), or -1 when it is not a multiple of π/2. */
export function quarterTurns(theta: number): number {
  const turns = Math.round(theta / (Math.PI / 2));
  if (Math.abs(theta - turns * (Math.PI / 2)) > QUARTER_TURN_TOLERANCE) return -1;
  return ((turns % 4) + 4) % 4;
}

/**
 * Writes R_θ·source (a size×size image at `sourceOffset`) into `into` at `offset` (a fresh array
 * when omitted) and returns `into`. `into` must not overlap the source image.
 */
export function rotateImage(source: ArrayLike<number>, size: number, theta: number, into?: Float32Array, offset = 0, sourceOffset = 0): Float32Array {
  if (!Number.isFinite(theta)) throw new Error(`rotateImage: the angle must be a finite number of radians, got ${theta}`);
  checkImage('rotateImage (source)', source, size, sourceOffset);
  const out = into ?? new Float32Array(size * size);
  checkImage('rotateImage (into)', out, size, offset);
  const turns = quarterTurns(theta);
  if (turns >= 0) quarterTurn(source, size, turns, out, offset, sourceOffset);
  else bilinear(source, size, theta, out, offset, sourceOffset);
  return out;
}

// Twice a pixel centre's offset from the image centre is the odd integer 2i + 1 − size, and the
// output at offset p shows the source at R_{-π/2}·p, which is (a, b) ↦ (−b, a) in (column, row)
// terms with rows downward: the source pixel is found with integers only.
function quarterTurn(source: ArrayLike<number>, size: number, turns: number, out: Float32Array, offset: number, sourceOffset: number): void {
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      let a = 2 * col + 1 - size;
      let b = 2 * row + 1 - size;
      for (let t = 0; t < turns; t++) [a, b] = [-b, a];
      out[offset + row * size + col] = source[sourceOffset + ((b + size - 1) / 2) * size + (a + size - 1) / 2];
    }
  }
}

function bilinear(source: ArrayLike<number>, size: number, theta: number, out: Float32Array, offset: number, sourceOffset: number): void {
  const centre = size / 2;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const at = (row: number, col: number): number =>
    row >= 0 && row < size && col >= 0 && col < size ? source[sourceOffset + row * size + col] : 0;
  for (let row = 0; row < size; row++) {
    const dy = row + 0.5 - centre;
    for (let col = 0; col < size; col++) {
      const dx = col + 0.5 - centre;
      // R_{-θ} applied to the offset (dx, dy) in y-down coordinates; −0.5 turns a position in
      // pixel-edge coordinates into one where integers are pixel centres.
      const u = centre + cos * dx - sin * dy - 0.5;
      const v = centre + sin * dx + cos * dy - 0.5;
      const c0 = Math.floor(u);
      const r0 = Math.floor(v);
      const fu = u - c0;
      const fv = v - r0;
      const top = (1 - fu) * at(r0, c0) + fu * at(r0, c0 + 1);
      const bottom = (1 - fu) * at(r0 + 1, c0) + fu * at(r0 + 1, c0 + 1);
      out[offset + row * size + col] = (1 - fv) * top + fv * bottom;
    }
  }
}

/** Centres a size×size image in a larger frame of zeros (`into` at `offset`, a fresh array when omitted). */
export function padImage(source: ArrayLike<number>, size: number, paddedSize: number, into?: Float32Array, offset = 0, sourceOffset = 0): Float32Array {
  checkImage('padImage (source)', source, size, sourceOffset);
  if (!Number.isInteger(paddedSize) || paddedSize < size || (paddedSize - size) % 2 !== 0) {
    throw new Error(`padImage: padded size ${paddedSize} must be an integer ≥ ${size} that exceeds it by an even number`);
  }
  const out = into ?? new Float32Array(paddedSize * paddedSize);
  checkImage('padImage (into)', out, paddedSize, offset);
  const margin = (paddedSize - size) / 2;
  out.fill(0, offset, offset + paddedSize * paddedSize);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) out[offset + (row + margin) * paddedSize + col + margin] = source[sourceOffset + row * size + col];
  }
  return out;
}
