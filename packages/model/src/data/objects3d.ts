// The 3-D pair data sets (issue 12): rendered objects turned by a known rotation R, so a model sees
// pairs (x, R·x) of 3×64×64 colour images with R given, and the rotation acts on the object in space,
// never on the pixels directly (self-occlusion, shading that follows the geometry).
//   - objects3d: procedural chair-, table-, car-, plane- and lamp-like objects, compositions of
//     primitives with random proportions and colours, on a white background. The class is
//     index mod 5; everything else follows from the index.
//   - planes-sky: a procedural airplane over a procedural sky (gradient, sun, clouds). The sky is
//     the same in x and R·x: the action is on the plane, not on the image.
// Groups: 'so3', rotations uniform on SO(3) (x's pose too), or 'so2', rotations about the vertical
// axis of an upright object, as the NMR renders of ShapeNet vary the azimuth: a group of plane
// rotations (Group.planeAngle) turns the object about the vertical axis, SO(3) by its own rotations.
// Every pair follows from (seed, epoch, position) or from its spec alone, like groupdata.ts's; the
// outline (split, sampler, evaluation set, batches, the API's grid) is pair-set.ts's.
import { threefry2x32 } from '@maga/tensor';
import { wrapAngle, type Group, type Uniforms } from '../groups/group.ts';
import { groupFromLabel, kindOfLabel } from '../groups/registry.ts';
import type { DatasetEntry, PairData } from './entry.ts';
import { pairEntry, PAIR_PRESETS, presetsWith } from './pair-entry.ts';
import { PairDataset, type FactorInfo, type ImageGridScheme, type PairGridExtras, type PairBatch, type PairStreams } from './pair-set.ts';
import {
  aboutVertical,
  checkQuaternion,
  IDENTITY_QUATERNION,
  multiply,
  randomRotation,
  roundToFloat32,
  toEuler,
  canonical,
  type Quaternion,
} from './quaternion.ts';
import { UniformStream } from './random.ts';
import { fitMesh, MeshBuilder, RENDER_SHAPE, RENDER_SIZE, Renderer, type Mesh, type Rgb, type Vec3 } from './render3d.ts';

export type Objects3dName = 'objects3d' | 'planes-sky';

export const OBJECT_CLASSES = Object.freeze(['chair', 'table', 'car', 'plane', 'lamp'] as const);
export type ObjectClass = (typeof OBJECT_CLASSES)[number];

/** Objects (or plane-and-sky scenes) per data set; the last OBJECTS3D_TEST_COUNT of a seeded permutation are the test part. */
export const OBJECTS3D_COUNT = 10_000;
export const OBJECTS3D_TEST_COUNT = 1_000;

export const OBJECTS3D_IMAGE_SHAPE = RENDER_SHAPE;
const IMAGE_VALUES = 3 * RENDER_SIZE * RENDER_SIZE;

/** The kinds of group the 3-D sets take, in the order messages list them. */
const OBJECTS3D_GROUPS = ['so3', 'so2'] as const;
export const OBJECTS3D_NAMES: readonly Objects3dName[] = Object.freeze(['objects3d', 'planes-sky'] as const);

export function parseObjects3d(name: string): Objects3dName {
  if (!(OBJECTS3D_NAMES as readonly string[]).includes(name)) throw new Error(`unknown 3-D data set '${name}': expected one of ${OBJECTS3D_NAMES.join(', ')}`);
  return name as Objects3dName;
}

/** A label of a group the 3-D sets take ('so3' or 'so2'), as its Group; throws naming the value and what is accepted. */
export function parseRotationGroup(text: string): Group {
  const kind = kindOfLabel(text);
  if (!kind || !(OBJECTS3D_GROUPS as readonly string[]).includes(kind.kind)) {
    throw new Error(`unknown rotation group '${text}': expected 'so3' (any rotation in space) or 'so2' (about the vertical axis)`);
  }
  return groupFromLabel(text);
}

/**
 * The camera: orthographic (render3d.ts says why), looking at the object from CAMERA_ELEVATION
 * above the horizontal, so an upright object under the SO(2) variant shows its top, as the NMR
 * views at 30° elevation do.
 */
export const CAMERA_ELEVATION = (25 * Math.PI) / 180;
const CAMERA = (() => {
  const [c, s] = [Math.cos(CAMERA_ELEVATION), Math.sin(CAMERA_ELEVATION)];
  return Float64Array.of(1, 0, 0, 0, c, -s, 0, s, c); // R_x(+elevation): the top tips towards the viewer
})();

// ---- Procedural objects ----------------------------------------------------------------------

const OBJECT_KEY = 0x6f626a33; // "obj3"
const SKY_KEY = 0x736b7931; // "sky1"

/** RGB of hue (turns), saturation and value. */
function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

const randomColour = (r: UniformStream, saturation: [number, number] = [0.45, 0.9], value: [number, number] = [0.5, 0.9]): Rgb =>
  hsv(r.next(), r.between(...saturation), r.between(...value));
const DARK: Rgb = [0.12, 0.12, 0.14];

// Each builder works in its own units, y up, front towards +z (wings along ±z, noses along +x);
// fitMesh then centres and scales the whole object.

function chair(m: MeshBuilder, r: UniformStream): void {
  const [frame, cushion] = [randomColour(r), randomColour(r)];
  const [w, d] = [r.between(0.8, 1.2), r.between(0.8, 1.2)];
  const [height, thick] = [r.between(0.8, 1.1), r.between(0.08, 0.15)];
  const leg = r.between(0.04, 0.08);
  m.box([0, height, 0], [w / 2, thick / 2, d / 2], cushion);
  const round = r.next() < 0.5;
  for (const sx of [-1, 1]) {
    for (const sz of [-1, 1]) {
      const [x, z] = [sx * (w / 2 - leg), sz * (d / 2 - leg)];
      if (round) m.cylinder([x, 0, z], [0, 1, 0], height - thick / 2, leg, frame, 8);
      else m.box([x, (height - thick / 2) / 2, z], [leg, (height - thick / 2) / 2, leg], frame);
    }
  }
  const back = r.between(0.6, 1.2);
  const tilt = r.between(0, 0.25);
  // The backrest as an extruded slab leaning back by `tilt` (a convex quadrilateral in the y-z plane).
  const top = height + thick / 2 + back;
  const z0 = -d / 2 + 0.04;
  m.extrusion([0, 0, 0], [0, 0, 1], [0, 1, 0], [[z0, height], [z0 + 0.08, height], [z0 + 0.08 - tilt * back, top], [z0 - tilt * back, top]], w, frame);
  if (r.next() < 0.4) {
    for (const sx of [-1, 1]) m.box([sx * (w / 2 - 0.03), height + 0.2, 0], [0.04, 0.03, d / 2 - 0.05], frame);
    for (const sx of [-1, 1]) m.box([sx * (w / 2 - 0.03), height + 0.1, d / 2 - 0.08], [0.03, 0.1, 0.03], frame);
  }
}

function table(m: MeshBuilder, r: UniformStream): void {
  const [wood, legs] = [randomColour(r, [0.3, 0.8]), randomColour(r)];
  const height = r.between(0.7, 1.0);
  const thick = r.between(0.06, 0.12);
  const roundTop = r.next() < 0.3;
  const pedestal = r.next() < 0.3;
  const [w, d] = roundTop ? [r.between(1.0, 1.6), 0] : [r.between(1.2, 2.0), r.between(0.7, 1.2)];
  if (roundTop) m.cylinder([0, height - thick, 0], [0, 1, 0], thick, w / 2, wood, 20);
  else m.box([0, height - thick / 2, 0], [w / 2, thick / 2, d / 2], wood);
  if (pedestal) {
    m.cylinder([0, 0, 0], [0, 1, 0], 0.05, r.between(0.3, 0.45), legs, 16);
    m.cylinder([0, 0.05, 0], [0, 1, 0], height - thick - 0.05, r.between(0.05, 0.1), legs, 10);
    return;
  }
  const leg = r.between(0.04, 0.09);
  const [hx, hz] = roundTop ? [(w / 2) * 0.6, (w / 2) * 0.6] : [w / 2 - leg - 0.05, d / 2 - leg - 0.05];
  for (const sx of [-1, 1]) for (const sz of [-1, 1]) m.box([sx * hx, (height - thick) / 2, sz * hz], [leg, (height - thick) / 2, leg], legs);
}

function car(m: MeshBuilder, r: UniformStream): void {
  const [paint, glass] = [randomColour(r), hsv(0.58, 0.25, r.between(0.3, 0.5))];
  const [length, width] = [r.between(1.6, 2.4), r.between(0.8, 1.0)];
  const [body, wheel] = [r.between(0.3, 0.45), r.between(0.18, 0.26)];
  m.box([0, wheel + body / 2, 0], [length / 2, body / 2, width / 2], paint);
  // The cabin: a trapezoid in the x-y plane, extruded across the car, a little narrower than the body.
  const [cabin, roof] = [r.between(0.45, 0.65) * length, r.between(0.25, 0.4)];
  const shift = r.between(-0.15, 0.1) * length;
  const base = wheel + body;
  const slope = r.between(0.12, 0.3) * cabin;
  m.extrusion([shift, 0, 0], [1, 0, 0], [0, 1, 0], [[-cabin / 2, base], [cabin / 2, base], [cabin / 2 - slope, base + roof], [-cabin / 2 + slope * 0.6, base + roof]], width * 0.86, glass);
  for (const sx of [-1, 1]) {
    for (const sz of [-1, 1]) {
      m.cylinder([sx * length * 0.32, wheel, sz * (width / 2 + 0.06)], [0, 0, -sz], 0.14, wheel, DARK, 12);
    }
  }
}

function plane(m: MeshBuilder, r: UniformStream): void {
  const [hull, trim] = [randomColour(r, [0.0, 0.5], [0.7, 0.95]), randomColour(r)];
  const [length, radius] = [r.between(2.0, 3.0), r.between(0.12, 0.2)];
  const nose = r.between(0.25, 0.5);
  const tail = r.between(0.5, 0.9);
  const body = length - nose - tail;
  // Along +x: tail cone, fuselage, nose cone.
  m.frustum([-body / 2, 0, 0], [-1, 0, 0], tail, radius, radius * 0.3, hull, 12);
  m.cylinder([-body / 2, 0, 0], [1, 0, 0], body, radius, hull, 12);
  m.cone([body / 2, 0, 0], [1, 0, 0], nose, radius, trim, 12);
  // Wings: a swept trapezoid in the x-z plane (s along the span, t along x), thin in y.
  const span = r.between(1.6, 2.6);
  const [root, tip] = [r.between(0.4, 0.7), r.between(0.15, 0.3)];
  const sweep = r.between(0.0, 0.5);
  const wingX = r.between(-0.15, 0.15) * body;
  for (const side of [-1, 1]) {
    const s = side * (span / 2);
    const profile: [number, number][] = [[0, root / 2], [0, -root / 2], [s, -sweep - tip / 2], [s, -sweep + tip / 2]];
    m.extrusion([wingX, -radius * 0.3, 0], [0, 0, 1], [1, 0, 0], side < 0 ? profile : profile.slice().reverse(), 0.05, hull);
    if (r.next() < 0.5) m.cylinder([wingX + root / 2 - 0.1 - sweep * 0.4, -radius * 0.9, side * span * 0.22], [-1, 0, 0], r.between(0.3, 0.5), r.between(0.06, 0.1), trim, 10);
  }
  // Tail: horizontal stabilisers and a fin.
  const [stab, fin] = [r.between(0.5, 0.9), r.between(0.3, 0.55)];
  const tailX = -body / 2 - tail * 0.7;
  for (const side of [-1, 1]) {
    const s = side * (stab / 2);
    const profile: [number, number][] = [[0, 0.18], [0, -0.12], [s, -0.2], [s, 0.02]];
    m.extrusion([tailX, 0, 0], [0, 0, 1], [1, 0, 0], side < 0 ? profile : profile.slice().reverse(), 0.04, hull);
  }
  m.extrusion([tailX, 0, 0], [1, 0, 0], [0, 1, 0], [[-0.15, 0], [0.25, 0], [-0.05, fin], [-0.22, fin]], 0.05, trim);
}

function lamp(m: MeshBuilder, r: UniformStream): void {
  const [metal, shade] = [randomColour(r, [0.0, 0.4], [0.3, 0.8]), randomColour(r)];
  const baseRadius = r.between(0.3, 0.5);
  const baseHeight = r.between(0.05, 0.1);
  m.cylinder([0, 0, 0], [0, 1, 0], baseHeight, baseRadius, metal, 16);
  const stem = r.between(1.0, 1.8);
  const thin = r.between(0.03, 0.05);
  let top: Vec3 = [0, baseHeight + stem, 0];
  m.cylinder([0, baseHeight, 0], [0, 1, 0], stem, thin, metal, 8);
  if (r.next() < 0.5) {
    // A bent arm reaching forward and over.
    const arm = r.between(0.4, 0.8);
    const angle = r.between(0.3, 1.1);
    const direction: Vec3 = [Math.sin(angle), Math.cos(angle), 0];
    m.cylinder(top, direction, arm, thin, metal, 8);
    m.sphere(top, [thin * 1.6, thin * 1.6, thin * 1.6], metal, 4, 8);
    top = [top[0] + direction[0] * arm, top[1] + direction[1] * arm, 0];
  }
  const [bottom, upper, height] = [r.between(0.3, 0.5), r.between(0.1, 0.25), r.between(0.3, 0.5)];
  m.frustum([top[0], top[1] - height * 0.6, top[2]], [0, 1, 0], height, bottom, upper, shade, 18);
  if (r.next() < 0.5) m.sphere([top[0], top[1] - height * 0.6 - 0.02, top[2]], [0.1, 0.1, 0.1], [1, 0.95, 0.75], 5, 10);
}

const BUILDERS: Readonly<Record<ObjectClass, (m: MeshBuilder, r: UniformStream) => void>> = { chair, table, car, plane, lamp };

/** The class of object `index` in a data set: index mod 5 in objects3d, always a plane in planes-sky. */
export function objectClass(name: Objects3dName, index: number): ObjectClass {
  return name === 'planes-sky' ? 'plane' : OBJECT_CLASSES[index % OBJECT_CLASSES.length];
}

/** Object `index` of a data set as a fitted mesh (centred, inside the unit ball), from the index alone. */
export function objectMesh(name: Objects3dName, index: number): Mesh {
  const m = new MeshBuilder();
  // planes-sky's planes are drawn from their own stream, so they are not objects3d's planes.
  BUILDERS[objectClass(name, index)](m, new UniformStream(OBJECT_KEY ^ (name === 'planes-sky' ? 1 : 0), index));
  return fitMesh(m.build());
}

// ---- Procedural sky --------------------------------------------------------------------------

const SKY_PIXELS = RENDER_SIZE * RENDER_SIZE;

/** Smooth value noise on a `cells`×`cells` lattice drawn from (index, octave), at (u, v) ∈ [0, 1]². */
function valueNoise(index: number, octave: number, cells: number): (u: number, v: number) => number {
  const side = cells + 1;
  const lattice = new Float64Array(side * side);
  const stream = new UniformStream(SKY_KEY, index, 1_000_000 * (octave + 1));
  for (let i = 0; i < lattice.length; i++) lattice[i] = stream.next();
  const smooth = (t: number) => t * t * (3 - 2 * t);
  return (u, v) => {
    const x = u * cells;
    const y = v * cells;
    const i = Math.min(cells - 1, Math.floor(x));
    const j = Math.min(cells - 1, Math.floor(y));
    const fx = smooth(x - i);
    const fy = smooth(y - j);
    const o = j * side + i;
    return (lattice[o] * (1 - fx) + lattice[o + 1] * fx) * (1 - fy) + (lattice[o + side] * (1 - fx) + lattice[o + side + 1] * fx) * fy;
  };
}

/**
 * The sky of scene `index`, [3, 64, 64]: a vertical gradient from a pale horizon to a blue zenith,
 * a sun with a glow, and clouds from three octaves of value noise over a threshold. It does not
 * depend on any rotation.
 */
export function skyImage(index: number, into: Float32Array = new Float32Array(IMAGE_VALUES)): Float32Array {
  const r = new UniformStream(SKY_KEY, index);
  const zenith = hsv(r.between(0.55, 0.64), r.between(0.45, 0.8), r.between(0.55, 0.85));
  // A pale horizon, warm (dawn, dusk) or blue-white (midday), never green.
  const horizon = hsv(r.next() < 0.4 ? r.between(0.02, 0.12) : r.between(0.5, 0.62), r.between(0.05, 0.3), r.between(0.88, 1.0));
  const [sunX, sunY] = [r.between(0.1, 0.9), r.between(0.08, 0.45)];
  const sunRadius = r.between(0.04, 0.07);
  const glow = r.between(0.15, 0.3);
  const cover = r.between(0.35, 0.7); // the noise level above which a cloud forms
  const cloudShade = r.between(0.8, 1.0);
  const octaves = [valueNoise(index, 0, 4), valueNoise(index, 1, 8), valueNoise(index, 2, 16)];
  const sunColour = [1, 0.95, 0.8];
  const colour = [0, 0, 0];
  for (let row = 0; row < RENDER_SIZE; row++) {
    const v = (row + 0.5) / RENDER_SIZE;
    const height = Math.pow(1 - v, 0.8); // 1 at the top, 0 at the bottom
    for (let col = 0; col < RENDER_SIZE; col++) {
      const u = (col + 0.5) / RENDER_SIZE;
      const distance = Math.hypot(u - sunX, v - sunY);
      const sun = distance < sunRadius ? 1 : Math.exp(-(distance - sunRadius) / (glow * 0.3)) * 0.6;
      const noise = 0.55 * octaves[0](u, v) + 0.3 * octaves[1](u, v) + 0.15 * octaves[2](u, v);
      const cloud = 0.9 * Math.max(0, Math.min(1, (noise - cover) / 0.15));
      const pixel = row * RENDER_SIZE + col;
      for (let c = 0; c < 3; c++) {
        colour[c] = horizon[c] + (zenith[c] - horizon[c]) * height;
        colour[c] += (sunColour[c] - colour[c]) * sun;
        colour[c] += (cloudShade - colour[c]) * cloud;
        into[c * SKY_PIXELS + pixel] = Math.max(0, Math.min(1, colour[c]));
      }
    }
  }
  return into;
}

// ---- Factors ---------------------------------------------------------------------------------

export type Objects3dFactorName = 'class' | 'object' | 'qw' | 'qx' | 'qy' | 'qz' | 'yaw' | 'pitch' | 'roll';
export type Objects3dFactorInfo = FactorInfo<Objects3dFactorName>;

/** Every image's factors: its class, its object and its pose (the rotation from the upright object) as a quaternion and as Euler angles. */
export const OBJECTS3D_FACTORS: readonly Objects3dFactorInfo[] = Object.freeze([
  { name: 'class', kind: 'class', description: 'the object class', classes: OBJECT_CLASSES },
  { name: 'object', kind: 'id', description: `the object's index, 0–${OBJECTS3D_COUNT - 1}` },
  { name: 'qw', kind: 'quaternion', description: "the pose's unit quaternion, w (≥ 0)" },
  { name: 'qx', kind: 'quaternion', description: "the pose's unit quaternion, x" },
  { name: 'qy', kind: 'quaternion', description: "the pose's unit quaternion, y (the vertical axis)" },
  { name: 'qz', kind: 'quaternion', description: "the pose's unit quaternion, z" },
  { name: 'yaw', kind: 'angle', description: 'the pose as R_y(yaw)·R_x(pitch)·R_z(roll): yaw about the vertical axis, radians in (−π, π]' },
  { name: 'pitch', kind: 'angle', description: 'pitch about x, radians in [−π/2, π/2]' },
  { name: 'roll', kind: 'angle', description: 'roll about z, radians in (−π, π]' },
] as Objects3dFactorInfo[]);

export type Objects3dFactorColumns = Record<Objects3dFactorName, Float64Array>;
export type Objects3dFactorValues = Record<Objects3dFactorName, number>;

// ---- Pairs -----------------------------------------------------------------------------------

/** One pair: an object, x's pose (from upright) and the rotation g; g·x has the pose g·base. */
export interface RotationPairSpec {
  source: number;
  base: Quaternion;
  g: Quaternion;
}

/** B pairs (x, g·x) of [B, 3, 64, 64] images; g: so3 the rotations as unit quaternions (w, x, y, z), [B, 4]; so2 the angles about the vertical axis in radians, [B]. */
export type RotationPairBatch = PairBatch<RotationPairSpec, Objects3dFactorColumns>;

const TWO_PI = 2 * Math.PI;

/** The angle about the vertical axis of a rotation about it, in [0, 2π), float32. */
export function verticalAngle(q: Quaternion): number {
  if (Math.abs(q[1]) > 1e-6 || Math.abs(q[3]) > 1e-6) throw new Error(`verticalAngle: (${q.join(', ')}) is not a rotation about the vertical axis`);
  return wrapAngle(2 * Math.atan2(q[2], q[0]));
}

// The streams' key words ("r33p", "ev3d"): 8 counters reserved per pair (a uniform pose takes 3).
const STREAMS: PairStreams = { pairs: { key: 0x72333370, drawsPerPair: 8 }, evaluation: { key: 0x65763364, drawsPerPair: 8 }, who: '3-D pair sampler', sources: 'objects' };

// ---- The API's grid of images ------------------------------------------------------------------
// index = object·360 + view:
//   - a group of plane rotations (so2: turns about the vertical axis): view k is the upright object
//     turned by k degrees about the vertical axis, as the MNIST sets' k is the digit turned by k°;
//   - so3 (any rotation): view 0 is the upright object; view k ≥ 1 is the k-th of a fixed list of 359
//     rotations drawn uniformly on SO(3) (Shoemake's method on a Threefry stream keyed by k alone),
//     the same list for every object, so a view number means one pose across objects.
// 360 views either way: one scheme to read, fine enough to pick a pose by the degree (so2), and for
// so3 a sample of poses as training draws them (uniform) rather than a grid that favours its poles.

/** Poses per object in the image grid. */
export const VIEWS = 360;

const VIEW_KEY = 0x76696577; // "view"

/** Uniforms in [0, 1) from Threefry keyed by the view alone (32 bits each). */
function viewStream(view: number): { next(): number } {
  let counter = 0;
  return {
    next: () => {
      const [w0] = threefry2x32(VIEW_KEY, view, counter++, 0);
      return w0 / 2 ** 32;
    },
  };
}

/** The pose of view `view` under `group` (see above), float32, w ≥ 0. */
export function viewPose(group: Group | string, view: number): Quaternion {
  const g = typeof group === 'string' ? groupFromLabel(group) : group;
  if (!Number.isInteger(view) || view < 0 || view >= VIEWS) throw new Error(`view ${view} is out of range: expected an integer in [0, ${VIEWS - 1}]`);
  if (g.planeAngle) return roundToFloat32(aboutVertical((TWO_PI * view) / VIEWS));
  if (view === 0) return IDENTITY_QUATERNION;
  return roundToFloat32(randomRotation(viewStream(view)));
}

/** The camera's tilt as a quaternion (a rotation about x by the elevation): the viewer's arcball turns objects in the camera's frame. */
export const CAMERA_QUATERNION: Quaternion = [Math.cos(CAMERA_ELEVATION / 2), Math.sin(CAMERA_ELEVATION / 2), 0, 0];

// ---- The data sets -----------------------------------------------------------------------------

/** One 3-D data set opened with one group: renders images and pairs on demand. */
export class Objects3dDataset extends PairDataset<RotationPairSpec, Objects3dFactorColumns> {
  readonly count = OBJECTS3D_COUNT;
  readonly testCount = OBJECTS3D_TEST_COUNT;
  readonly imageShape = OBJECTS3D_IMAGE_SHAPE;
  readonly factors = OBJECTS3D_FACTORS;
  readonly streams = STREAMS;
  readonly grid: ImageGridScheme;
  private readonly renderer = new Renderer();
  private readonly poses: Quaternion[];

  private constructor(
    readonly name: Objects3dName,
    readonly group: Group,
  ) {
    super();
    this.grid = {
      steps: VIEWS,
      index: group.planeAngle ? `object·${VIEWS} + degrees about the vertical axis` : `object·${VIEWS} + view (0: upright; 1–${VIEWS - 1}: fixed uniform rotations)`,
      sampleWords: { test: 3, train: 4 },
    };
    this.poses = Array.from({ length: VIEWS }, (_, k) => viewPose(group, k));
  }

  /** A 3-D set by name with a group ('so3' or 'so2', or a Group of those kinds), checked. */
  static open(name: string, group: string | Group): Objects3dDataset {
    return new Objects3dDataset(parseObjects3d(name), typeof group === 'string' ? parseRotationGroup(group) : parseRotationGroup(group.label));
  }

  private checkSource(source: number): void {
    if (!Number.isInteger(source) || source < 0 || source >= this.count) throw new Error(`${this.name}: object ${source} is out of range: expected an integer in [0, ${this.count - 1}]`);
  }

  /** The rotation checked for this group: a unit quaternion, and about the vertical axis under a group of plane rotations. */
  private checkRotation(q: ArrayLike<number>, what: string): Quaternion {
    const checked = checkQuaternion(q, `${this.name}: ${what}`);
    if (this.group.planeAngle && (Math.abs(checked[1]) > 1e-6 || Math.abs(checked[3]) > 1e-6)) {
      throw new Error(`${this.name}: ${what} (${checked.join(', ')}) is not a rotation about the vertical axis (x and z must be 0), which the ${this.group.label} group needs`);
    }
    return checked;
  }

  /** The rotation of space an element is: about the vertical axis by its angle (a plane rotation), or itself (SO(3)). */
  private rotationOf(g: ArrayLike<number>): Quaternion {
    return this.group.planeAngle ? aboutVertical(this.group.planeAngle(g)) : [g[0], g[1], g[2], g[3]];
  }

  private sky(source: number): Float32Array | undefined {
    return this.name === 'planes-sky' ? skyImage(source) : undefined;
  }

  /** Renders object `source` in pose `pose` into `into` at `offset` (and its coverage, if asked). */
  renderImage(source: number, pose: ArrayLike<number>, into: Float32Array = new Float32Array(IMAGE_VALUES), offset = 0, coverage?: Float32Array): Float32Array {
    this.checkSource(source);
    // Any pose, whatever the group: the group limits the pairs' rotations, not what can be drawn.
    const rotation = checkQuaternion(pose, `${this.name}: pose`);
    return this.renderer.render(objectMesh(this.name, source), { rotation, camera: CAMERA, background: this.sky(source), into, offset, coverage });
  }

  /** The poses of x and of g·x. */
  pairPoses(spec: RotationPairSpec): { x: Quaternion; gx: Quaternion } {
    this.checkSource(spec.source);
    const base = this.checkRotation(spec.base, 'base pose');
    const g = this.checkRotation(spec.g, 'rotation g');
    return { x: base, gx: canonical(multiply(g, base)) };
  }

  protected renderPair(spec: RotationPairSpec, x: Float32Array, gx: Float32Array, offset: number): { x: Objects3dFactorValues; gx: Objects3dFactorValues } {
    const poses = this.pairPoses(spec);
    // One mesh and one sky for both images: only the pose differs.
    const mesh = objectMesh(this.name, spec.source);
    const background = this.sky(spec.source);
    this.renderer.render(mesh, { rotation: poses.x, camera: CAMERA, background, into: x, offset });
    this.renderer.render(mesh, { rotation: poses.gx, camera: CAMERA, background, into: gx, offset });
    return { x: this.imageFactors(spec.source, poses.x), gx: this.imageFactors(spec.source, poses.gx) };
  }

  override renderPairs(specs: readonly RotationPairSpec[]): RotationPairBatch {
    return super.renderPairs(specs);
  }

  /** The factor values of object `source` in pose `pose`. */
  imageFactors(source: number, pose: Quaternion): Objects3dFactorValues {
    const q = canonical(pose);
    const euler = toEuler(q);
    return { class: OBJECT_CLASSES.indexOf(objectClass(this.name, source)), object: source, qw: q[0], qx: q[1], qy: q[2], qz: q[3], ...euler };
  }

  /**
   * A random pair for `source` from `stream`: x's pose and g drawn as the group draws its elements
   * (Group.sample): under so3 uniform on SO(3), under so2 about the vertical axis with angles
   * uniform in [0, 2π). Rounded to float32 (so2: the angle), so that the batch's g is exactly the
   * rotation rendered.
   */
  drawPair(source: number, stream: Uniforms): RotationPairSpec {
    const base = this.rotationOf(this.group.sample(stream));
    return { source, base, g: this.rotationOf(this.group.sample(stream)) };
  }

  /** x drawn as in training, then g uniform inside the bucket (Group.sampleInBucket), from the same stream. */
  override evaluationPair(source: number, bucket: number, stream: Uniforms): RotationPairSpec {
    const drawn = this.drawPair(source, stream);
    return { ...drawn, g: this.rotationOf(this.group.sampleInBucket(bucket, stream)) };
  }

  /** The batch's g: the quaternion under so3, the angle about the vertical axis under so2. */
  element(spec: RotationPairSpec): number[] {
    return this.group.planeAngle ? [verticalAngle(spec.g)] : [...spec.g];
  }

  withElement(spec: RotationPairSpec, g: ArrayLike<number>): RotationPairSpec {
    const label = this.group.label;
    if (this.group.planeAngle) {
      if (g.length !== 1 || !Number.isFinite(g[0])) throw new Error(`${this.name} ${label}: an element is one finite angle about the vertical axis, got ${JSON.stringify(Array.from(g))}`);
      return { ...spec, g: aboutVertical(this.group.planeAngle(g)) };
    }
    return { ...spec, g: roundToFloat32(checkQuaternion(g, `${this.name} ${label}: element`)) };
  }

  override get gridFactorInfo(): readonly FactorInfo[] {
    return [...this.factors, { name: 'view', kind: 'id', description: `the view of the image grid, 0–${VIEWS - 1}` }];
  }

  override gridInfo(): PairGridExtras {
    return { camera: CAMERA_QUATERNION };
  }

  gridImage(source: number, step: number, into: Float32Array, offset: number): void {
    this.renderImage(source, this.poses[step], into, offset);
  }

  gridFactors(source: number, step: number): Objects3dFactorValues & { view: number } {
    this.checkSource(source);
    return { ...this.imageFactors(source, this.poses[step]), view: step };
  }
}

export { SO3_ANGLE_BUCKETS } from '../groups/so3.ts';

// ---- The registry's entries ------------------------------------------------------------------

// Measured 2026-12-02 on a quiet machine: ≈ 190–205 pairs/s at batch 32 with one BLAS thread
// (rendering included), so 3200 steps ≈ 9 minutes; docs/objects3d.md has the figures.
const RENDERED_PRESETS = presetsWith(PAIR_PRESETS, {
  tiny: { description: 'a few steps of a small model on 256 training objects (tests, smoke checks)' },
  quick: { description: 'the quick-size model on 3×64×64 renders, 3200 steps of batch 32 with a cosine learning rate (≈ 10 minutes on a quiet 2-core machine with the native backend)', steps: 3200, batchSize: 32, lr: 1e-3, evalCount: 240 },
  paper: { description: 'the full-size model on 3×64×64 renders, 50,000 steps of batch 64 (a real GPU)' },
});

const objects3dEntry = (name: Objects3dName, description: string, sources: string): DatasetEntry<PairData> =>
  pairEntry({
    name,
    description,
    imageShape: OBJECTS3D_IMAGE_SHAPE,
    groups: OBJECTS3D_GROUPS,
    defaultGroup: 'so3',
    sources,
    action: 'turned by g',
    presets: RENDERED_PRESETS,
    // Rates measured on the renders (experiments' MEASURED_RATES: 'latent-action/quick/rendered').
    rateKey: 'rendered',
    // Rendering took 18–20 % of a step in line (bench:objects3d-train): draw the next batch in a worker.
    renderAhead: true,
    factors: () => OBJECTS3D_FACTORS,
    open: async (group) => Objects3dDataset.open(name, group),
  });

export const OBJECTS3D: DatasetEntry<PairData> = objects3dEntry(
  'objects3d',
  'procedural chair-, table-, car-, plane- and lamp-like objects (3×64×64, white background), x under a pose and R·x the same object turned by R',
  'objects',
);

export const PLANES_SKY: DatasetEntry<PairData> = objects3dEntry('planes-sky', 'a procedural airplane over a procedural sky (gradient, sun, clouds); the sky stays fixed while R turns the plane', 'scenes');
