// The render-ahead worker (render-ahead.ts): renders batches of pair specs of a rendered 3-D set
// off the training thread. One message per batch, { id, name, group, specs } in; { id, batch } out,
// its image buffers transferred, or { id, error } with the renderer's message.
import { openDataset, type GroupPairBatch, type PairDataset } from '@maga/model';

declare const self: Worker;

export interface RenderRequest {
  id: number;
  name: string;
  group: string;
  specs: unknown[];
}

export type RenderReply = { id: number; batch: GroupPairBatch } | { id: number; error: string };

const datasets = new Map<string, Promise<PairDataset>>();

self.onmessage = async (event: MessageEvent<RenderRequest>) => {
  const { id, name, group, specs } = event.data;
  try {
    const key = `${name}/${group}`;
    if (!datasets.has(key)) datasets.set(key, openDataset(name, group));
    const batch = (await datasets.get(key)!).renderPairs(specs);
    const reply: RenderReply = { id, batch };
    self.postMessage(reply, [batch.x.buffer, batch.gx.buffer] as Transferable[]);
  } catch (e) {
    const reply: RenderReply = { id, error: e instanceof Error ? e.message : String(e) };
    self.postMessage(reply);
  }
};
