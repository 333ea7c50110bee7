// dSprites, generated procedurally: the 737,280 binary 64×64 images of DeepMind's latent grid
// (shape × scale × orientation × posX × posY), any of which is rendered on demand from its
// index, so that the data set never has to be materialised or downloaded.
//
// An image is the sprite's mask sampled at pixel centres: pixel (x, y) is 1 when the point
// (x + 0.5, y + 0.5) lies inside the rotated, scaled shape. No anti-aliasing, as in dSprites.

export type ShapeName = 'square' | 'ellipse' | 'heart';
export type FactorName = 'shape' | 'scale' | 'orientation' | 'posX' | 'posY';

/** One image's position on the grid: a class index per factor (dSprites' `latents_classes`). */
export type FactorClasses = { shape: number; scale: number; orientation: number; posX: number; posY: number };

/** The latent values those classes stand for (dSprites' `latents_values`); orientation in radians. */
export type LatentValues = { shape: ShapeName; scale: number; orientation: number; posX: number; posY: number };

export type Factors = { index: number; classes: FactorClasses; values: LatentValues };

const IMAGE_SIZE = 64;
const IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE;

const linspace = (start: number, stop: number, count: number): readonly number[] =>
  Object.freeze(Array.from({ length: count }, (_, i) => start + ((stop - start) * i) / (count - 1)));

const SHAPES: readonly ShapeName[] = Object.freeze(['square', 'ellipse', 'heart'] as const);
const FACTOR_NAMES: readonly FactorName[] = Object.freeze(['shape', 'scale', 'orientation', 'posX', 'posY'] as const);
const SCALES = linspace(0.5, 1, 6);
// As in dSprites, the 40 orientations include both 0 and 2π (the same pose twice).
const ORIENTATIONS = linspace(0, 2 * Math.PI, 40);
const POSITIONS = linspace(0, 1, 32);

const SIZES: Readonly<Record<FactorName, number>> = Object.freeze({
  shape: SHAPES.length,
  scale: SCALES.length,
  orientation: ORIENTATIONS.length,
  posX: POSITIONS.length,
  posY: POSITIONS.length,
});

/** The grid's constants: image size, image count, factor names, sizes and latent values. */
export const DSPRITES = Object.freeze({
  imageSize: IMAGE_SIZE,
  imagePixels: IMAGE_PIXELS,
  count: SIZES.shape * SIZES.scale * SIZES.orientation * SIZES.posX * SIZES.posY,
  factorNames: FACTOR_NAMES,
  sizes: SIZES,
  values: Object.freeze({ shape: SHAPES, scale: SCALES, orientation: ORIENTATIONS, posX: POSITIONS, posY: POSITIONS }),
});

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= DSPRITES.count) {
    throw new Error(`dsprites: index ${index} is out of range: expected an integer in [0, ${DSPRITES.count - 1}]`);
  }
}

/** The factor classes and latent values of an image, from its index (posY varies fastest). */
export function factorsOf(index: number): Factors {
  checkIndex(index);
  let rest = index;
  const posY = rest % SIZES.posY;
  rest = (rest - posY) / SIZES.posY;
  const posX = rest % SIZES.posX;
  rest = (rest - posX) / SIZES.posX;
  const orientation = rest % SIZES.orientation;
  rest = (rest - orientation) / SIZES.orientation;
  const scale = rest % SIZES.scale;
  const shape = (rest - scale) / SIZES.scale;
  return {
    index,
    classes: { shape, scale, orientation, posX, posY },
    values: {
      shape: SHAPES[shape],
      scale: SCALES[scale],
      orientation: ORIENTATIONS[orientation],
      posX: POSITIONS[posX],
      posY: POSITIONS[posY],
    },
  };
}

/** The index of the image with these factor classes: (((shape·6 + scale)·40 + orientation)·32 + posX)·32 + posY. */
export function indexOf(classes: FactorClasses): number {
  for (const name of FACTOR_NAMES) {
    const value = classes[name];
    if (!Number.isInteger(value) || value < 0 || value >= SIZES[name]) {
      throw new Error(`dsprites: ${name} class ${value} is out of range: expected an integer in [0, ${SIZES[name] - 1}]`);
    }
  }
  const { shape, scale, orientation, posX, posY } = classes;
  return (((shape * SIZES.scale + scale) * SIZES.orientation + orientation) * SIZES.posX + posX) * SIZES.posY + posY;
}

/** The pivot image fixed in the MAGANet blog's figures: a heart at scale 0.7. */
export const FIXED_PIVOT: Readonly<{ classes: Readonly<FactorClasses>; index: number }> = (() => {
  const classes = Object.freeze({ shape: 2, scale: 2, orientation: 20, posX: 5, posY: 15 });
  return Object.freeze({ classes, index: indexOf(classes) });
})();

// ---- Geometry ------------------------------------------------------------------------------
// Tuned to look like dSprites: the object centre travels from pixel 12 to pixel 52 as a position
// goes 0 → 1 (x to the right, y downward), so a scale-1 object stays essentially in the frame
// (only the corners of a rotated scale-1 square near an edge are clipped, by about 2 px).
const CENTRE_FIRST = 12;
const CENTRE_TRAVEL = 40;
// One shape unit in pixels at scale 1: the square is 2 units (20 px) wide.
const UNIT_PX = 10;
// The ellipse's semi-axes in units, along its own x and y: elongated 2:1.
const ELLIPSE_SEMI_AXIS_X = 1.1;
const ELLIPSE_SEMI_AXIS_Y = 0.55;
// The heart is the implicit curve (x² + y² − 1)³ − x² y³ ≤ 0, which spans x ∈ [−1.139, 1.139] and
// y ∈ [−1, 1.236] with its tip at (0, −1). Scaled by HEART_SIZE it is about 20 px wide at scale 1;
// shifting y by HEART_MIDDLE puts the middle of its box on the object centre, which is what
// it rotates about.
const HEART_SIZE = 0.9;
const HEART_MIDDLE = 0.118;
// Radii (in units) of circles about the object centre that contain each whole shape: a cheap
// bounding box for every orientation. Generous is harmless, since the inside test is exact.
const BOUNDING_RADIUS: Record<ShapeName, number> = {
  square: Math.SQRT2,
  ellipse: ELLIPSE_SEMI_AXIS_X,
  heart: HEART_SIZE * Math.hypot(1.139, 1.118) + 0.01,
};

// Rendering maps each pixel centre into the shape's own frame (u to its right, v to its top):
// undo the translation, flip y to point up, then undo the rotation (counter-clockwise on screen
// for a growing orientation) and the scale. These per-class factors are all it needs.
const COS = Float64Array.from(ORIENTATIONS, Math.cos);
const SIN = Float64Array.from(ORIENTATIONS, Math.sin);
const CENTRE_PX = Float64Array.from(POSITIONS, (pos) => CENTRE_FIRST + CENTRE_TRAVEL * pos);
const STRIDE = {
  posX: SIZES.posY,
  orientation: SIZES.posY * SIZES.posX,
  scale: SIZES.posY * SIZES.posX * SIZES.orientation,
  shape: SIZES.posY * SIZES.posX * SIZES.orientation * SIZES.scale,
};

/**
 * Renders one image into `into` at `offset` (a fresh array when omitted) and returns `into`.
 * Layout: 64 rows of 64 pixels, row = y from the top; values are 0 or 1.
 */
export function render(index: number): Float32Array<ArrayBuffer>;
export function render<Into extends Float32Array>(index: number, into: Into, offset?: number): Into;
export function render(index: number, into: Float32Array = new Float32Array(IMAGE_PIXELS), offset = 0): Float32Array {
  checkIndex(index);
  if (!Number.isInteger(offset) || offset < 0 || offset + IMAGE_PIXELS > into.length) {
    throw new Error(`dsprites: render offset ${offset} does not leave room for ${IMAGE_PIXELS} pixels in an array of length ${into.length}`);
  }
  into.fill(0, offset, offset + IMAGE_PIXELS);
  paint(index, into, offset);
  return into;
}

/** Renders images side by side: a Float32Array laid out as [n, 1, 64, 64]. */
export function renderBatch(indices: ArrayLike<number>): Float32Array<ArrayBuffer> {
  const images = new Float32Array(indices.length * IMAGE_PIXELS);
  for (let i = 0; i < indices.length; i++) {
    checkIndex(indices[i]);
    paint(indices[i], images, i * IMAGE_PIXELS);
  }
  return images;
}

/** Sets the object's pixels of image `index` to 1 (the rest is left as it is). */
function paint(index: number, into: Float32Array, offset: number): void {
  // factorsOf's decoding, without building objects in the hot path.
  const posY = index % SIZES.posY;
  const posX = Math.floor(index / STRIDE.posX) % SIZES.posX;
  const orientation = Math.floor(index / STRIDE.orientation) % SIZES.orientation;
  const scale = Math.floor(index / STRIDE.scale) % SIZES.scale;
  const shape = Math.floor(index / STRIDE.shape);

  const centreX = CENTRE_PX[posX];
  const centreY = CENTRE_PX[posY];
  const unitPx = SCALES[scale] * UNIT_PX;
  // u = (cos·dx − sin·dy) / unitPx and v = (−sin·dx − cos·dy) / unitPx, with (dx, dy) the
  // pixel centre's offset from the object centre in screen coordinates.
  const cos = COS[orientation] / unitPx;
  const sin = SIN[orientation] / unitPx;

  const radiusPx = BOUNDING_RADIUS[SHAPES[shape]] * unitPx;
  const xFirst = Math.max(0, Math.ceil(centreX - radiusPx - 0.5));
  const xLast = Math.min(IMAGE_SIZE - 1, Math.floor(centreX + radiusPx - 0.5));
  const yFirst = Math.max(0, Math.ceil(centreY - radiusPx - 0.5));
  const yLast = Math.min(IMAGE_SIZE - 1, Math.floor(centreY + radiusPx - 0.5));
  // One loop per shape keeps each inside test inlined in its loop; u and v are computed afresh
  // at every pixel (not accumulated) so that a pixel's value never depends on where its row starts.
  for (let y = yFirst; y <= yLast; y++) {
    const dy = y + 0.5 - centreY;
    const row = offset + y * IMAGE_SIZE;
    if (shape === 0) {
      for (let x = xFirst; x <= xLast; x++) {
        const dx = x + 0.5 - centreX;
        const u = cos * dx - sin * dy;
        const v = -sin * dx - cos * dy;
        if (Math.abs(u) <= 1 && Math.abs(v) <= 1) into[row + x] = 1;
      }
    } else if (shape === 1) {
      for (let x = xFirst; x <= xLast; x++) {
        const dx = x + 0.5 - centreX;
        const u = (cos * dx - sin * dy) / ELLIPSE_SEMI_AXIS_X;
        const v = (-sin * dx - cos * dy) / ELLIPSE_SEMI_AXIS_Y;
        if (u * u + v * v <= 1) into[row + x] = 1;
      }
    } else {
      for (let x = xFirst; x <= xLast; x++) {
        const dx = x + 0.5 - centreX;
        const hx = (cos * dx - sin * dy) / HEART_SIZE;
        const hy = (-sin * dx - cos * dy) / HEART_SIZE + HEART_MIDDLE;
        const r = hx * hx + hy * hy - 1;
        if (r * r * r <= hx * hx * hy * hy * hy) into[row + x] = 1;
      }
    }
  }
}
