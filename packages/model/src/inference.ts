// What a trained model does with a data set's images, for whoever shows it: encode them,
// reconstruct them, decode codes applied to a pivot, sweep code components, carry one pair's
// transformation over to other images, and the group laws. The server (cli/src/latent.ts) and the
// viewer's in-browser decoder both use this, on their own device. Images are named by their index
// in `images` and come back as flat Float32Arrays of raw decoded pixels (callers clamp for show).
import * as T from '@maga/tensor';
import type { Model, PreparedDecoder } from './models/model.ts';

/** A data set's images by index, rendered on the host. */
export interface ImageSource {
  /** [channels, height, width] of one image. */
  shape: readonly [number, number, number];
  render(indices: readonly number[]): Float32Array;
}

export interface GroupLawResult {
  input: Float32Array;
  /** D(e, x), against x. */
  identity: Float32Array;
  identityError: number;
  /** D(z₂, D(z₁, x)), against D(z₂·z₁, x). */
  sequential: Float32Array;
  combined: Float32Array;
  compositionError: number;
  /** D(z₁⁻¹, D(z₁, x)), against x. */
  roundTrip: Float32Array;
  inverseError: number;
}

export interface TraversalResult {
  /** The base code. */
  z: Float32Array;
  /** Per component: the swept values. */
  values: number[][];
  /** Per component, per value: the decoded image. */
  images: Float32Array[][];
}

/** `steps` evenly spaced values in [value − range, value + range] (the value itself for one step). */
export function sweep(value: number, range: number, steps: number): number[] {
  if (steps === 1) return [value];
  return Array.from({ length: steps }, (_, k) => value - range + (2 * range * k) / (steps - 1));
}

export const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

async function read(t: T.Tensor): Promise<Float32Array> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}

export class Inference {
  readonly pixels: number;
  readonly codeDim: number;
  /** The decoder fixed to the last single pivot used: a slider drag decodes without redoing it. */
  private cached: { pivot: number; decoder: PreparedDecoder } | null = null;

  constructor(
    readonly model: Model,
    readonly images: ImageSource,
    /** Images per device batch: bounds device memory whatever a caller asks for. */
    readonly chunk = 64,
  ) {
    const [c, h, w] = images.shape;
    if (c !== model.config.channels || h !== model.config.imageSize || w !== model.config.imageSize) {
      throw new Error(`inference: the images are ${c}×${h}×${w}, the ${model.traits.label} model takes ${model.config.channels}×${model.config.imageSize}×${model.config.imageSize}`);
    }
    this.pixels = c * h * w;
    this.codeDim = model.codeDim;
  }

  private tensor(indices: readonly number[]): T.Tensor {
    return T.tensor(this.images.render(indices), [indices.length, ...this.images.shape]);
  }

  /** The pivot tensor a model takes (null for models that decode a code alone). */
  private pivotTensor(pivot: number): T.Tensor | null {
    return this.model.traits.pivot ? this.tensor([pivot]) : null;
  }

  /** Runs `compute` on successive chunks of `count` items and concatenates the host results. */
  private async chunked(count: number, width: number, compute: (start: number, end: number) => T.Tensor): Promise<Float32Array> {
    const out = new Float32Array(count * width);
    for (let start = 0; start < count; start += this.chunk) {
      const end = Math.min(count, start + this.chunk);
      out.set(await read(T.noGrad(() => T.tidy(() => compute(start, end)))), start * width);
    }
    return out;
  }

  /** The encoder's output for each image: μ [n·dim], and log σ² [n·dim] when the encoder is Gaussian. */
  async encode(indices: readonly number[]): Promise<{ mu: Float32Array; logVar: Float32Array | null; dim: number }> {
    const mus: Float32Array[] = [];
    const logVars: Float32Array[] = [];
    let dim = 0;
    for (let start = 0; start < indices.length; start += this.chunk) {
      const { mu, logVar } = T.noGrad(() =>
        T.tidy(() => {
          const e = this.model.encode(this.tensor(indices.slice(start, start + this.chunk)));
          return { mu: e.mu.flatten(1), logVar: e.logVar?.flatten(1) ?? null };
        }),
      );
      dim = mu.shape[1];
      mus.push(await read(mu));
      if (logVar) logVars.push(await read(logVar));
    }
    const join = (parts: Float32Array[]) => {
      const out = new Float32Array(indices.length * dim);
      parts.reduce((offset, p) => (out.set(p, offset), offset + p.length), 0);
      return out;
    };
    return { mu: join(mus), logVar: logVars.length > 0 ? join(logVars) : null, dim };
  }

  /** Each image's code z [n·codeDim] relative to `pivot` (see Model.code). */
  async codes(pivot: number, indices: readonly number[]): Promise<Float32Array> {
    return this.chunked(indices.length, this.codeDim, (start, end) => this.model.code(this.tensor(indices.slice(start, end)), this.pivotTensor(pivot)));
  }

  private prepared(pivot: number): PreparedDecoder {
    if (this.cached?.pivot !== pivot) {
      this.cached?.decoder.dispose();
      this.cached = null;
      const decoder = T.noGrad(() => T.tidy(() => this.model.prepare(this.pivotTensor(pivot))));
      this.cached = { pivot, decoder };
    }
    return this.cached.decoder;
  }

  private rows(z: Float32Array): number {
    const n = z.length / this.codeDim;
    if (!Number.isInteger(n)) throw new Error(`decode: ${z.length} values are not a whole number of ${this.codeDim}-number codes`);
    return n;
  }

  /** D(z, pivot) for each row of z [n·codeDim]: [n·pixels]. */
  async decode(pivot: number, z: Float32Array): Promise<Float32Array> {
    const d = this.codeDim;
    const n = this.rows(z);
    const decoder = this.prepared(pivot);
    return this.chunked(n, this.pixels, (start, end) => decoder.decode(T.tensor(z.subarray(start * d, end * d), [end - start, d])));
  }

  /** D(z, x) with x each of `pivots` and z one code [codeDim] or one per pivot. */
  async decodeEach(pivots: readonly number[], z: Float32Array): Promise<Float32Array> {
    const d = this.codeDim;
    const n = this.rows(z);
    if (n !== 1 && n !== pivots.length) throw new Error(`decode: ${n} codes for ${pivots.length} pivots (give one code, or one per pivot)`);
    return this.chunked(pivots.length, this.pixels, (start, end) => {
      const codes = n === 1 ? T.tensor(z, [1, d]) : T.tensor(z.subarray(start * d, end * d), [end - start, d]);
      const decoder = this.model.prepare(this.model.traits.pivot ? this.tensor(pivots.slice(start, end)) : null);
      try {
        return decoder.decode(codes.broadcastTo([end - start, d]));
      } finally {
        decoder.dispose();
      }
    });
  }

  /**
   * Deterministic reconstructions and their codes: for a learned z, D(code(x), pivot); for a
   * known g, D(e, x), each image its own pivot.
   */
  async reconstruct(pivot: number, indices: readonly number[]): Promise<{ z: Float32Array; images: Float32Array }> {
    const z = await this.codes(pivot, indices);
    const images = this.model.traits.element === 'known' ? await this.decodeEach(indices, z) : await this.decode(pivot, z);
    return { z, images };
  }

  /** Sweeps each of `components` of the image's code over `steps` values within ±range, the others fixed. */
  async traverse(pivot: number, index: number, range: number, steps: number, components: readonly number[]): Promise<TraversalResult> {
    const d = this.codeDim;
    const base = this.model.traits.element === 'known' ? index : pivot;
    const z = await this.codes(base, [index]);
    const values = components.map((c) => sweep(z[c], range, steps));
    const rows = new Float32Array(components.length * steps * d);
    components.forEach((c, i) =>
      values[i].forEach((value, k) => {
        const row = rows.subarray((i * steps + k) * d, (i * steps + k + 1) * d);
        row.set(z);
        row[c] = value;
      }),
    );
    const decoded = await this.decode(base, rows);
    const px = this.pixels;
    const grid = components.map((_, i) => Array.from({ length: steps }, (_, k) => decoded.slice((i * steps + k) * px, (i * steps + k + 1) * px)));
    return { z, values, images: grid };
  }

  /**
   * The transformation of the pair (pivot → varying) applied to each target: D(z, target) for a
   * decoder that acts on images; for a VAE its latent arithmetic D(μ(target) + z) with
   * z = μ(varying) − μ(pivot).
   */
  async transfer(source: { pivot: number; varying: number }, targets: readonly number[]): Promise<{ z: Float32Array; images: Float32Array }> {
    const { transfer, label } = this.model.traits;
    if (transfer === 'action') {
      const z = await this.codes(source.pivot, [source.varying]);
      return { z, images: await this.decodeEach(targets, z) };
    }
    if (transfer === 'arithmetic') {
      const mu = await this.codes(source.pivot, [source.pivot, source.varying, ...targets]);
      const d = this.codeDim;
      const z = Float32Array.from({ length: d }, (_, k) => mu[d + k] - mu[k]);
      const moved = Float32Array.from(mu.subarray(2 * d), (v, i) => v + z[i % d]);
      return { z, images: await this.decode(source.pivot, moved) };
    }
    throw new Error(`transfer: a ${label} model has no transformation to carry over to other images`);
  }

  /**
   * The recombination's swap: for each pair (a, b), the image decoded from a's invariant part with
   * b's varying part, and the one from b's invariant part with a's varying part: [n·pixels] each.
   */
  async swap(pairs: readonly (readonly [number, number])[]): Promise<{ aWithB: Float32Array; bWithA: Float32Array }> {
    const { model } = this;
    const swapParts = model.swapParts?.bind(model);
    if (!model.traits.latentParts || !swapParts) throw new Error(`swap: a ${model.traits.label} model's latent has no invariant and varying parts`);
    const [as, bs] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    const aWithB = await this.chunked(pairs.length, this.pixels, (s, e) => swapParts(this.tensor(as.slice(s, e)), this.tensor(bs.slice(s, e))));
    const bWithA = await this.chunked(pairs.length, this.pixels, (s, e) => swapParts(this.tensor(bs.slice(s, e)), this.tensor(as.slice(s, e))));
    return { aWithB, bWithA };
  }

  /** The model's group laws with codes z₁, z₂ [codeDim] on a pivot, errors measured on the raw decodes. */
  async groupLaws(pivot: number, z1: Float32Array, z2: Float32Array): Promise<GroupLawResult> {
    const { model } = this;
    const laws = model.groupLaws?.bind(model);
    if (!model.traits.groupLaws || !laws) throw new Error(`group laws: a ${model.traits.label} model's decoder has no group action whose laws could be checked`);
    const d = this.codeDim;
    const [input, identity, sequential, combined, roundTrip] = await Promise.all(
      T.noGrad(() =>
        T.tidy(() => {
          const l = laws(this.tensor([pivot]), T.tensor(z1, [1, d]), T.tensor(z2, [1, d]));
          return [l.input, l.identity, l.sequential, l.combined, l.roundTrip];
        }),
      ).map(read),
    );
    return {
      input,
      identity,
      identityError: maxDifference(identity, input),
      sequential,
      combined,
      compositionError: maxDifference(sequential, combined),
      roundTrip,
      inverseError: maxDifference(roundTrip, input),
    };
  }

  dispose(): void {
    this.cached?.decoder.dispose();
    this.cached = null;
  }
}
