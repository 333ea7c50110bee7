// A worker that runs UMAP (umap-js) off the server's main thread: a few thousand points take
// seconds of pure JavaScript, during which the server must keep answering other requests.
import { UMAP } from 'umap-js';

declare const self: Worker;

export interface UmapRequest {
  data: number[][];
  nNeighbors: number;
  nComponents: number;
  seed: number;
}

/** mulberry32: a small seeded generator, so an embedding is the same every time it is computed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

self.onmessage = (event: MessageEvent<UmapRequest>) => {
  const { data, nNeighbors, nComponents, seed } = event.data;
  try {
    const umap = new UMAP({ nComponents, nNeighbors, random: seeded(seed) });
    self.postMessage({ points: umap.fit(data) });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
