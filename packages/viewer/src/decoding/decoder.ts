// What the views ask of a decoder, whichever computes it: the browser's own GPU through
// packages/tensor and packages/model, or the server's API. Indices are images of the run's data
// set (dSprites, or a pair run's images, index = source·steps + k); for a VAE the pivot is ignored
// (its decoder needs none). For a model that takes a known group element g (latent-action,
// flow-action) a code is g itself: one number (an angle, j of C_n), or a unit quaternion
// [w, x, y, z] for SO(3); D([g], x) is x acted on by g.
import type { ModelTraits } from '../api.ts';
import type { Img } from '../lib/images.ts';

export interface Code {
  /** The transformation from pivot to varying image (MAGANet), or μ of the image (VAE). */
  z: number[];
  /** Its decode: the deterministic reconstruction of the varying image. */
  image: Img;
}

export interface TraverseResult {
  /** The base code. */
  z: number[];
  /** Per component, the swept values. */
  values: number[][];
  /** Per component, per step. */
  images: Img[][];
}

export interface GroupLawResult {
  input: Img;
  /** D(0, x), against x. */
  identity: Img;
  identityError: number;
  /** D(z₂, D(z₁, x)), against D(z₁ + z₂, x). */
  sequential: Img;
  combined: Img;
  compositionError: number;
  /** D(−z₁, D(z₁, x)), against x. */
  roundTrip: Img;
  inverseError: number;
}

export interface Decoder {
  /** The run whose model this is: a view checks it is its own run's before it decodes. */
  readonly run: string;
  readonly kind: 'webgpu' | 'server';
  /** What the indicator shows, e.g. "decoding on WebGPU (SwiftShader)". */
  readonly label: string;
  /** Why this decoder was chosen when it is a fallback, e.g. "this browser has no WebGPU". */
  readonly note?: string;
  readonly model: string;
  /** What the model's decoder does (from the registry in packages/model, through the API). */
  readonly traits: ModelTraits;
  /** Numbers per code z (or group element g) the decoder takes. */
  readonly latentDim: number;
  code(pivot: number, varying: number): Promise<Code>;
  /** D(z, pivot) for each z. */
  decode(zs: number[][], pivot: number): Promise<Img[]>;
  /** Each component swept over `steps` values within ±range of its value, the others fixed. */
  traverse(pivot: number, varying: number, range: number, steps: number): Promise<TraverseResult>;
  /**
   * The transformation of the source pair applied to each target: D(z, target) for MAGANet; for a
   * VAE, the latent arithmetic μ(target) + μ(varying) − μ(pivot) as its analogue.
   */
  transfer(source: { pivot: number; varying: number }, targets: number[]): Promise<{ z: number[]; images: Img[] }>;
  /** The group laws with z₁ and z₂ (absent for models without a group action on the decoder). */
  groupLaws?(pivot: number, z1: number[], z2: number[]): Promise<GroupLawResult>;
  /**
   * The recombination's swap, pairwise (models whose latent has invariant and varying parts):
   * decoded from a's invariant part with b's varying part, and from b's with a's.
   */
  swap?(pairs: [number, number][]): Promise<{ aWithB: Img[]; bWithA: Img[] }>;
  /** Frees the model (after any computation in flight); later calls are refused. */
  dispose(): void;
}

/** z with `offsets` added, component by component. */
export function offsetCode(z: readonly number[], offsets: readonly number[]): number[] {
  return z.map((v, i) => v + (offsets[i] ?? 0));
}

/** The values a traversal sweeps for one component: `steps` evenly spaced in [v − range, v + range]. */
export function sweep(value: number, range: number, steps: number): number[] {
  if (steps === 1) return [value];
  return Array.from({ length: steps }, (_, j) => value - range + (2 * range * j) / (steps - 1));
}

/** Every code of a traversal grid, row-major (component, step), with the swept values. */
export function traversalCodes(z: readonly number[], range: number, steps: number): { values: number[][]; codes: number[][] } {
  const values = z.map((v) => sweep(v, range, steps));
  const codes = values.flatMap((row, i) => row.map((v) => z.map((w, k) => (k === i ? v : w))));
  return { values, codes };
}

/** A short adapter name from GPUAdapterInfo, e.g. "SwiftShader", "NVIDIA GeForce RTX 4090". */
export function adapterName(info: { vendor?: string; architecture?: string; device?: string; description?: string }): string {
  const text = [info.description, info.device, info.vendor, info.architecture].filter(Boolean).join(' ');
  if (/swiftshader/i.test(text)) return 'SwiftShader';
  if (/llvmpipe|lavapipe/i.test(text)) return 'lavapipe';
  if (info.description) return info.description;
  const parts = [info.vendor, info.architecture].filter(Boolean);
  return parts.length ? parts.join(' ') : "this browser's GPU";
}
