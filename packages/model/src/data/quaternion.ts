// Rotations of 3-D space on the host, in float64: unit quaternions q = (w, x, y, z) with the
// Hamilton product, their rotation matrices, Euler angles, uniform random rotations (Shoemake) and
// the checks every caller shares. The 3-D data sets (objects3d.ts), the renderer (render3d.ts) and
// the SO(3) latent action (so3-action.ts) all speak in these terms, so that the g a batch reports is
// exactly the rotation that was rendered.
//
// Frame: y is up (the vertical axis of the SO(2) variant), x to the right, z towards the camera.
// q and −q are the same rotation; quaternions made here have w ≥ 0.
import type { UniformStream } from './random.ts';

export type Quaternion = readonly [number, number, number, number];
/** A 3×3 rotation matrix, row-major. */
export type Matrix3 = Float64Array;

export const IDENTITY_QUATERNION: Quaternion = Object.freeze([1, 0, 0, 0]) as Quaternion;

/**
 * How far |q| may be from 1 and still count as a unit quaternion: a float32 quaternion (as a batch
 * carries) is unit to ~1e-7, so 1e-4 accepts every honest rounding and refuses anything scaled.
 */
export const UNIT_TOLERANCE = 1e-4;

/**
 * Throws unless `q` holds `4·k` finite numbers, each four of norm 1 within UNIT_TOLERANCE. The error
 * names `where`, the element's index and its values.
 */
export function checkQuaternions(q: ArrayLike<number>, where: string): void {
  if (q.length % 4 !== 0) throw new Error(`${where}: quaternions come as 4 numbers (w, x, y, z) each, got ${q.length} numbers`);
  for (let i = 0; i < q.length; i += 4) {
    const [w, x, y, z] = [q[i], q[i + 1], q[i + 2], q[i + 3]];
    const shown = `(${w}, ${x}, ${y}, ${z})`;
    if (![w, x, y, z].every(Number.isFinite)) throw new Error(`${where}: quaternion ${i / 4} = ${shown} is not finite: expected a unit quaternion (w, x, y, z)`);
    const norm = Math.hypot(w, x, y, z);
    if (Math.abs(norm - 1) > UNIT_TOLERANCE) {
      throw new Error(`${where}: quaternion ${i / 4} = ${shown} has norm ${norm}, not 1 (within ${UNIT_TOLERANCE}): expected a unit quaternion (w, x, y, z)`);
    }
  }
}

/** One quaternion, checked (see checkQuaternions). */
export function checkQuaternion(q: ArrayLike<number>, where: string): Quaternion {
  if (q?.length !== 4) throw new Error(`${where}: a rotation is a unit quaternion of 4 numbers (w, x, y, z), got ${JSON.stringify(q)}`);
  checkQuaternions(q, where);
  return [q[0], q[1], q[2], q[3]];
}

/** The same rotation with w ≥ 0 (q and −q rotate alike), renormalised to undo rounding drift. */
export function canonical(q: Quaternion): Quaternion {
  const s = (q[0] < 0 ? -1 : 1) / Math.hypot(q[0], q[1], q[2], q[3]);
  return [q[0] * s, q[1] * s, q[2] * s, q[3] * s];
}

/** a·b, the rotation b first, then a (Hamilton product). */
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

/** q⁻¹ = q̄ for a unit quaternion. */
export function conjugate(q: Quaternion): Quaternion {
  return [q[0], -q[1], -q[2], -q[3]];
}

/** The rotation by `angle` radians about `axis` (normalised here; counter-clockwise seen from its tip). */
export function fromAxisAngle(axis: readonly [number, number, number], angle: number): Quaternion {
  const length = Math.hypot(...axis);
  if (!(length > 0) || !Number.isFinite(length) || !Number.isFinite(angle)) throw new Error(`fromAxisAngle: axis ${JSON.stringify(axis)} and angle ${angle} must be finite, the axis non-zero`);
  const s = Math.sin(angle / 2) / length;
  return [Math.cos(angle / 2), axis[0] * s, axis[1] * s, axis[2] * s];
}

/** The angle of the rotation, in [0, π]. */
export function rotationAngle(q: Quaternion): number {
  return 2 * Math.atan2(Math.hypot(q[1], q[2], q[3]), Math.abs(q[0]));
}

/**
 * The rotation matrix of a unit quaternion (row-major 3×3). Divided by |q|² so that a quaternion
 * rounded to float32 (|q| = 1 ± 1e-7) still gives an orthogonal matrix to float64 precision.
 */
export function toMatrix(q: Quaternion, into: Matrix3 = new Float64Array(9)): Matrix3 {
  const [w, x, y, z] = q;
  const s = 2 / (w * w + x * x + y * y + z * z);
  into[0] = 1 - s * (y * y + z * z);
  into[1] = s * (x * y - w * z);
  into[2] = s * (x * z + w * y);
  into[3] = s * (x * y + w * z);
  into[4] = 1 - s * (x * x + z * z);
  into[5] = s * (y * z - w * x);
  into[6] = s * (x * z - w * y);
  into[7] = s * (y * z + w * x);
  into[8] = 1 - s * (x * x + y * y);
  return into;
}

/**
 * Euler angles (yaw, pitch, roll) in radians with R = R_y(yaw)·R_x(pitch)·R_z(roll): yaw about the
 * vertical axis, then pitch about x, then roll about z (intrinsic y-x-z, in the y-up frame).
 * yaw, roll ∈ (−π, π], pitch ∈ [−π/2, π/2]; at pitch = ±π/2 (gimbal lock) roll is reported as 0.
 */
export interface EulerAngles {
  yaw: number;
  pitch: number;
  roll: number;
}

export function toEuler(q: Quaternion): EulerAngles {
  const m = toMatrix(q);
  // R_y(a)R_x(b)R_z(c): m[5] = −sin b, m[2] = sin a cos b, m[8] = cos a cos b, m[3] = cos b sin c, m[4] = cos b cos c.
  const sinPitch = Math.max(-1, Math.min(1, -m[5]));
  const pitch = Math.asin(sinPitch);
  if (Math.abs(sinPitch) > 1 - 1e-12) return { yaw: Math.atan2(-m[6], m[0]), pitch, roll: 0 };
  return { yaw: Math.atan2(m[2], m[8]), pitch, roll: Math.atan2(m[3], m[4]) };
}

export function fromEuler({ yaw, pitch, roll }: EulerAngles): Quaternion {
  return multiply(multiply(fromAxisAngle([0, 1, 0], yaw), fromAxisAngle([1, 0, 0], pitch)), fromAxisAngle([0, 0, 1], roll));
}

/**
 * A uniformly random rotation (Haar measure on SO(3)) from three uniforms in [0, 1): Shoemake's
 * subgroup algorithm (Graphics Gems III, 1992).
 */
export function randomRotation(stream: Pick<UniformStream, 'next'>): Quaternion {
  const [u1, u2, u3] = [stream.next(), stream.next(), stream.next()];
  const [a, b] = [Math.sqrt(1 - u1), Math.sqrt(u1)];
  const [t2, t3] = [2 * Math.PI * u2, 2 * Math.PI * u3];
  return canonical([b * Math.cos(t3), a * Math.sin(t2), a * Math.cos(t2), b * Math.sin(t3)]);
}

/** The rotation about the vertical (y) axis by `angle` radians: the SO(2) variant's elements. */
export function aboutVertical(angle: number): Quaternion {
  return canonical(fromAxisAngle([0, 1, 0], angle));
}

/**
 * The quaternion with w ≥ 0, rounded to float32: a batch's g is float32, and rendering from the
 * rounded values (toMatrix divides by |q|²) makes what it says exactly what was rendered.
 */
export function roundToFloat32(q: Quaternion): Quaternion {
  const c = canonical(q);
  return [Math.fround(c[0]), Math.fround(c[1]), Math.fround(c[2]), Math.fround(c[3])];
}
