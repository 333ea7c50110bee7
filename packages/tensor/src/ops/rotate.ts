// rotate2d: turns each sample's maps [N, C, H, W] about their centre by its own angle θ_n [N], by
// bilinear resampling, zero outside the frame; with autodiff in the maps and in the angles.
//
// Convention (the rotated-MNIST data sets' R_θ, packages/model/src/data/rotation.ts): counter-
// clockwise on screen (rows run downward) about the centre (W/2, H/2) in pixel-edge coordinates;
// output pixel (row, col) shows the input at R_{−θ} of its offset from the centre,
//   u = W/2 + cos θ·dx − sin θ·dy − ½,  v = H/2 + sin θ·dx + cos θ·dy − ½,
//   dx = col + ½ − W/2,  dy = row + ½ − H/2,
// read bilinearly at column u, row v (integers are pixel centres).
//
// Quarter turns are exact: an angle within QUARTER_TURN_TOLERANCE of k·π/2 uses cos, sin ∈ {0, ±1}
// exactly, so every sample lands on a pixel centre with weight 1 and the output is the input's
// pixels permuted, bit for bit (cos(π/2) is not 0 in floating point, and a float32 angle j·2π/4 is
// off k·π/2 by up to ~3e-7). The snap is not differentiated: the angle's gradient uses the exact
// (−sin θ, cos θ) there too.
//
// Gradients: with respect to the maps, each input pixel gathers the weights it received from the
// output pixels whose sample fell within one pixel of it (a gather, not a scatter, so the WGSL
// kernel needs no atomics and every backend sums in the same order); with respect to θ_n, Σ over
// the sample's outputs of g·(∂out/∂u·∂u/∂θ + ∂out/∂v·∂v/∂θ), the bilinear patch's slopes (one-sided
// at a pixel centre), per element in one kernel and summed by the reduction op.
import { WORKGROUP_1D, bindings, grid1dCounts, gridIndex, uniformDeclaration, uniformWord, type FloatArray, type Kernel } from '../backend.ts';
import { describeShape } from '../shape.ts';
import { Tensor, apply, record } from '../tensor.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';

/** How close (radians) an angle must be to k·π/2 to be done as the exact quarter turn. */
export const QUARTER_TURN_TOLERANCE = 1e-5;

interface RotateParams {
  n: number;
  c: number;
  h: number;
  w: number;
}

const uniforms = (p: RotateParams) => [p.n, p.c, p.h, p.w];

/** cos θ and sin θ, exact at quarter turns. */
function cosSin(theta: number): [number, number] {
  const turns = Math.round(theta / (Math.PI / 2));
  if (Math.abs(theta - turns * (Math.PI / 2)) <= QUARTER_TURN_TOLERANCE) {
    const k = ((turns % 4) + 4) % 4;
    return [[1, 0, -1, 0][k], [0, 1, 0, -1][k]];
  }
  return [Math.cos(theta), Math.sin(theta)];
}

// The WGSL twin of cosSin (round() in WGSL rounds half to even; a tie cannot be within the tolerance).
const COS_SIN_WGSL = `fn cos_sin(theta: f32) -> vec2f {
  let quarter = 1.5707963267948966;
  let turns = round(theta / quarter);
  if (abs(theta - turns * quarter) <= ${QUARTER_TURN_TOLERANCE}) {
    let k = ((i32(turns) % 4) + 4) % 4;
    if (k == 0) { return vec2f(1.0, 0.0); }
    if (k == 1) { return vec2f(0.0, 1.0); }
    if (k == 2) { return vec2f(-1.0, 0.0); }
    return vec2f(0.0, -1.0);
  }
  return vec2f(cos(theta), sin(theta));
}`;

const SAMPLE_WGSL = `fn sample_point(cs: vec2f, row: u32, col: u32, h: u32, w: u32) -> vec2f {
  let hw = f32(w) * 0.5;
  let hh = f32(h) * 0.5;
  let dx = f32(col) + 0.5 - hw;
  let dy = f32(row) + 0.5 - hh;
  return vec2f(hw + cs.x * dx - cs.y * dy - 0.5, hh + cs.y * dx + cs.x * dy - 0.5);
}`;

// The value of map `base` (h×w) at integer (row, col), zero outside.
const AT_WGSL = `fn at(base: u32, row: i32, col: i32, h: u32, w: u32) -> f32 {
  if (row < 0 || col < 0 || row >= i32(h) || col >= i32(w)) { return 0.0; }
  return x[base + u32(row) * w + u32(col)];
}`;

const rotateKernel: Kernel<RotateParams> = {
  name: 'rotate2d',
  key: () => '',
  uniforms,
  workgroups: (p, traits) => grid1dCounts(p.n * p.c * p.h * p.w, traits),
  cpu: ([x, theta], [out], p) => forward(x, theta, out, p),
  wgsl: (_p, traits) => ({
    code: `${bindings(['x', 'theta'], ['out'])}
${uniformDeclaration(3, 4)}
${COS_SIN_WGSL}
${SAMPLE_WGSL}
${AT_WGSL}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let n = ${uniformWord(0)}; let c = ${uniformWord(1)}; let h = ${uniformWord(2)}; let w = ${uniformWord(3)};
  if (i >= n * c * h * w) { return; }
  let col = i % w;
  let row = (i / w) % h;
  let map = i / (h * w);
  let s = map / c;
  let base = map * h * w;
  let uv = sample_point(cos_sin(theta[s]), row, col, h, w);
  let c0 = floor(uv.x);
  let r0 = floor(uv.y);
  let fu = uv.x - c0;
  let fv = uv.y - r0;
  let ci = i32(c0);
  let ri = i32(r0);
  let top = (1.0 - fu) * at(base, ri, ci, h, w) + fu * at(base, ri, ci + 1, h, w);
  let bottom = (1.0 - fu) * at(base, ri + 1, ci, h, w) + fu * at(base, ri + 1, ci + 1, h, w);
  out[i] = (1.0 - fv) * top + fv * bottom;
}`,
  }),
};

// The host loops compute each sample point (u, v) by the header's formula, inlined (no arrays per pixel),
// with the same operations as the WGSL's sample_point.
function forward(x: FloatArray, theta: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const hw = w / 2;
  const hh = h / 2;
  for (let s = 0; s < n; s++) {
    const [cos, sin] = cosSin(theta[s]);
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      for (let row = 0; row < h; row++) {
        const dy = row + 0.5 - hh;
        for (let col = 0; col < w; col++) {
          const dx = col + 0.5 - hw;
          const u = hw + cos * dx - sin * dy - 0.5;
          const v = hh + sin * dx + cos * dy - 0.5;
          const c0 = Math.floor(u);
          const r0 = Math.floor(v);
          const fu = u - c0;
          const fv = v - r0;
          let a = 0;
          let b = 0;
          let d = 0;
          let e = 0;
          if (r0 >= 0 && r0 < h) {
            const o = base + r0 * w;
            if (c0 >= 0 && c0 < w) a = x[o + c0];
            if (c0 + 1 >= 0 && c0 + 1 < w) b = x[o + c0 + 1];
          }
          if (r0 + 1 >= 0 && r0 + 1 < h) {
            const o = base + (r0 + 1) * w;
            if (c0 >= 0 && c0 < w) d = x[o + c0];
            if (c0 + 1 >= 0 && c0 + 1 < w) e = x[o + c0 + 1];
          }
          out[base + row * w + col] = (1 - fv) * ((1 - fu) * a + fu * b) + fv * ((1 - fu) * d + fu * e);
        }
      }
    }
  }
}

// ---- the gradient with respect to the maps: a gather over the output pixels near R_θ·(input pixel) ----

// An input pixel (r, q) receives weight tent(u − q)·tent(v − r) from output pixel p, nonzero only
// when p's sample lies within one pixel of it in both coordinates; p is then within √2 of where
// R_θ takes (r, q), so a 5×5 window of output pixels about that point holds every contributor.
const rotateGradKernel: Kernel<RotateParams> = {
  name: 'rotate2d_grad_maps',
  key: () => '',
  uniforms,
  workgroups: (p, traits) => grid1dCounts(p.n * p.c * p.h * p.w, traits),
  cpu: ([g, theta], [out], p) => gradMaps(g, theta, out, p),
  wgsl: (_p, traits) => ({
    code: `${bindings(['g', 'theta'], ['out'])}
${uniformDeclaration(3, 4)}
${COS_SIN_WGSL}
${SAMPLE_WGSL}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let n = ${uniformWord(0)}; let c = ${uniformWord(1)}; let h = ${uniformWord(2)}; let w = ${uniformWord(3)};
  if (i >= n * c * h * w) { return; }
  let q = i % w;
  let r = (i / w) % h;
  let map = i / (h * w);
  let s = map / c;
  let base = map * h * w;
  let cs = cos_sin(theta[s]);
  let hw = f32(w) * 0.5;
  let hh = f32(h) * 0.5;
  // R_θ applied to (q, r)'s offset: the output position whose sample is this pixel.
  let ex = f32(q) + 0.5 - hw;
  let ey = f32(r) + 0.5 - hh;
  let pc = i32(floor(hw + cs.x * ex + cs.y * ey - 0.5));
  let pr = i32(floor(hh - cs.y * ex + cs.x * ey - 0.5));
  var total = 0.0;
  for (var row = pr - 2; row <= pr + 2; row++) {
    if (row < 0 || row >= i32(h)) { continue; }
    for (var col = pc - 2; col <= pc + 2; col++) {
      if (col < 0 || col >= i32(w)) { continue; }
      let uv = sample_point(cs, u32(row), u32(col), h, w);
      let wu = 1.0 - abs(uv.x - f32(q));
      let wv = 1.0 - abs(uv.y - f32(r));
      if (wu > 0.0 && wv > 0.0) { total += wu * wv * g[base + u32(row) * w + u32(col)]; }
    }
  }
  out[i] = total;
}`,
  }),
};

function gradMaps(g: FloatArray, theta: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const hw = w / 2;
  const hh = h / 2;
  for (let s = 0; s < n; s++) {
    const [cos, sin] = cosSin(theta[s]);
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      for (let r = 0; r < h; r++) {
        const ey = r + 0.5 - hh;
        for (let q = 0; q < w; q++) {
          const ex = q + 0.5 - hw;
          const pc = Math.floor(hw + cos * ex + sin * ey - 0.5);
          const pr = Math.floor(hh - sin * ex + cos * ey - 0.5);
          let total = 0;
          const rowEnd = Math.min(h - 1, pr + 2);
          const colEnd = Math.min(w - 1, pc + 2);
          for (let row = Math.max(0, pr - 2); row <= rowEnd; row++) {
            const dy = row + 0.5 - hh;
            for (let col = Math.max(0, pc - 2); col <= colEnd; col++) {
              const dx = col + 0.5 - hw;
              const wu = 1 - Math.abs(hw + cos * dx - sin * dy - 0.5 - q);
              const wv = 1 - Math.abs(hh + sin * dx + cos * dy - 0.5 - r);
              if (wu > 0 && wv > 0) total += wu * wv * g[base + row * w + col];
            }
          }
          out[base + r * w + q] = total;
        }
      }
    }
  }
}

// ---- the gradient with respect to θ: per output element, then summed per sample --------------

const angleTermsKernel: Kernel<RotateParams> = {
  name: 'rotate2d_grad_angle',
  key: () => '',
  uniforms,
  workgroups: (p, traits) => grid1dCounts(p.n * p.c * p.h * p.w, traits),
  cpu: ([x, theta, g], [out], p) => angleTerms(x, theta, g, out, p),
  wgsl: (_p, traits) => ({
    code: `${bindings(['x', 'theta', 'g'], ['out'])}
${uniformDeclaration(4, 4)}
${COS_SIN_WGSL}
${SAMPLE_WGSL}
${AT_WGSL}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let n = ${uniformWord(0)}; let c = ${uniformWord(1)}; let h = ${uniformWord(2)}; let w = ${uniformWord(3)};
  if (i >= n * c * h * w) { return; }
  let col = i % w;
  let row = (i / w) % h;
  let map = i / (h * w);
  let s = map / c;
  let base = map * h * w;
  let cs = cos_sin(theta[s]);
  let uv = sample_point(cs, row, col, h, w);
  let c0 = floor(uv.x);
  let r0 = floor(uv.y);
  let fu = uv.x - c0;
  let fv = uv.y - r0;
  let ci = i32(c0);
  let ri = i32(r0);
  let a = at(base, ri, ci, h, w);
  let b = at(base, ri, ci + 1, h, w);
  let d = at(base, ri + 1, ci, h, w);
  let e = at(base, ri + 1, ci + 1, h, w);
  let dx = f32(col) + 0.5 - f32(w) * 0.5;
  let dy = f32(row) + 0.5 - f32(h) * 0.5;
  let du = (1.0 - fv) * (b - a) + fv * (e - d);
  let dv = (1.0 - fu) * (d - a) + fu * (e - b);
  out[i] = g[i] * (du * (-cs.y * dx - cs.x * dy) + dv * (cs.x * dx - cs.y * dy));
}`,
  }),
};

function angleTerms(x: FloatArray, theta: FloatArray, g: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const at = (base: number, row: number, col: number) => (row >= 0 && row < h && col >= 0 && col < w ? x[base + row * w + col] : 0);
  const hw = w / 2;
  const hh = h / 2;
  for (let s = 0; s < n; s++) {
    const [cos, sin] = cosSin(theta[s]);
    for (let ch = 0; ch < c; ch++) {
      const base = (s * c + ch) * h * w;
      for (let row = 0; row < h; row++) {
        const dy = row + 0.5 - hh;
        for (let col = 0; col < w; col++) {
          const dx = col + 0.5 - hw;
          const i = base + row * w + col;
          const u = hw + cos * dx - sin * dy - 0.5;
          const v = hh + sin * dx + cos * dy - 0.5;
          const c0 = Math.floor(u);
          const r0 = Math.floor(v);
          const fu = u - c0;
          const fv = v - r0;
          const a = at(base, r0, c0);
          const b = at(base, r0, c0 + 1);
          const d = at(base, r0 + 1, c0);
          const e = at(base, r0 + 1, c0 + 1);
          const du = (1 - fv) * (b - a) + fv * (e - d);
          const dv = (1 - fu) * (d - a) + fu * (e - b);
          // ∂u/∂θ = −sin·dx − cos·dy, ∂v/∂θ = cos·dx − sin·dy.
          out[i] = g[i] * (du * (-sin * dx - cos * dy) + dv * (cos * dx - sin * dy));
        }
      }
    }
  }
}

// ---- the op ----------------------------------------------------------------------------------

function check(x: Tensor, theta: Tensor): RotateParams {
  if (x.rank !== 4) throw new Error(`rotate2d: maps must be [N, C, H, W], got ${describeShape(x.shape)}`);
  const [n, c, h, w] = x.shape;
  if (theta.rank !== 1 || theta.shape[0] !== n) throw new Error(`rotate2d: angles must be [N] = [${n}] (one per sample of maps ${describeShape(x.shape)}), got ${describeShape(theta.shape)}`);
  return { n, c, h, w };
}

/**
 * Each sample's maps turned counter-clockwise by its angle (radians) about the centre, bilinear,
 * zero outside: x [N, C, H, W], θ [N] → [N, C, H, W]. Quarter turns permute pixels exactly.
 * Differentiable in x and θ.
 */
export function rotate2d(x: Tensor, theta: Tensor): Tensor {
  const p = check(x, theta);
  const out = apply('rotate2d', [x, theta], x.shape, rotateKernel, p);
  return record('rotate2d', out, [x, theta], (g) => [
    x.requiresGrad ? apply('rotate2d_grad_maps', [g, theta], x.shape, rotateGradKernel, p) : null,
    theta.requiresGrad ? sum(reshape(apply('rotate2d_grad_angle', [x, theta, g], x.shape, angleTermsKernel, p), [p.n, p.c * p.h * p.w]), 1) : null,
  ]);
}
