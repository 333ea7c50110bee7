// `contrast`: a synthetic stand-in for brain MRI under a change of contrast (Jin et al.'s brain-MRI
// set is not available here). Each phantom id gives a procedural head-like anatomy — scalp, skull,
// CSF around the brain, grey and white matter, two lateral ventricles, random deep-grey "nuclei"
// shapes and lesions, each a tissue class — which is rendered under one of n contrast settings
// (T1-like, T2-like, PD-like, FLAIR-like, …). The group C_n moves the setting, k ↦ k + j mod n;
// the anatomy is what stays invariant.
//
// Intensities come from the textbook spin-echo / inversion-recovery signal equation
//   S = PD · |1 − 2·e^(−TI/T1) + e^(−TR/T1)| · e^(−TE/T2)      (TI = 0: no inversion pulse)
// with approximate 1.5 T relaxation times per tissue, normalised per setting so that the brightest
// tissue is 1. For n = 4 the settings are the four named ones; for other n they are n evenly spaced
// points on the closed loop T1 → T2 → PD → FLAIR → T1 in (TR, TE, TI), so every C_n has a cycle of
// distinct settings and n = 4 keeps the familiar names.
//
// Rendering supersamples each pixel on a 4×4 grid: a pixel's tissue fractions (partial volume)
// are the anatomy, and its intensity is Σ_c fraction_c · intensity_c(setting).
import { UniformStream } from './random.ts';

export const CONTRAST_SIZE = 32;
/** Phantom ids 0 … count − 1 make up the data set (any other non-negative integer renders too). */
export const CONTRAST_COUNT = 10_000;

export const TISSUES = Object.freeze(['background', 'scalp', 'skull', 'csf', 'grey matter', 'white matter', 'nuclei', 'lesion'] as const);
export type TissueName = (typeof TISSUES)[number];
const TISSUE_COUNT = TISSUES.length;
const [BACKGROUND, SCALP, SKULL, CSF, GREY, WHITE, NUCLEI, LESION] = [0, 1, 2, 3, 4, 5, 6, 7];

/** Relaxation times (ms) and proton density (relative) per tissue, approximate values at 1.5 T. */
export const TISSUE_PARAMETERS: Readonly<Record<TissueName, { t1: number; t2: number; pd: number }>> = Object.freeze({
  background: { t1: 1, t2: 1, pd: 0 },
  scalp: { t1: 260, t2: 80, pd: 0.9 }, // subcutaneous fat
  skull: { t1: 300, t2: 10, pd: 0.08 }, // cortical bone: almost no signal in any setting
  csf: { t1: 4000, t2: 2000, pd: 1.0 },
  'grey matter': { t1: 1100, t2: 95, pd: 0.83 },
  'white matter': { t1: 650, t2: 75, pd: 0.7 },
  nuclei: { t1: 900, t2: 85, pd: 0.78 }, // deep grey matter: between grey and white
  lesion: { t1: 1400, t2: 180, pd: 0.88 }, // an MS-like lesion: dark on T1, bright on T2 and FLAIR
});

/** The four named acquisition settings (ms), in the order of the loop that other n sample. */
export const NAMED_SETTINGS = Object.freeze([
  { name: 'T1-like', tr: 500, te: 15, ti: 0 },
  { name: 'T2-like', tr: 4000, te: 100, ti: 0 },
  { name: 'PD-like', tr: 3000, te: 15, ti: 0 },
  // TI chosen to null CSF (e^(−TI/T1) = (1 + e^(−TR/T1))/2 at TI ≈ 2370 ms).
  { name: 'FLAIR-like', tr: 9000, te: 120, ti: 2400 },
] as const);

export interface ContrastSetting {
  name: string;
  tr: number;
  te: number;
  ti: number;
  /** Intensity per tissue class (TISSUES order), in [0, 1]. */
  intensities: Float64Array;
}

function checkOrder(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`contrast: the number of settings n must be a positive integer, got ${n}`);
}

function signal(tissue: { t1: number; t2: number; pd: number }, tr: number, te: number, ti: number): number {
  return tissue.pd * Math.abs(1 - 2 * Math.exp(-ti / tissue.t1) + Math.exp(-tr / tissue.t1)) * Math.exp(-te / tissue.t2);
}

const settingsCache = new Map<number, readonly ContrastSetting[]>();

/** The n settings of C_n, k = 0 … n − 1. */
export function contrastSettings(n: number): readonly ContrastSetting[] {
  checkOrder(n);
  const cached = settingsCache.get(n);
  if (cached) return cached;
  const loop = NAMED_SETTINGS.length;
  const settings = Array.from({ length: n }, (_, k): ContrastSetting => {
    const position = (loop * k) / n;
    const segment = Math.floor(position);
    const f = position - segment;
    const from = NAMED_SETTINGS[segment];
    const to = NAMED_SETTINGS[(segment + 1) % loop];
    const tr = from.tr + f * (to.tr - from.tr);
    const te = from.te + f * (to.te - from.te);
    const ti = from.ti + f * (to.ti - from.ti);
    const name = f === 0 ? from.name : `${Math.round(100 * (1 - f))}% ${from.name} / ${Math.round(100 * f)}% ${to.name}`;
    const raw = TISSUES.map((tissue) => signal(TISSUE_PARAMETERS[tissue], tr, te, ti));
    const brightest = Math.max(...raw);
    return { name, tr, te, ti, intensities: Float64Array.from(raw, (s) => s / brightest) };
  });
  const frozen = Object.freeze(settings);
  settingsCache.set(n, frozen);
  return frozen;
}

// ---- Anatomy ---------------------------------------------------------------------------------
// Geometry in head coordinates: (u, v) in [−1, 1]² across the image, v downward. The head is a
// tilted ellipse whose boundary wobbles with a few low harmonics; shells inside it (scalp, skull,
// CSF, cortex) are fractions of the head radius along each direction, so they follow the same
// wobble. The grey/white boundary adds higher harmonics (a hint of gyri).

interface Harmonic {
  m: number;
  amplitude: number;
  phase: number;
}

interface Blob {
  u: number;
  v: number;
  /** Semi-axes and tilt of an ellipse, or a radius with harmonics for a star-shaped blob. */
  a: number;
  b: number;
  tilt: number;
  wobble: Harmonic[];
}

export interface Phantom {
  id: number;
  centreU: number;
  centreV: number;
  semiU: number;
  semiV: number;
  tilt: number;
  headWobble: Harmonic[];
  /** Outer radii, as fractions of the head radius, of skull, CSF and brain. */
  skull: number;
  csf: number;
  brain: number;
  /** The white matter's radius as a fraction of the brain's, before the gyral harmonics. */
  white: number;
  gyri: Harmonic[];
  ventricles: Blob[];
  nuclei: Blob[];
  lesions: Blob[];
}

// The phantom stream's first key word: "phan" in ASCII, so phantoms do not share streams with
// other users of the same id.
const PHANTOM_KEY = 0x7068616e;

function harmonics(random: UniformStream, ms: number[], lo: number, hi: number): Harmonic[] {
  return ms.map((m) => ({ m, amplitude: random.between(lo, hi), phase: random.between(0, 2 * Math.PI) }));
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new Error(`contrast: phantom id ${id} must be an integer in [0, 2^32)`);
}

/** The random anatomy of phantom `id`: the same numbers on every call and every machine. */
export function phantom(id: number): Phantom {
  checkId(id);
  const random = new UniformStream(PHANTOM_KEY, id);
  const scalp = random.between(0.05, 0.08);
  const skull = 1 - scalp;
  const csf = skull - random.between(0.05, 0.08);
  const brain = csf - random.between(0.025, 0.05);
  const p: Phantom = {
    id,
    centreU: random.between(-0.03, 0.03),
    centreV: random.between(-0.03, 0.03),
    semiU: random.between(0.74, 0.84),
    semiV: random.between(0.86, 0.95),
    tilt: random.between(-0.12, 0.12),
    headWobble: harmonics(random, [2, 3, 4, 5], 0, 0.025),
    skull,
    csf,
    brain,
    white: random.between(0.68, 0.78),
    gyri: harmonics(random, [7 + random.integer(3), 10 + random.integer(3), 13 + random.integer(3)], 0.025, 0.05),
    ventricles: [],
    nuclei: [],
    lesions: [],
  };
  // Lateral ventricles: a mirror-symmetric pair about the head's midline, top ends apart.
  const vu = random.between(0.07, 0.13);
  const vv = random.between(-0.16, 0.02);
  const va = random.between(0.05, 0.1);
  const vb = random.between(0.15, 0.27);
  const vt = random.between(0.1, 0.4);
  p.ventricles.push({ u: -vu, v: vv, a: va, b: vb, tilt: vt, wobble: [] }, { u: vu, v: vv, a: va, b: vb, tilt: -vt, wobble: [] });
  // Deep-grey nuclei: 1–3 random star-shaped blobs inside the white matter.
  const nucleusCount = 1 + random.integer(3);
  for (let i = 0; i < nucleusCount; i++) {
    const r = random.between(0.1, 0.4);
    const angle = random.between(0, 2 * Math.PI);
    const radius = random.between(0.07, 0.13);
    p.nuclei.push({ u: r * Math.cos(angle), v: r * Math.sin(angle), a: radius, b: radius, tilt: 0, wobble: harmonics(random, [2, 3], 0, 0.25) });
  }
  // Lesions: 0–4 small ellipses in the white matter.
  const lesionCount = random.integer(5);
  for (let i = 0; i < lesionCount; i++) {
    const r = random.between(0.15, 0.5);
    const angle = random.between(0, 2 * Math.PI);
    const a = random.between(0.035, 0.08);
    p.lesions.push({ u: r * Math.cos(angle), v: r * Math.sin(angle), a, b: a * random.between(0.5, 1), tilt: random.between(0, Math.PI), wobble: [] });
  }
  return p;
}

const wobble = (harmonicsList: Harmonic[], phi: number): number => {
  let r = 1;
  for (const h of harmonicsList) r += h.amplitude * Math.cos(h.m * phi + h.phase);
  return r;
};

function insideBlob(blob: Blob, u: number, v: number): boolean {
  const du = u - blob.u;
  const dv = v - blob.v;
  const c = Math.cos(blob.tilt);
  const s = Math.sin(blob.tilt);
  const x = (c * du + s * dv) / blob.a;
  const y = (-s * du + c * dv) / blob.b;
  const r2 = x * x + y * y;
  if (blob.wobble.length === 0) return r2 <= 1;
  const bound = wobble(blob.wobble, Math.atan2(y, x));
  return r2 <= bound * bound;
}

/**
 * The tissue class at a point (u, v) of phantom `p`'s image plane: the definition, written for
 * reading (compilePhantom computes the same classes about 10× faster, and the tests compare them).
 */
export function tissueAt(p: Phantom, u: number, v: number): number {
  // Into the head's own frame: centred, untilted, the ellipse made a unit circle.
  const du = u - p.centreU;
  const dv = v - p.centreV;
  const c = Math.cos(p.tilt);
  const s = Math.sin(p.tilt);
  const hu = c * du + s * dv;
  const hv = -s * du + c * dv;
  const x = hu / p.semiU;
  const y = hv / p.semiV;
  const phi = Math.atan2(y, x);
  const rho = Math.hypot(x, y) / wobble(p.headWobble, phi);
  if (rho > 1) return BACKGROUND;
  if (rho > p.skull) return SCALP;
  if (rho > p.csf) return SKULL;
  if (rho > p.brain) return CSF;
  // Blobs live in head coordinates (hu, hv), so they tilt with the head.
  for (const blob of p.ventricles) if (insideBlob(blob, hu, hv)) return CSF;
  for (const blob of p.lesions) if (insideBlob(blob, hu, hv)) return LESION;
  for (const blob of p.nuclei) if (insideBlob(blob, hu, hv)) return NUCLEI;
  return rho > p.brain * p.white * wobble(p.gyri, phi) ? GREY : WHITE;
}

// ---- The same classes, fast: trigonometry of fixed angles done once per phantom, harmonics
// cos(mφ + phase) from powers of e^{iφ} = (x + iy)/r instead of atan2 and cos, and blobs skipped
// by a bounding circle. Measured: 8 ms per 32×32 phantom (16 samples per pixel) the direct way,
// under 1 ms this way (bench/groupdata.ts).

interface FastHarmonics {
  top: number;
  /** amplitude·cos(phase) and amplitude·sin(phase), indexed by m (0 where m is absent). */
  a: Float64Array;
  b: Float64Array;
}

function fastHarmonics(list: Harmonic[]): FastHarmonics {
  const top = Math.max(0, ...list.map((h) => h.m));
  const a = new Float64Array(top + 1);
  const b = new Float64Array(top + 1);
  for (const h of list) {
    a[h.m] += h.amplitude * Math.cos(h.phase);
    b[h.m] += h.amplitude * Math.sin(h.phase);
  }
  return { top, a, b };
}

/** 1 + Σ amplitude·cos(mφ + phase), given cos φ and sin φ. */
function harmonicRadius(h: FastHarmonics, cos: number, sin: number): number {
  let r = 1;
  let cm = 1;
  let sm = 0;
  for (let m = 1; m <= h.top; m++) {
    const c = cm * cos - sm * sin;
    sm = sm * cos + cm * sin;
    cm = c;
    r += h.a[m] * cm - h.b[m] * sm;
  }
  return r;
}

interface FastBlob {
  u: number;
  v: number;
  cos: number;
  sin: number;
  invA: number;
  invB: number;
  reach2: number;
  wobble: FastHarmonics | undefined;
}

function fastBlob(blob: Blob): FastBlob {
  const swell = 1 + blob.wobble.reduce((sum, h) => sum + Math.abs(h.amplitude), 0);
  const reach = Math.max(blob.a, blob.b) * swell;
  return {
    u: blob.u,
    v: blob.v,
    cos: Math.cos(blob.tilt),
    sin: Math.sin(blob.tilt),
    invA: 1 / blob.a,
    invB: 1 / blob.b,
    reach2: reach * reach * (1 + 1e-9),
    wobble: blob.wobble.length > 0 ? fastHarmonics(blob.wobble) : undefined,
  };
}

function insideFastBlob(blob: FastBlob, u: number, v: number): boolean {
  const du = u - blob.u;
  const dv = v - blob.v;
  if (du * du + dv * dv > blob.reach2) return false;
  const x = (blob.cos * du + blob.sin * dv) * blob.invA;
  const y = (-blob.sin * du + blob.cos * dv) * blob.invB;
  const r2 = x * x + y * y;
  if (!blob.wobble) return r2 <= 1;
  if (r2 === 0) return true;
  const r = Math.sqrt(r2);
  const bound = harmonicRadius(blob.wobble, x / r, y / r);
  return r2 <= bound * bound;
}

/** tissueAt for one phantom, with everything that does not depend on the point worked out once. */
export function compilePhantom(p: Phantom): (u: number, v: number) => number {
  const cos = Math.cos(p.tilt);
  const sin = Math.sin(p.tilt);
  const invU = 1 / p.semiU;
  const invV = 1 / p.semiV;
  const head = fastHarmonics(p.headWobble);
  const gyri = fastHarmonics(p.gyri);
  const ventricles = p.ventricles.map(fastBlob);
  const lesions = p.lesions.map(fastBlob);
  const nuclei = p.nuclei.map(fastBlob);
  const whiteScale = p.brain * p.white;
  return (u, v) => {
    const du = u - p.centreU;
    const dv = v - p.centreV;
    const hu = cos * du + sin * dv;
    const hv = -sin * du + cos * dv;
    const x = hu * invU;
    const y = hv * invV;
    const r = Math.sqrt(x * x + y * y);
    // At the very centre φ is undefined; atan2(0, 0) = 0 in the reference, i.e. cos φ = 1.
    const cphi = r === 0 ? 1 : x / r;
    const sphi = r === 0 ? 0 : y / r;
    const rho = r / harmonicRadius(head, cphi, sphi);
    if (rho > 1) return BACKGROUND;
    if (rho > p.skull) return SCALP;
    if (rho > p.csf) return SKULL;
    if (rho > p.brain) return CSF;
    for (const blob of ventricles) if (insideFastBlob(blob, hu, hv)) return CSF;
    for (const blob of lesions) if (insideFastBlob(blob, hu, hv)) return LESION;
    for (const blob of nuclei) if (insideFastBlob(blob, hu, hv)) return NUCLEI;
    return rho > whiteScale * harmonicRadius(gyri, cphi, sphi) ? GREY : WHITE;
  };
}

/** Samples per pixel side when measuring tissue fractions (16 per pixel). */
const SUPERSAMPLE = 4;

export interface Anatomy {
  id: number;
  size: number;
  /** [tissue, row, col]: the fraction of each pixel covered by each tissue class (sums to 1). */
  fractions: Float32Array;
  /** [row, col]: the tissue covering most of each pixel (the lower class on a tie). */
  classMap: Uint8Array;
}

/** Phantom `id`'s tissue fractions and class map at `size`×`size` pixels (setting-independent). */
export function anatomy(id: number, size = CONTRAST_SIZE): Anatomy {
  if (!Number.isInteger(size) || size < 1) throw new Error(`contrast: image size must be a positive integer, got ${size}`);
  const tissue = compilePhantom(phantom(id));
  const pixels = size * size;
  const fractions = new Float32Array(TISSUE_COUNT * pixels);
  const classMap = new Uint8Array(pixels);
  const counts = new Int32Array(TISSUE_COUNT);
  const share = 1 / (SUPERSAMPLE * SUPERSAMPLE);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      counts.fill(0);
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        const v = (2 * (row + (sy + 0.5) / SUPERSAMPLE)) / size - 1;
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const u = (2 * (col + (sx + 0.5) / SUPERSAMPLE)) / size - 1;
          counts[tissue(u, v)]++;
        }
      }
      let best = 0;
      for (let t = 0; t < TISSUE_COUNT; t++) {
        fractions[t * pixels + row * size + col] = counts[t] * share;
        if (counts[t] > counts[best]) best = t;
      }
      classMap[row * size + col] = best;
    }
  }
  return { id, size, fractions, classMap };
}

/** Checks k and returns the setting list of C_n. */
function settingOf(setting: number, n: number): ContrastSetting {
  const settings = contrastSettings(n);
  if (!Number.isInteger(setting) || setting < 0 || setting >= n) throw new Error(`contrast: setting ${setting} is out of range: expected an integer in [0, ${n - 1}]`);
  return settings[setting];
}

/** Writes an anatomy rendered under setting k of n into `into` at `offset` (fresh when omitted). */
export function renderAnatomy(body: Anatomy, setting: number, n: number, into?: Float32Array, offset = 0): Float32Array {
  const { intensities } = settingOf(setting, n);
  const pixels = body.size * body.size;
  const out = into ?? new Float32Array(pixels);
  if (!Number.isInteger(offset) || offset < 0 || offset + pixels > out.length) {
    throw new Error(`contrast: offset ${offset} does not leave room for ${pixels} pixels in an array of length ${out.length}`);
  }
  for (let i = 0; i < pixels; i++) {
    let value = 0;
    for (let t = 1; t < TISSUE_COUNT; t++) value += body.fractions[t * pixels + i] * intensities[t];
    out[offset + i] = value;
  }
  return out;
}

/** Phantom `id` under setting k of n, at 32×32 (or `size`). */
export function renderContrast(id: number, setting: number, n: number, size = CONTRAST_SIZE): Float32Array {
  return renderAnatomy(anatomy(id, size), setting, n);
}

/** g = j ∈ C_n acting on setting k: k + j mod n. */
export function moveSetting(setting: number, j: number, n: number): number {
  checkOrder(n);
  if (!Number.isInteger(setting) || !Number.isInteger(j)) throw new Error(`contrast: setting ${setting} and group element ${j} must be integers`);
  return (((setting + j) % n) + n) % n;
}
