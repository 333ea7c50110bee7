// A seeded counter-based random number generator: Threefry-2x32 with 20 rounds (Salmon et al.
// 2011, "Parallel random numbers: as easy as 1, 2, 3"; the generator JAX uses). Element i of a
// draw is a pure function of (key, counter + i), made of 32-bit adds, xors and rotations only, so
// the cpu loop and the WGSL program give the same words bit for bit. `Rng` keeps the key and a
// host-side counter: every draw takes a fresh range of counters, so a run's random numbers follow
// from its seed alone, on either backend, and `state()` is all a checkpoint needs to resume them.
import { WORKGROUP_1D, bindings, f32Bits, f32Literal, grid1dCounts, gridIndex, uniformDeclaration, uniformFloat, uniformWord, type Kernel } from '../backend.ts';
import { assertShape, describeShape, sizeOf } from '../shape.ts';
import { Tensor, apply } from '../tensor.ts';

// ---- Threefry-2x32-20, written once for the host and once as WGSL ------------------------------

/** Rotation distances of Threefry-2x32, one per round, repeating every 8 rounds. */
const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
const ROUNDS = 20;
/** Threefish's key-schedule parity constant. */
const PARITY = 0x1bd11bda;

/** Threefry-2x32-20 of counter (c0, c1) under key (k0, k1): two uint32 words. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (PARITY ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let r = 0; r < ROUNDS; r++) {
    const bits = ROTATIONS[r % 8];
    x0 = (x0 + x1) >>> 0;
    x1 = ((x1 << bits) | (x1 >>> (32 - bits))) ^ x0;
    x1 >>>= 0;
    // Every 4 rounds the key schedule is injected, with the injection's number added to word 1.
    if (r % 4 === 3) {
      const s = (r + 1) / 4;
      x0 = (x0 + ks[s % 3]) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3] + s) >>> 0;
    }
  }
  return [x0, x1];
}

/** The same function in WGSL (u32 arithmetic wraps), unrolled from the same table. */
function threefryWgsl(): string {
  const lines: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const bits = ROTATIONS[r % 8];
    lines.push(`x0 += x1; x1 = ((x1 << ${bits}u) | (x1 >> ${32 - bits}u)) ^ x0;`);
    if (r % 4 === 3) {
      const s = (r + 1) / 4;
      lines.push(`x0 += ks${s % 3}; x1 += ks${(s + 1) % 3} + ${s}u;`);
    }
  }
  return `fn threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2u {
  let ks0 = k0;
  let ks1 = k1;
  let ks2 = ${PARITY}u ^ k0 ^ k1;
  var x0 = c0 + ks0;
  var x1 = c1 + ks1;
  ${lines.join('\n  ')}
  return vec2u(x0, x1);
}`;
}

// ---- from words to numbers ------------------------------------------------------------------

const TWO_POW_24 = 16777216;
const TWO_POW_32 = 4294967296;
/** 2^-24: a 24-bit integer times this is exactly representable in float32. */
const ULP24 = 1 / TWO_POW_24;

/** Uniform in [0, 1) from the top 24 bits of a word: exact in float32, so identical on both backends. */
function unitInterval(word: number): number {
  return (word >>> 8) * ULP24;
}

/**
 * A standard normal by Box–Muller from both words: u1 ∈ (0, 1] keeps the log finite. Only the
 * cosine branch is used, so each element depends on its own counter alone. The log is taken as
 * log1p(-t) of t = 1 - u1 (exact), because near u1 = 1 a plain log loses all relative accuracy.
 */
function standardNormal(w0: number, w1: number): number {
  const t = (0xffffff - (w0 >>> 8)) * ULP24;
  const u2 = (w1 >>> 8) * ULP24;
  return Math.sqrt(-2 * Math.log1p(-t)) * Math.cos(2 * Math.PI * u2);
}

/**
 * -log(1 - t) in WGSL, which has no log1p and whose log may err by 2^-21 absolutely near 1 (WGSL's
 * accuracy bound): for t < 1/16 a series with a relative error below 3e-8 replaces it.
 */
function negLog1mWgsl(t: string): string {
  const series = `${t} * (1.0 + ${t} * (0.5 + ${t} * (${f32Literal(1 / 3)} + ${t} * (0.25 + ${t} * (0.2 + ${t} * ${f32Literal(1 / 6)})))))`;
  return `select(-log(1.0 - ${t}), ${series}, ${t} < 0.0625)`;
}

// ---- the fill kernel ------------------------------------------------------------------------

type Distribution = 'uniform' | 'normal';

interface RandomParams {
  n: number;
  distribution: Distribution;
  /** Threefry key, the first counter (as two words) and the affine map shift + scale·value. */
  k0: number;
  k1: number;
  c0: number;
  c1: number;
  shift: number;
  scale: number;
}

// One compiled pipeline per distribution serves every draw: the key, counter, size and affine map
// travel as uniform words.
const randomKernel: Kernel<RandomParams> = {
  name: 'random',
  key: (p) => p.distribution,
  uniforms: (p) => [p.n, p.k0, p.k1, p.c0, p.c1, f32Bits(p.shift), f32Bits(p.scale)],
  workgroups: (p, traits) => grid1dCounts(p.n, traits),
  cpu: (_inputs, [out], p) => {
    const first = p.c0 + p.c1 * TWO_POW_32;
    for (let i = 0; i < p.n; i++) {
      const c = first + i;
      const [w0, w1] = threefry2x32(p.k0, p.k1, c >>> 0, Math.floor(c / TWO_POW_32) >>> 0);
      out[i] = p.shift + p.scale * (p.distribution === 'uniform' ? unitInterval(w0) : standardNormal(w0, w1));
    }
  },
  wgsl: (p, traits) => {
    const ulp = f32Literal(ULP24);
    const value =
      p.distribution === 'uniform'
        ? `f32(w.x >> 8u) * ${ulp}`
        : `sqrt(2.0 * ${negLog1mWgsl('t')}) * cos(${f32Literal(2 * Math.PI)} * (f32(w.y >> 8u) * ${ulp}))`;
    return {
      code: `${bindings([], ['out'])}
${uniformDeclaration(1, 7)}
${threefryWgsl()}
@compute @workgroup_size(${WORKGROUP_1D}) fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = ${gridIndex(traits)};
  if (i >= ${uniformWord(0)}) { return; }
  let first = ${uniformWord(3)};
  let c0 = first + i;
  let c1 = ${uniformWord(4)} + select(0u, 1u, c0 < first);
  let w = threefry(${uniformWord(1)}, ${uniformWord(2)}, c0, c1);
  let t = f32(${0xffffff}u - (w.x >> 8u)) * ${ulp};
  out[i] = ${uniformFloat(5)} + ${uniformFloat(6)} * (${value});
}`,
    };
  },
};

// ---- the generator --------------------------------------------------------------------------

/** Everything needed to resume a stream exactly: plain numbers, safe to write as JSON. */
export interface RngState {
  /** The two uint32 words of the Threefry key. */
  key: [number, number];
  /** The next unused counter (a non-negative integer below 2^53). */
  counter: number;
}

const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

function isWord(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < TWO_POW_32;
}

/**
 * A reproducible stream of random tensors. Each call takes the next range of counters, so the
 * sequence of draws depends only on the seed (and is the same on cpu and webgpu: uniforms bit for
 * bit, normals to within float32 rounding of log and cos). Random tensors carry no gradient.
 */
export class Rng {
  private k0: number;
  private k1: number;
  private counter = 0;
  /** Set on a view made by `rows`: the rows it draws of each draw of `total` rows, and whose counter it advances. */
  private window: { start: number; total: number; parent: Rng } | null = null;

  /** `seed` is an integer in [0, 2^53); its low and high 32 bits are the key, as in JAX. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Rng: the seed must be an integer in [0, 2^53), got ${seed}`);
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / TWO_POW_32) >>> 0;
  }

  /** Reserves `count` counters and returns the first. */
  private take(op: string, count: number): number {
    const first = this.counter;
    if (first + count > MAX_COUNTER) throw new Error(`Rng.${op}: the stream is exhausted (2^53 counters used); split() for a fresh key`);
    this.counter = first + count;
    return first;
  }

  private fill(op: string, distribution: Distribution, shape: readonly number[], shift: number, scale: number): Tensor {
    assertShape(`Rng.${op}`, shape);
    const n = sizeOf(shape);
    let first: number;
    const w = this.window;
    if (w) {
      // Rows [start, start + rows) of a draw of `total` rows: the parent moves on by the whole draw.
      const rows = shape[0] ?? 1;
      if (shape.length === 0 || w.start + rows > w.total) throw new Error(`Rng.${op}: a view from row ${w.start} of ${w.total} (Rng.rows) draws [rows, …] with 1 ≤ rows ≤ ${w.total - w.start}, got ${describeShape(shape)}`);
      const perRow = rows === 0 ? 0 : n / rows;
      first = w.parent.take(op, w.total * perRow) + w.start * perRow;
    } else first = this.take(op, n);
    const params: RandomParams = { n, distribution, k0: this.k0, k1: this.k1, c0: first >>> 0, c1: Math.floor(first / TWO_POW_32) >>> 0, shift, scale };
    return apply(op, [], shape, randomKernel, params);
  }

  /**
   * Uniform in [lo, hi) (float32 rounding of lo + (hi - lo)·u can reach hi). With the default
   * [0, 1) each value is exactly k·2^-24, identical on every backend.
   */
  uniform(shape: readonly number[], lo = 0, hi = 1): Tensor {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new Error(`Rng.uniform: needs finite lo < hi, got [${lo}, ${hi}) for shape ${describeShape(shape)}`);
    return this.fill('uniform', 'uniform', shape, lo, hi - lo);
  }

  /** Normal with the given mean and standard deviation (Box–Muller). */
  normal(shape: readonly number[], mean = 0, std = 1): Tensor {
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) throw new Error(`Rng.normal: needs a finite mean and std ≥ 0, got mean ${mean}, std ${std} for shape ${describeShape(shape)}`);
    return this.fill('normal', 'normal', shape, mean, std);
  }

  /**
   * A view of this stream for one shard of a batch: each draw of shape [rows, …] gives rows
   * [start, start + rows) of what a draw of [total, …] would have given here, and this stream moves
   * on by the whole draw. Shards of one batch drawing through views of the same state get the
   * noise the whole batch would have (data parallelism with the same losses as one thread).
   */
  rows(start: number, total: number): Rng {
    if (!Number.isInteger(start) || !Number.isInteger(total) || start < 0 || start >= total) throw new Error(`Rng.rows: needs 0 ≤ start < total (integers), got start ${start}, total ${total}`);
    const view = new Rng(0).restore(this.state());
    view.window = { start, total, parent: this };
    return view;
  }

  /**
   * A uniformly random permutation of 0 … n-1, by Fisher–Yates on the host. Each swap draws a
   * 53-bit fraction from both words of one counter (the bias of flooring it is below n·2^-53).
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`Rng.permutation: n must be an integer in [0, 2^31), got ${n}`);
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    if (this.window) throw new Error('Rng.permutation: not available on a view of rows (Rng.rows)');
    const first = this.take('permutation', Math.max(n - 1, 0));
    for (let i = n - 1, c = first; i > 0; i--, c++) {
      const [w0, w1] = threefry2x32(this.k0, this.k1, c >>> 0, Math.floor(c / TWO_POW_32) >>> 0);
      const fraction = (w0 * 2097152 + (w1 >>> 11)) / 9007199254740992; // (32 + 21 bits) / 2^53
      const j = Math.floor(fraction * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  /**
   * A new, independent generator whose key is this stream's output at one fresh counter (so the
   * parent moves on by one, and the child starts at counter 0).
   */
  split(): Rng {
    if (this.window) throw new Error('Rng.split: not available on a view of rows (Rng.rows)');
    const c = this.take('split', 1);
    const [w0, w1] = threefry2x32(this.k0, this.k1, c >>> 0, Math.floor(c / TWO_POW_32) >>> 0);
    return new Rng(0).restore({ key: [w0, w1], counter: 0 });
  }

  state(): RngState {
    return { key: [this.k0, this.k1], counter: this.counter };
  }

  /** Continues exactly where the generator that produced `state` stood. Returns this generator. */
  restore(state: RngState): this {
    const key = state?.key;
    if (!Array.isArray(key) || key.length !== 2 || !isWord(key[0]) || !isWord(key[1]) || !Number.isSafeInteger(state.counter) || state.counter < 0) {
      throw new Error(`Rng.restore: expected { key: [uint32, uint32], counter: integer in [0, 2^53) }, got ${JSON.stringify(state)}`);
    }
    this.k0 = key[0];
    this.k1 = key[1];
    this.counter = state.counter;
    return this;
  }
}
