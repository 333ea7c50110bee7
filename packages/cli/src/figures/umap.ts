// UMAP (umap-js) with a seeded generator, so that an embedding is the same every time it is
// computed: the server's latent map (in a worker, server/umap-worker.ts) and the results' latent
// maps (experiments/results.ts, in process) both go through here.
import { UMAP } from 'umap-js';

export interface UmapOptions {
  nNeighbors: number;
  nComponents: number;
  seed: number;
}

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The points of `data` (one row each) embedded in `nComponents` dimensions. */
export function umapEmbed(data: number[][], options: UmapOptions): number[][] {
  if (data.length < 3) throw new Error(`UMAP needs at least 3 points, got ${data.length}`);
  const nNeighbors = Math.min(options.nNeighbors, data.length - 1);
  return new UMAP({ nComponents: options.nComponents, nNeighbors, random: seededRandom(options.seed) }).fit(data);
}
