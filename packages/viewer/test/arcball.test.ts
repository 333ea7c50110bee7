// The arcball's math (src/lib/arcball.ts), checked against independent references: Rodrigues'
// formula for the rotation a drag should be, and packages/model's quaternion-to-matrix conversion.
import { describe, expect, test } from 'bun:test';
import { quaternion } from '@maga/model';
import {
  ArcballDrag,
  IDENTITY,
  arc,
  ballPoint,
  canonical,
  fromAxisAngle,
  multiply,
  objectToView,
  pointerCoordinates,
  rotate,
  toAxisAngle,
  viewToObject,
  type Quaternion,
  type Vec3,
} from '../src/lib/arcball.ts';
import { seededRandom } from '../../../test/support/random.ts';

/** The tests' seeded generator, so a failure reproduces. */
const random = seededRandom;

/** A pointer anywhere in [−1.5, 1.5]²: inside the disc and outside it. */
const pointer = (r: () => number): [number, number] => [3 * r() - 1.5, 3 * r() - 1.5];

/** Same rotation: q and −q agree. */
function expectSameRotation(a: Quaternion, b: Quaternion, tolerance = 1e-12): void {
  const d = Math.min(Math.max(...a.map((v, i) => Math.abs(v - b[i]))), Math.max(...a.map((v, i) => Math.abs(v + b[i]))));
  expect(d).toBeLessThan(tolerance);
}

const norm = (q: readonly number[]) => Math.hypot(...q);
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Rodrigues: v turned by `angle` about the unit `axis`. */
function rodrigues(axis: Vec3, angle: number, v: Vec3): Vec3 {
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  const k = cross(axis, v);
  const kv = dot(axis, v);
  return [0, 1, 2].map((i) => v[i] * c + k[i] * s + axis[i] * kv * (1 - c)) as unknown as Vec3;
}

describe('arcball', () => {
  test('no drag is the identity; a drag from a pose without moving keeps it', () => {
    const r = random(1);
    for (let i = 0; i < 20; i++) {
      const [x, y] = pointer(r);
      expectSameRotation(arc(ballPoint(x, y), ballPoint(x, y)), IDENTITY);
      const pose = canonical(fromAxisAngle([r() - 0.5, r() - 0.5, r() - 0.5], 6 * r()));
      expectSameRotation(new ArcballDrag(pose, x, y).at(x, y), pose);
    }
  });

  test('ball points are unit; inside the disc they keep x and y, outside they lie on the rim', () => {
    const r = random(2);
    for (let i = 0; i < 200; i++) {
      const [x, y] = pointer(r);
      const p = ballPoint(x, y);
      expect(Math.abs(norm(p) - 1)).toBeLessThan(1e-12);
      if (x * x + y * y <= 1) expect([p[0], p[1], p[2] >= 0]).toEqual([x, y, true]);
      else expect(p[2]).toBe(0);
    }
  });

  test('a drag is a rotation about p₀ × p₁ by twice the arc p₀p₁ (Rodrigues), always unit', () => {
    const r = random(3);
    for (let i = 0; i < 100; i++) {
      const [from, to] = [ballPoint(...pointer(r)), ballPoint(...pointer(r))];
      const q = arc(from, to);
      expect(Math.abs(norm(q) - 1)).toBeLessThan(1e-12);
      const axisLength = norm(cross(from, to));
      if (axisLength < 1e-6) continue;
      const axis = cross(from, to).map((v) => v / axisLength) as unknown as Vec3;
      const angle = 2 * Math.acos(Math.min(1, dot(from, to)));
      const v: Vec3 = [r() - 0.5, r() - 0.5, r() - 0.5];
      const expected = rodrigues(axis, angle, v);
      rotate(q, v).forEach((c, k) => expect(Math.abs(c - expected[k])).toBeLessThan(1e-12));
      // The same rotation through packages/model's own conversion to a matrix (row-major R·v).
      const m = quaternion.toMatrix(q);
      [0, 1, 2].forEach((row) => expect(Math.abs(m[3 * row] * v[0] + m[3 * row + 1] * v[1] + m[3 * row + 2] * v[2] - expected[row])).toBeLessThan(1e-12));
    }
  });

  test('a drag to the right turns the front of the object towards the right, about the vertical axis', () => {
    const q = new ArcballDrag(IDENTITY, 0, 0).at(0.5, 0);
    const { axis, angle } = toAxisAngle(q);
    expect(axis.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0, 1, 0]);
    expect(angle).toBeCloseTo(2 * Math.asin(0.5), 12); // twice the arc: 60°
    const front = rotate(q, [0, 0, 1]);
    expect(front[0]).toBeGreaterThan(0);
    // Dragging up tips the front upwards (a rotation about −x).
    expect(rotate(new ArcballDrag(IDENTITY, 0, 0).at(0, 0.3), [0, 0, 1])[1]).toBeGreaterThan(0);
  });

  test('drags compose: A→B then B→C is A→C, so only where a drag is matters, not its path', () => {
    const r = random(4);
    for (let i = 0; i < 50; i++) {
      const [a, b, c] = [ballPoint(...pointer(r)), ballPoint(...pointer(r)), ballPoint(...pointer(r))];
      expectSameRotation(multiply(arc(b, c), arc(a, b)), arc(a, c), 1e-12);
      // A drag through many points ends where a straight drag does.
      const pose = canonical(fromAxisAngle([r(), r() - 0.5, r()], 3 * r()));
      const [x0, y0] = pointer(r);
      const [x1, y1] = pointer(r);
      let stepwise = pose;
      let last: [number, number] = [x0, y0];
      for (let k = 0; k < 10; k++) {
        const next = pointer(r);
        stepwise = new ArcballDrag(stepwise, ...last).at(...next);
        last = next;
      }
      stepwise = new ArcballDrag(stepwise, ...last).at(x1, y1);
      expectSameRotation(stepwise, new ArcballDrag(pose, x0, y0).at(x1, y1), 1e-10);
    }
  });

  test('dragging back to where the drag began returns the start pose', () => {
    const r = random(5);
    for (let i = 0; i < 50; i++) {
      const pose = canonical(fromAxisAngle([r() - 0.5, r() - 0.5, r() - 0.5], 6 * r()));
      const [x, y] = pointer(r);
      const drag = new ArcballDrag(pose, x, y);
      const away = drag.at(...pointer(r));
      expect(Math.abs(norm(away) - 1)).toBeLessThan(1e-12);
      expectSameRotation(drag.at(x, y), pose, 1e-12);
      // And as a new drag from the far point back.
      const [fx, fy] = pointer(r);
      expectSameRotation(new ArcballDrag(drag.at(fx, fy), fx, fy).at(x, y), pose, 1e-12);
    }
  });

  test('a drag from the centre to the rim is a half turn: any rotation is one drag away', () => {
    const { angle } = toAxisAngle(new ArcballDrag(IDENTITY, 0, 0).at(0, 1));
    expect(angle).toBeCloseTo(Math.PI, 12);
  });

  test('the view frame and the object frame: g = C⁻¹·S·C turns the object on screen by S', () => {
    const r = random(6);
    const camera = fromAxisAngle([1, 0, 0], (25 * Math.PI) / 180);
    for (let i = 0; i < 20; i++) {
      const s = canonical(fromAxisAngle([r() - 0.5, r() - 0.5, r() - 0.5], 6 * r()));
      const base = canonical(fromAxisAngle([r() - 0.5, r() - 0.5, r() - 0.5], 6 * r()));
      const g = viewToObject(s, camera);
      // What the camera sees of g·base is S applied to what it saw of base.
      expectSameRotation(multiply(camera, multiply(g, base)), multiply(s, multiply(camera, base)), 1e-12);
      expectSameRotation(objectToView(g, camera), s, 1e-12);
    }
    expectSameRotation(viewToObject(fromAxisAngle([0, 1, 0], 1)), fromAxisAngle([0, 1, 0], 1));
  });

  test('pointer coordinates: the element square onto [−1, 1]², y up', () => {
    const rect = { left: 10, top: 20, width: 200, height: 100 };
    expect(pointerCoordinates(110, 70, rect)).toEqual([0, 0]);
    expect(pointerCoordinates(10, 20, rect)).toEqual([-1, 1]);
    expect(pointerCoordinates(210, 120, rect)).toEqual([1, -1]);
  });
});
