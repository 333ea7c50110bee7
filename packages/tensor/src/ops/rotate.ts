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

// Every kernel here runs one invocation per element of [N, C, H, W]; `elementKernel` writes the shared
// part of the WGSL: the bindings, the uniforms, the bounds check and the element's column, row, map
// index, sample and map offset (named `col`/`row`, or as `names` says).
function elementKernel(
  name: string,
  inputs: readonly string[],
  cpu: Kernel<RotateParams>['cpu'],
  helpers: readonly string[],
  body: string,
  [colName, rowName] = ['col', 'row'],
): Kernel<RotateParams> {
  return {
    name,
    key: () => '',
    uniforms,
    workgroups: (p, traits) => grid1dCounts(p.n * p.c * p.h * p.w, traits),
    cpu,
    wgsl: (_p, traits) => ({
      code: `${bindings(inputs, ['out'])}
${uniformDeclaration(inputs.length + 1, 4)}
${helpers.join('\n')}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  let n = ${uniformWord(0)}; let c = ${uniformWord(1)}; let h = ${uniformWord(2)}; let w = ${uniformWord(3)};
  if (i >= n * c * h * w) { return; }
  let ${colName} = i % w;
  let ${rowName} = (i / w) % h;
  let map = i / (h * w);
  let s = map / c;
  let base = map * h * w;
${body}
}`,
    }),
  };
}

// The sample points of one angle, shared by all the channels of its sample: output pixel k = row·w + col
// reads the input at column u[k], row v[k] (the header's formula, with the same operations as the
// WGSL's sample_point), and cos θ, sin θ returned; with `slopes`, also ∂u/∂θ = −sin·dx − cos·dy and ∂v/∂θ = cos·dx − sin·dy.
function samplePoints(theta: number, h: number, w: number, u: Float64Array, v: Float64Array, slopes?: { u: Float64Array; v: Float64Array }): [number, number] {
  const [cos, sin] = cosSin(theta);
  const hw = w / 2;
  const hh = h / 2;
  for (let row = 0, k = 0; row < h; row++) {
    const dy = row + 0.5 - hh;
    for (let col = 0; col < w; col++, k++) {
      const dx = col + 0.5 - hw;
      u[k] = hw + cos * dx - sin * dy - 0.5;
      v[k] = hh + sin * dx + cos * dy - 0.5;
      if (slopes) {
        slopes.u[k] = -sin * dx - cos * dy;
        slopes.v[k] = cos * dx - sin * dy;
      }
    }
  }
  return [cos, sin];
}

// The bilinear cell about (u, v) in the h×w map at `base`: its pixels top left, top right, bottom left,
// bottom right (zero outside) and the fractions fu, fv, written into `cell` (reused: nothing is
// allocated per pixel).
const A = 0, B = 1, D = 2, E = 3, FU = 4, FV = 5;
function readCell(x: FloatArray, base: number, h: number, w: number, u: number, v: number, cell: Float64Array): void {
  const c0 = Math.floor(u);
  const r0 = Math.floor(v);
  cell[FU] = u - c0;
  cell[FV] = v - r0;
  cell[A] = cell[B] = cell[D] = cell[E] = 0;
  if (r0 >= 0 && r0 < h) {
    const o = base + r0 * w;
    if (c0 >= 0 && c0 < w) cell[A] = x[o + c0];
    if (c0 + 1 >= 0 && c0 + 1 < w) cell[B] = x[o + c0 + 1];
  }
  if (r0 + 1 >= 0 && r0 + 1 < h) {
    const o = base + (r0 + 1) * w;
    if (c0 >= 0 && c0 < w) cell[D] = x[o + c0];
    if (c0 + 1 >= 0 && c0 + 1 < w) cell[E] = x[o + c0 + 1];
  }
}

// WGSL: the bilinear cell about `uv` in the map at `base`, as readCell.
const CELL_WGSL = `  let c0 = floor(uv.x);
  let r0 = floor(uv.y);
  let fu = uv.x - c0;
  let fv = uv.y - r0;
  let ci = i32(c0);
  let ri = i32(r0);
  let a = at(base, ri, ci, h, w);
  let b = at(base, ri, ci + 1, h, w);
  let d = at(base, ri + 1, ci, h, w);
  let e = at(base, ri + 1, ci + 1, h, w);`;

const rotateKernel = elementKernel(
  'rotate2d',
  ['x', 'theta'],
  ([x, theta], [out], p) => forward(x, theta, out, p),
  [COS_SIN_WGSL, SAMPLE_WGSL, AT_WGSL],
  `  let uv = sample_point(cos_sin(theta[s]), row, col, h, w);
${CELL_WGSL}
  out[i] = (1.0 - fv) * ((1.0 - fu) * a + fu * b) + fv * ((1.0 - fu) * d + fu * e);`,
);

function forward(x: FloatArray, theta: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const size = h * w;
  const u = new Float64Array(size);
  const v = new Float64Array(size);
  const cell = new Float64Array(6);
  for (let s = 0; s < n; s++) {
    samplePoints(theta[s], h, w, u, v);
    for (let base = s * c * size; base < (s + 1) * c * size; base += size) {
      for (let k = 0; k < size; k++) {
        readCell(x, base, h, w, u[k], v[k], cell);
        const fu = cell[FU];
        const fv = cell[FV];
        out[base + k] = (1 - fv) * ((1 - fu) * cell[A] + fu * cell[B]) + fv * ((1 - fu) * cell[D] + fu * cell[E]);
      }
    }
  }
}

// ---- the gradient with respect to the maps: a gather over the output pixels near R_θ·(input pixel) ----

// An input pixel (r, q) receives weight tent(u − q)·tent(v − r) from output pixel p, nonzero only
// when p's sample lies within one pixel of it in both coordinates; p is then within √2 of where
// R_θ takes (r, q), so a 5×5 window of output pixels about that point holds every contributor.
const rotateGradKernel = elementKernel(
  'rotate2d_grad_maps',
  ['g', 'theta'],
  ([g, theta], [out], p) => gradMaps(g, theta, out, p),
  [COS_SIN_WGSL, SAMPLE_WGSL],
  `  let cs = cos_sin(theta[s]);
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
  out[i] = total;`,
  ['q', 'r'],
);

// The window's sample points are read from samplePoints' tables (the same values the forward pass
// computes, so the gather stays the forward's exact adjoint).
function gradMaps(g: FloatArray, theta: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const size = h * w;
  const u = new Float64Array(size);
  const v = new Float64Array(size);
  const hw = w / 2;
  const hh = h / 2;
  for (let s = 0; s < n; s++) {
    const [cos, sin] = samplePoints(theta[s], h, w, u, v);
    for (let base = s * c * size; base < (s + 1) * c * size; base += size) {
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
            for (let col = Math.max(0, pc - 2), k = row * w + col; col <= colEnd; col++, k++) {
              const wu = 1 - Math.abs(u[k] - q);
              const wv = 1 - Math.abs(v[k] - r);
              if (wu > 0 && wv > 0) total += wu * wv * g[base + k];
            }
          }
          out[base + r * w + q] = total;
        }
      }
    }
  }
}

// ---- the gradient with respect to θ: per output element, then summed per sample --------------

const angleTermsKernel = elementKernel(
  'rotate2d_grad_angle',
  ['x', 'theta', 'g'],
  ([x, theta, g], [out], p) => angleTerms(x, theta, g, out, p),
  [COS_SIN_WGSL, SAMPLE_WGSL, AT_WGSL],
  `  let cs = cos_sin(theta[s]);
  let uv = sample_point(cs, row, col, h, w);
${CELL_WGSL}
  let dx = f32(col) + 0.5 - f32(w) * 0.5;
  let dy = f32(row) + 0.5 - f32(h) * 0.5;
  let du = (1.0 - fv) * (b - a) + fv * (e - d);
  let dv = (1.0 - fu) * (d - a) + fu * (e - b);
  out[i] = g[i] * (du * (-cs.y * dx - cs.x * dy) + dv * (cs.x * dx - cs.y * dy));`,
);

function angleTerms(x: FloatArray, theta: FloatArray, g: FloatArray, out: FloatArray, { n, c, h, w }: RotateParams): void {
  const size = h * w;
  const u = new Float64Array(size);
  const v = new Float64Array(size);
  const slopes = { u: new Float64Array(size), v: new Float64Array(size) };
  const cell = new Float64Array(6);
  for (let s = 0; s < n; s++) {
    samplePoints(theta[s], h, w, u, v, slopes);
    for (let base = s * c * size; base < (s + 1) * c * size; base += size) {
      for (let k = 0; k < size; k++) {
        readCell(x, base, h, w, u[k], v[k], cell);
        const du = (1 - cell[FV]) * (cell[B] - cell[A]) + cell[FV] * (cell[E] - cell[D]);
        const dv = (1 - cell[FU]) * (cell[D] - cell[A]) + cell[FU] * (cell[E] - cell[B]);
        out[base + k] = g[base + k] * (du * slopes.u[k] + dv * slopes.v[k]);
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
