// A small deterministic renderer for the 3-D data sets (objects3d.ts): triangle meshes built from
// primitives (boxes, cylinders, cones, frusta, spheres, extruded convex profiles), turned by a
// rotation R about the object's centre, drawn by a z-buffered rasteriser with flat Lambert shading
// under one directional light, into 64×64 RGB images laid out channel-first [3, 64, 64] in [0, 1].
//
// Choices, and why:
//   - Orthographic camera. An object fitted inside the unit ball stays inside the frame, at the same
//     scale, under every R, so a rotation changes only what is seen (self-occlusion, shading) and
//     never the object's size or whether it is clipped; there is no field of view to tune.
//   - The light is fixed to the camera, not to the object: turning the object changes its shading,
//     as turning a real object under a lamp does.
//   - 2×2 supersampling (4 samples per pixel, averaged): edges are anti-aliased, so a vertex moved
//     by rounding changes an edge pixel by a quarter step at most, and the images are smooth enough
//     for a decoder to fit.
//   - Flat shading, one normal per triangle, faced towards the camera (two-sided): primitives need
//     no consistent winding, and the shading depends on nothing but the geometry.
//   - Everything in float64 on the host, one thread, triangles in a fixed order with a strict depth
//     test (the first triangle wins a tie): the same inputs give the same bits on every machine.
import { checkQuaternion, toMatrix, type Matrix3, type Quaternion } from './quaternion.ts';

export type Vec3 = readonly [number, number, number];
export type Rgb = readonly [number, number, number];

/** The side of every image, in pixels. */
export const RENDER_SIZE = 64;
export const RENDER_SHAPE: readonly [number, number, number] = Object.freeze([3, RENDER_SIZE, RENDER_SIZE]) as readonly [number, number, number];
/** Samples per pixel along each axis. */
export const SUPERSAMPLE = 2;
/** The light, towards it, in the camera frame (x right, y up, z towards the viewer): upper left, in front. */
export const LIGHT: Vec3 = normalize([-0.45, 0.65, 0.62]);
/** Lambert: albedo · (AMBIENT + DIFFUSE · max(0, n·l)); the ambient term keeps faces turned away from the light visible. */
export const AMBIENT = 0.3;
export const DIFFUSE = 0.7;
/** fitMesh scales an object into this radius, inside the unit ball that the image spans, so no rotation clips it. */
export const FIT_RADIUS = 0.92;

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/** Triangles: 9 coordinates (three vertices) and one albedo (RGB in [0, 1]) each. */
export interface Mesh {
  readonly triangles: number;
  readonly positions: Float64Array;
  readonly albedo: Float32Array;
}

function checkVec(v: Vec3, what: string): void {
  if (v?.length !== 3 || !v.every(Number.isFinite)) throw new Error(`mesh: ${what} must be 3 finite numbers, got ${JSON.stringify(v)}`);
}
function checkPositive(value: number, what: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`mesh: ${what} must be a positive finite number, got ${value}`);
}
function checkColour(c: Rgb): void {
  if (c?.length !== 3 || !c.every((v) => v >= 0 && v <= 1)) throw new Error(`mesh: a colour must be 3 numbers in [0, 1], got ${JSON.stringify(c)}`);
}

/** Two unit vectors that complete the unit `axis` to a right-handed orthonormal frame (u, v, axis). */
function frameAbout(axis: Vec3): [Vec3, Vec3] {
  const helper: Vec3 = Math.abs(axis[1]) < 0.9 ? [0, 1, 0] : [1, 0, 0];
  const u = normalize(cross(helper, axis));
  return [u, cross(axis, u)];
}

/** Builds a mesh primitive by primitive; each adds closed surfaces of one colour. */
export class MeshBuilder {
  private positions: number[] = [];
  private albedo: number[] = [];

  triangle(a: Vec3, b: Vec3, c: Vec3, colour: Rgb): this {
    this.positions.push(a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]);
    this.albedo.push(colour[0], colour[1], colour[2]);
    return this;
  }

  private quad(a: Vec3, b: Vec3, c: Vec3, d: Vec3, colour: Rgb): void {
    this.triangle(a, b, c, colour).triangle(a, c, d, colour);
  }

  /** A box with this centre and half-extents along the axes (x, y, z). */
  box(centre: Vec3, half: Vec3, colour: Rgb): this {
    checkVec(centre, 'box centre');
    checkVec(half, 'box half-extents');
    half.forEach((h, i) => checkPositive(h, `box half-extent ${i}`));
    checkColour(colour);
    const corner = (sx: number, sy: number, sz: number): Vec3 => [centre[0] + sx * half[0], centre[1] + sy * half[1], centre[2] + sz * half[2]];
    for (const s of [-1, 1]) {
      this.quad(corner(s, -1, -1), corner(s, 1, -1), corner(s, 1, 1), corner(s, -1, 1), colour);
      this.quad(corner(-1, s, -1), corner(1, s, -1), corner(1, s, 1), corner(-1, s, 1), colour);
      this.quad(corner(-1, -1, s), corner(1, -1, s), corner(1, 1, s), corner(-1, 1, s), colour);
    }
    return this;
  }

  /**
   * A capped frustum from `base` along `axis` (any non-zero direction) for `length`, radius
   * `radiusBase` at the base and `radiusTop` at the top (0 makes a cone), `segments` sides.
   */
  frustum(base: Vec3, axis: Vec3, length: number, radiusBase: number, radiusTop: number, colour: Rgb, segments = 14): this {
    checkVec(base, 'frustum base');
    checkVec(axis, 'frustum axis');
    checkPositive(length, 'frustum length');
    checkPositive(radiusBase, 'frustum base radius');
    if (!(radiusTop >= 0) || !Number.isFinite(radiusTop)) throw new Error(`mesh: frustum top radius must be a non-negative finite number, got ${radiusTop}`);
    if (!Number.isInteger(segments) || segments < 3) throw new Error(`mesh: a frustum needs an integer number of segments ≥ 3, got ${segments}`);
    checkColour(colour);
    const w = normalize(axis);
    const [u, v] = frameAbout(w);
    const top: Vec3 = [base[0] + w[0] * length, base[1] + w[1] * length, base[2] + w[2] * length];
    const ring = (centre: Vec3, r: number, k: number): Vec3 => {
      const t = (2 * Math.PI * k) / segments;
      const [c, s] = [Math.cos(t) * r, Math.sin(t) * r];
      return [centre[0] + u[0] * c + v[0] * s, centre[1] + u[1] * c + v[1] * s, centre[2] + u[2] * c + v[2] * s];
    };
    for (let k = 0; k < segments; k++) {
      const [b0, b1] = [ring(base, radiusBase, k), ring(base, radiusBase, k + 1)];
      this.triangle(base, b1, b0, colour);
      if (radiusTop > 0) {
        const [t0, t1] = [ring(top, radiusTop, k), ring(top, radiusTop, k + 1)];
        this.quad(b0, b1, t1, t0, colour);
        this.triangle(top, t0, t1, colour);
      } else {
        this.triangle(b0, b1, top, colour);
      }
    }
    return this;
  }

  cylinder(base: Vec3, axis: Vec3, length: number, radius: number, colour: Rgb, segments = 14): this {
    return this.frustum(base, axis, length, radius, radius, colour, segments);
  }

  cone(base: Vec3, axis: Vec3, length: number, radius: number, colour: Rgb, segments = 14): this {
    return this.frustum(base, axis, length, radius, 0, colour, segments);
  }

  /** An ellipsoid (a sphere when the three radii agree), `rings` × `segments` facets. */
  sphere(centre: Vec3, radii: Vec3, colour: Rgb, rings = 8, segments = 14): this {
    checkVec(centre, 'sphere centre');
    checkVec(radii, 'sphere radii');
    radii.forEach((r, i) => checkPositive(r, `sphere radius ${i}`));
    if (!Number.isInteger(rings) || rings < 2 || !Number.isInteger(segments) || segments < 3) throw new Error(`mesh: a sphere needs integer rings ≥ 2 and segments ≥ 3, got ${rings} and ${segments}`);
    checkColour(colour);
    const point = (i: number, k: number): Vec3 => {
      const polar = (Math.PI * i) / rings;
      const azimuth = (2 * Math.PI * k) / segments;
      return [
        centre[0] + radii[0] * Math.sin(polar) * Math.cos(azimuth),
        centre[1] + radii[1] * Math.cos(polar),
        centre[2] + radii[2] * Math.sin(polar) * Math.sin(azimuth),
      ];
    };
    for (let i = 0; i < rings; i++) {
      for (let k = 0; k < segments; k++) {
        const [a, b, c, d] = [point(i, k), point(i + 1, k), point(i + 1, k + 1), point(i, k + 1)];
        if (i === 0) this.triangle(a, b, c, colour);
        else if (i === rings - 1) this.triangle(a, b, d, colour);
        else this.quad(a, b, c, d, colour);
      }
    }
    return this;
  }

  /**
   * A convex polygon `profile` (points (s, t), counter-clockwise or clockwise) in the plane through
   * `centre` spanned by the unit directions `u` and `v`, extruded by `depth` across that plane
   * (half on each side), with both caps. Convex only: the caps are triangle fans.
   */
  extrusion(centre: Vec3, u: Vec3, v: Vec3, profile: readonly (readonly [number, number])[], depth: number, colour: Rgb): this {
    checkVec(centre, 'extrusion centre');
    checkVec(u, 'extrusion u');
    checkVec(v, 'extrusion v');
    checkPositive(depth, 'extrusion depth');
    checkColour(colour);
    if (profile.length < 3 || !profile.every((p) => p.length === 2 && p.every(Number.isFinite))) throw new Error(`mesh: an extrusion's profile needs at least 3 finite points (s, t), got ${JSON.stringify(profile)}`);
    const turn = (i: number): number => {
      const [a, b, c] = [profile[i], profile[(i + 1) % profile.length], profile[(i + 2) % profile.length]];
      return (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]);
    };
    const turns = profile.map((_, i) => turn(i));
    if (!(turns.every((t) => t > 0) || turns.every((t) => t < 0))) throw new Error(`mesh: an extrusion's profile must be a strictly convex polygon, got ${JSON.stringify(profile)}`);
    const w = normalize(cross(u, v));
    const at = (p: readonly [number, number], side: number): Vec3 => [
      centre[0] + u[0] * p[0] + v[0] * p[1] + w[0] * side * depth * 0.5,
      centre[1] + u[1] * p[0] + v[1] * p[1] + w[1] * side * depth * 0.5,
      centre[2] + u[2] * p[0] + v[2] * p[1] + w[2] * side * depth * 0.5,
    ];
    for (let i = 0; i < profile.length; i++) {
      const [p, q] = [profile[i], profile[(i + 1) % profile.length]];
      this.quad(at(p, -1), at(q, -1), at(q, 1), at(p, 1), colour);
      if (i >= 1 && i < profile.length - 1) {
        this.triangle(at(profile[0], -1), at(p, -1), at(q, -1), colour);
        this.triangle(at(profile[0], 1), at(p, 1), at(q, 1), colour);
      }
    }
    return this;
  }

  build(): Mesh {
    if (this.albedo.length === 0) throw new Error('mesh: no primitives were added');
    return { triangles: this.albedo.length / 3, positions: Float64Array.from(this.positions), albedo: Float32Array.from(this.albedo) };
  }
}

/**
 * The mesh moved and scaled so that its bounding box's centre is the origin and its farthest vertex
 * lies at FIT_RADIUS: the rotation turns the object about that centre and never leaves the frame.
 */
export function fitMesh(mesh: Mesh, radius = FIT_RADIUS): Mesh {
  const p = mesh.positions;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.length; i++) {
    lo[i % 3] = Math.min(lo[i % 3], p[i]);
    hi[i % 3] = Math.max(hi[i % 3], p[i]);
  }
  const centre = lo.map((l, a) => (l + hi[a]) / 2);
  let farthest = 0;
  for (let i = 0; i < p.length; i += 3) farthest = Math.max(farthest, Math.hypot(p[i] - centre[0], p[i + 1] - centre[1], p[i + 2] - centre[2]));
  if (!(farthest > 0)) throw new Error('fitMesh: the mesh has no extent');
  const scale = radius / farthest;
  const positions = p.map((v, i) => (v - centre[i % 3]) * scale);
  return { triangles: mesh.triangles, positions, albedo: mesh.albedo };
}

/** The mesh with every vertex rotated by the matrix `m` (row-major) about the origin. */
export function rotateMesh(mesh: Mesh, m: Matrix3): Mesh {
  const p = mesh.positions;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const [x, y, z] = [p[i], p[i + 1], p[i + 2]];
    out[i] = m[0] * x + m[1] * y + m[2] * z;
    out[i + 1] = m[3] * x + m[4] * y + m[5] * z;
    out[i + 2] = m[6] * x + m[7] * y + m[8] * z;
  }
  return { triangles: mesh.triangles, positions: out, albedo: mesh.albedo };
}

export interface RenderOptions {
  /** The object's rotation R as a quaternion (default: none). Applied about the origin, before the camera. */
  rotation?: Quaternion;
  /** The camera's rotation from world to camera frame (default: none: the camera looks along −z, y up). */
  camera?: Matrix3;
  /** A background colour, or a whole [3, 64, 64] background image (default white). */
  background?: Rgb | Float32Array;
  /** Where to write the image (default: a new [3, 64, 64] array) and at which offset. */
  into?: Float32Array;
  offset?: number;
  /** If given, receives each pixel's coverage: the fraction of its samples the object hides, [64·64]. */
  coverage?: Float32Array;
}

const GRID = RENDER_SIZE * SUPERSAMPLE;
const PIXELS = RENDER_SIZE * RENDER_SIZE;

/** Reusable buffers: one renderer per thread renders any number of images without allocating. */
export class Renderer {
  private readonly depth = new Float64Array(GRID * GRID);
  private readonly owner = new Int32Array(GRID * GRID);
  private screen = new Float64Array(0);
  private shade = new Float32Array(0);

  /** Renders `mesh` (fitted inside the unit ball) under `options`; returns the image array. */
  render(mesh: Mesh, options: RenderOptions = {}): Float32Array {
    const into = options.into ?? new Float32Array(3 * PIXELS);
    const offset = options.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset + 3 * PIXELS > into.length) throw new Error(`render: an image of ${3 * PIXELS} values does not fit at offset ${offset} of an array of ${into.length}`);
    const background = options.background ?? [1, 1, 1];
    if (background instanceof Float32Array) {
      if (background.length !== 3 * PIXELS) throw new Error(`render: a background image must be [3, ${RENDER_SIZE}, ${RENDER_SIZE}] (${3 * PIXELS} values), got ${background.length}`);
    } else checkColour(background);
    if (options.coverage && options.coverage.length !== PIXELS) throw new Error(`render: coverage must hold ${PIXELS} values, got ${options.coverage.length}`);

    // The whole transform, world rotation then camera: M = C·R.
    const r = options.rotation ? toMatrix(checkQuaternion(options.rotation, 'render: rotation')) : Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const c = options.camera ?? Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const m = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[3 * i + j] = c[3 * i] * r[j] + c[3 * i + 1] * r[3 + j] + c[3 * i + 2] * r[6 + j];
    this.project(mesh, m);
    this.rasterise(mesh.triangles);
    this.resolve(background, into, offset, options.coverage);
    return into;
  }

  /** Vertices to sample-grid coordinates (x right, y down, depth towards the viewer) and each triangle's shade. */
  private project(mesh: Mesh, m: Matrix3): void {
    const n = mesh.triangles;
    if (this.screen.length < 9 * n) {
      this.screen = new Float64Array(9 * n);
      this.shade = new Float32Array(3 * n);
    }
    const p = mesh.positions;
    const s = this.screen;
    const half = GRID / 2;
    for (let i = 0; i < 9 * n; i += 3) {
      const x = p[i];
      const y = p[i + 1];
      const z = p[i + 2];
      const cx = m[0] * x + m[1] * y + m[2] * z;
      const cy = m[3] * x + m[4] * y + m[5] * z;
      const cz = m[6] * x + m[7] * y + m[8] * z;
      // Orthographic: the square [−1, 1]² of the camera plane fills the image.
      s[i] = (cx + 1) * half;
      s[i + 1] = (1 - cy) * half;
      s[i + 2] = cz;
    }
    for (let t = 0; t < n; t++) {
      // The normal from screen coordinates (x, −y, z): the camera-frame geometry, scaled in x and y alike.
      const o = 9 * t;
      const e1: Vec3 = [s[o + 3] - s[o], -(s[o + 4] - s[o + 1]), (s[o + 5] - s[o + 2]) * half];
      const e2: Vec3 = [s[o + 6] - s[o], -(s[o + 7] - s[o + 1]), (s[o + 8] - s[o + 2]) * half];
      const nrm = cross(e1, e2);
      const length = Math.hypot(nrm[0], nrm[1], nrm[2]);
      let lambert = 0;
      if (length > 0) {
        const facing = nrm[2] < 0 ? -1 : 1; // two-sided: the side the camera sees
        lambert = Math.max(0, (facing * (nrm[0] * LIGHT[0] + nrm[1] * LIGHT[1] + nrm[2] * LIGHT[2])) / length);
      }
      const k = AMBIENT + DIFFUSE * lambert;
      for (let ch = 0; ch < 3; ch++) this.shade[3 * t + ch] = Math.min(1, mesh.albedo[3 * t + ch] * k);
    }
  }

  /** Edge functions over each triangle's bounding box of samples, a strict depth test (nearer = larger z). */
  private rasterise(triangles: number): void {
    const { depth, owner } = this;
    depth.fill(-Infinity);
    owner.fill(-1);
    const s = this.screen;
    for (let t = 0; t < triangles; t++) {
      const o = 9 * t;
      const x0 = s[o], y0 = s[o + 1], z0 = s[o + 2];
      const x1 = s[o + 3], y1 = s[o + 4], z1 = s[o + 5];
      const x2 = s[o + 6], y2 = s[o + 7], z2 = s[o + 8];
      const area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
      if (!(Math.abs(area) > 1e-12)) continue; // seen edge-on: covers no sample
      const sign = area > 0 ? 1 : -1;
      const inverseArea = 1 / Math.abs(area);
      const left = Math.max(0, Math.ceil(Math.min(x0, x1, x2) - 0.5));
      const right = Math.min(GRID - 1, Math.floor(Math.max(x0, x1, x2) - 0.5));
      const top = Math.max(0, Math.ceil(Math.min(y0, y1, y2) - 0.5));
      const bottom = Math.min(GRID - 1, Math.floor(Math.max(y0, y1, y2) - 0.5));
      // Each edge function is affine in the sample position: a·x + b·y + c, stepped along a row.
      const a0 = -sign * (y2 - y1), b0 = sign * (x2 - x1), c0 = -(a0 * x1 + b0 * y1);
      const a1 = -sign * (y0 - y2), b1 = sign * (x0 - x2), c1 = -(a1 * x2 + b1 * y2);
      const a2 = -sign * (y1 - y0), b2 = sign * (x1 - x0), c2 = -(a2 * x0 + b2 * y0);
      for (let row = top; row <= bottom; row++) {
        const py = row + 0.5;
        // The columns where each edge can be ≥ 0, widened by one against rounding: the per-sample
        // test below still decides, so this only skips samples the test would reject.
        const r0 = b0 * py + c0, r1 = b1 * py + c1, r2 = b2 * py + c2;
        if ((a0 === 0 && r0 < 0) || (a1 === 0 && r1 < 0) || (a2 === 0 && r2 < 0)) continue;
        let first = left, last = right;
        if (a0 > 0) first = Math.max(first, Math.ceil(-r0 / a0 - 0.5) - 1);
        else if (a0 < 0) last = Math.min(last, Math.floor(-r0 / a0 - 0.5) + 1);
        if (a1 > 0) first = Math.max(first, Math.ceil(-r1 / a1 - 0.5) - 1);
        else if (a1 < 0) last = Math.min(last, Math.floor(-r1 / a1 - 0.5) + 1);
        if (a2 > 0) first = Math.max(first, Math.ceil(-r2 / a2 - 0.5) - 1);
        else if (a2 < 0) last = Math.min(last, Math.floor(-r2 / a2 - 0.5) + 1);
        for (let col = first; col <= last; col++) {
          const px = col + 0.5;
          const w0 = a0 * px + b0 * py + c0;
          const w1 = a1 * px + b1 * py + c1;
          const w2 = a2 * px + b2 * py + c2;
          if (w0 < 0 || w1 < 0 || w2 < 0) continue;
          const z = (w0 * z0 + w1 * z1 + w2 * z2) * inverseArea;
          const at = row * GRID + col;
          if (z > depth[at]) {
            depth[at] = z;
            owner[at] = t;
          }
        }
      }
    }
  }

  /** Averages each pixel's samples: a triangle's shade, or the background. */
  private resolve(background: Rgb | Float32Array, into: Float32Array, offset: number, coverage: Float32Array | undefined): void {
    const { owner, shade } = this;
    const image = background instanceof Float32Array ? background : undefined;
    const flat = image ? [0, 0, 0] : (background as Rgb);
    const weight = 1 / (SUPERSAMPLE * SUPERSAMPLE);
    for (let row = 0; row < RENDER_SIZE; row++) {
      for (let col = 0; col < RENDER_SIZE; col++) {
        const pixel = row * RENDER_SIZE + col;
        let r = 0, g = 0, b = 0, covered = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            const t = owner[(row * SUPERSAMPLE + sy) * GRID + col * SUPERSAMPLE + sx];
            if (t < 0) continue;
            r += shade[3 * t];
            g += shade[3 * t + 1];
            b += shade[3 * t + 2];
            covered++;
          }
        }
        const free = (SUPERSAMPLE * SUPERSAMPLE - covered) * weight;
        const br = image ? image[pixel] : flat[0];
        const bg = image ? image[PIXELS + pixel] : flat[1];
        const bb = image ? image[2 * PIXELS + pixel] : flat[2];
        // An uncovered pixel is the background's value itself, bit for bit (no arithmetic on it).
        into[offset + pixel] = covered === 0 ? br : r * weight + br * free;
        into[offset + PIXELS + pixel] = covered === 0 ? bg : g * weight + bg * free;
        into[offset + 2 * PIXELS + pixel] = covered === 0 ? bb : b * weight + bb * free;
        if (coverage) coverage[pixel] = covered * weight;
      }
    }
  }
}

/** Renders one image with a fresh renderer (tests, one-offs; batches should reuse a Renderer). */
export function renderMesh(mesh: Mesh, options: RenderOptions = {}): Float32Array {
  return new Renderer().render(mesh, options);
}
