// Shoemake's arcball (Graphics Gems IV, 1994): a drag on a square image turns a unit quaternion.
// The image is the disc of a unit ball seen from the front; a pointer at (x, y) (in [−1, 1]², y up)
// lies on the ball at p = (x, y, √(1 − x² − y²)), or on its rim (x, y, 0)/|·| outside the disc.
// A drag from p₀ to p₁ is the rotation q = p₁·p₀* (pure quaternions, Hamilton product)
//   = (p₀·p₁, p₀ × p₁): about the axis p₀ × p₁ by twice the arc p₀p₁.
// Why the arcball and not a trackball (rotation by the arc itself, or by a distance): products of
// arcball drags telescope, (p₂p₁*)(p₁p₀*) = p₂p₀*, so a drag's result depends only on where it
// started and where it is now, never on the path; dragging back to the start gives the start pose
// exactly, and a drag from the middle to the rim is a half turn, so any rotation is one drag away.
//
// Frame: x right, y up, z towards the viewer (the 3-D data sets' frame). Quaternions are
// [w, x, y, z] with the rotation q·v·q*, as packages/model's quaternion.ts.

export type Quaternion = readonly [number, number, number, number];
export type Vec3 = readonly [number, number, number];

export const IDENTITY: Quaternion = Object.freeze([1, 0, 0, 0]) as unknown as Quaternion;

/** a·b: b first, then a. */
export function multiply(a: Quaternion, b: Quaternion): Quaternion {
  const [aw, ax, ay, az] = a;
  const [bw, bx, by, bz] = b;
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}

export const conjugate = (q: Quaternion): Quaternion => [q[0], -q[1], -q[2], -q[3]];

/** q scaled to norm 1 (undoing float drift after many products); the identity for a zero or non-finite q. */
export function normalise(q: Quaternion): Quaternion {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(n > 0) || !Number.isFinite(n)) return IDENTITY;
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** The same rotation with w ≥ 0 (q and −q turn alike): one spelling for URLs and captions. */
export const canonical = (q: Quaternion): Quaternion => (q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q);

/** The rotation of `angle` radians about `axis` (any length but zero). */
export function fromAxisAngle(axis: Vec3, angle: number): Quaternion {
  const n = Math.hypot(...axis);
  const s = Math.sin(angle / 2) / n;
  return [Math.cos(angle / 2), axis[0] * s, axis[1] * s, axis[2] * s];
}

/** The rotation's angle in [0, π] and its unit axis ((0, 1, 0) for the identity). */
export function toAxisAngle(q: Quaternion): { axis: Vec3; angle: number } {
  const [w, x, y, z] = canonical(normalise(q));
  const s = Math.hypot(x, y, z);
  const angle = 2 * Math.atan2(s, w);
  return s < 1e-12 ? { axis: [0, 1, 0], angle: 0 } : { axis: [x / s, y / s, z / s], angle };
}

/** v turned by q (q·v·q*). */
export function rotate(q: Quaternion, v: Vec3): Vec3 {
  const [, x, y, z] = multiply(multiply(q, [0, v[0], v[1], v[2]]), conjugate(q));
  return [x, y, z];
}

/** A pointer at (x, y) ∈ [−1, 1]² (y up) on the unit ball, or on its rim when outside the disc. */
export function ballPoint(x: number, y: number): Vec3 {
  const r2 = x * x + y * y;
  if (r2 <= 1) return [x, y, Math.sqrt(1 - r2)];
  const r = Math.sqrt(r2);
  return [x / r, y / r, 0];
}

/** The drag from ball point `from` to `to`: p₁·p₀* = (p₀·p₁, p₀ × p₁), unit for unit points. */
export function arc(from: Vec3, to: Vec3): Quaternion {
  const [a, b] = [from, to];
  return normalise([a[0] * b[0] + a[1] * b[1] + a[2] * b[2], a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]);
}

/** A pointer's position in an element as arcball coordinates: the element's square maps onto [−1, 1]², y up. */
export function pointerCoordinates(clientX: number, clientY: number, rect: { left: number; top: number; width: number; height: number }): [number, number] {
  return [(2 * (clientX - rect.left)) / rect.width - 1, 1 - (2 * (clientY - rect.top)) / rect.height];
}

/**
 * A drag in progress: the pose when it began and where it began; `at(x, y)` is the pose with the
 * drag from there to (x, y) applied after it (in the view's frame), whatever path the pointer took.
 */
export class ArcballDrag {
  private readonly start: Vec3;

  constructor(
    readonly startPose: Quaternion,
    x: number,
    y: number,
  ) {
    this.start = ballPoint(x, y);
  }

  at(x: number, y: number): Quaternion {
    return canonical(normalise(multiply(arc(this.start, ballPoint(x, y)), this.startPose)));
  }
}

/**
 * A rotation S seen in the view's frame as the rotation the model takes, when the view is the
 * object frame turned by `camera` (images show C·R·object): S·C·R = C·(C⁻¹SC)·R, so g = C⁻¹·S·C
 * turns the object on screen by S.
 */
export function viewToObject(s: Quaternion, camera: Quaternion = IDENTITY): Quaternion {
  return canonical(normalise(multiply(multiply(conjugate(camera), s), camera)));
}

/** The inverse of viewToObject: C·g·C⁻¹. */
export function objectToView(g: Quaternion, camera: Quaternion = IDENTITY): Quaternion {
  return canonical(normalise(multiply(multiply(camera, g), conjugate(camera))));
}
