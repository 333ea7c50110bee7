// A worker that runs UMAP (umap-js) off the server's main thread: a few thousand points take
// seconds of pure JavaScript, during which the server must keep answering other requests.
import { umapEmbed, type UmapOptions } from '../figures/umap.ts';

declare const self: Worker;

export interface UmapRequest extends UmapOptions {
  data: number[][];
}

self.onmessage = (event: MessageEvent<UmapRequest>) => {
  const { data, nNeighbors, nComponents, seed } = event.data;
  try {
    self.postMessage({ points: umapEmbed(data, { nComponents, nNeighbors, seed }) });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
