// Points of a 3-D embedding prepared for drawing: centred and scaled into the unit ball, and, for
// the canvas fallback (no WebGL), rotated and projected with perspective onto the screen.

/** Centres points on their bounding box and scales the largest half-extent to 1; flat [x,y,z,…]. */
export function normalisePoints(points: readonly (readonly number[])[]): Float32Array {
  const out = new Float32Array(points.length * 3);
  if (points.length === 0) return out;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const p of points) {
    for (let k = 0; k < 3; k++) {
      const v = Number(p[k] ?? 0);
      if (!Number.isFinite(v)) continue;
      lo[k] = Math.min(lo[k], v);
      hi[k] = Math.max(hi[k], v);
    }
  }
  const centre = lo.map((l, k) => (Number.isFinite(l) ? (l + hi[k]) / 2 : 0));
  const half = Math.max(1e-12, ...lo.map((l, k) => (Number.isFinite(l) ? (hi[k] - l) / 2 : 0)));
  points.forEach((p, i) => {
    for (let k = 0; k < 3; k++) {
      const v = Number(p[k] ?? 0);
      out[i * 3 + k] = Number.isFinite(v) ? (v - centre[k]) / half : 0;
    }
  });
  return out;
}

export interface View {
  /** Rotation about the vertical axis, radians. */
  yaw: number;
  /** Rotation about the horizontal axis, radians (clamped to ±π/2). */
  pitch: number;
  /** Zoom factor; 1 fits the unit ball. */
  zoom: number;
}

export const DEFAULT_VIEW: View = { yaw: 0.6, pitch: 0.35, zoom: 1.3 };

/** Camera distance from the centre, in units of the ball's radius. */
const CAMERA_DISTANCE = 3.2;

export interface Projected {
  /** Screen x, y (pixels), depth (larger is farther) per point. */
  x: Float32Array;
  y: Float32Array;
  depth: Float32Array;
  /** Point indices from farthest to nearest: the painter's order. */
  order: Uint32Array;
  /** Perspective size factor per point (1 at the centre's depth). */
  size: Float32Array;
}

/** Rotates by yaw then pitch and projects with a pinhole camera onto a width × height canvas. */
export function project(points: Float32Array, view: View, width: number, height: number): Projected {
  const n = points.length / 3;
  const [cy, sy, cp, sp] = [Math.cos(view.yaw), Math.sin(view.yaw), Math.cos(view.pitch), Math.sin(view.pitch)];
  const focal = (Math.min(width, height) / 2) * 0.9 * view.zoom * (CAMERA_DISTANCE - 1);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const depth = new Float32Array(n);
  const size = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [px, py, pz] = [points[i * 3], points[i * 3 + 1], points[i * 3 + 2]];
    // yaw about y, then pitch about x
    const x1 = cy * px + sy * pz;
    const z1 = -sy * px + cy * pz;
    const y2 = cp * py - sp * z1;
    const z2 = sp * py + cp * z1;
    const d = CAMERA_DISTANCE - z2;
    const s = CAMERA_DISTANCE / Math.max(1e-3, d);
    x[i] = width / 2 + (x1 * focal) / Math.max(1e-3, d);
    y[i] = height / 2 - (y2 * focal) / Math.max(1e-3, d);
    depth[i] = d;
    size[i] = s;
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => depth[b] - depth[a]);
  return { x, y, depth, order, size };
}

/** The nearest drawn point within `radius` pixels of (sx, sy), preferring the nearest in depth on ties. */
export function pick(projected: Projected, sx: number, sy: number, radius: number, visible?: (i: number) => boolean): number | null {
  let best: number | null = null;
  let bestDistance = radius * radius;
  // Walk front to back so that the front point wins at equal screen distance.
  for (let k = projected.order.length - 1; k >= 0; k--) {
    const i = projected.order[k];
    if (visible && !visible(i)) continue;
    const dx = projected.x[i] - sx;
    const dy = projected.y[i] - sy;
    const d = dx * dx + dy * dy;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

/** The view after dragging by (dx, dy) pixels. */
export function dragView(view: View, dx: number, dy: number, speed = 0.01): View {
  const limit = Math.PI / 2 - 0.01;
  return { ...view, yaw: view.yaw + dx * speed, pitch: Math.min(limit, Math.max(-limit, view.pitch + dy * speed)) };
}

/** The view after zooming by `factor`, kept within [0.3, 8]. */
export function zoomView(view: View, factor: number): View {
  return { ...view, zoom: Math.min(8, Math.max(0.3, view.zoom * factor)) };
}
