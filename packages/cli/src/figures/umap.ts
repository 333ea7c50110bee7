// UMAP (umap-js) with a seeded generator (@maga/model's UniformStream), so that an embedding is
// the same every time it is computed: the server's latent map (in a worker, server/umap-worker.ts)
// and the results' latent maps (experiments/results.ts, in process) both go through here.
import { UniformStream } from '@maga/model';
import { UMAP } from 'umap-js';

export interface UmapOptions {
  nNeighbors: number;
  nComponents: number;
  seed: number;
}

const UMAP_KEY = 0x756d6170; // "umap"

/** The points of `data` (one row each) embedded in `nComponents` dimensions. */
export function umapEmbed(data: number[][], options: UmapOptions): number[][] {
  if (data.length < 3) throw new Error(`UMAP needs at least 3 points, got ${data.length}`);
  const nNeighbors = Math.min(options.nNeighbors, data.length - 1);
  const stream = new UniformStream(options.seed, UMAP_KEY);
  return new UMAP({ nComponents: options.nComponents, nNeighbors, random: () => stream.next() }).fit(data);
}
