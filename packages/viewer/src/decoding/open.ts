// Picks the decoder for a run: in the browser on WebGPU when it can, else through the server,
// saying why. The user can also ask for the server (to compare, or on a slow adapter).
import { isAbort, type Api, type RunDetail } from '../api.ts';
import { decodeImage } from '../lib/images.ts';
import type { Decoder } from './decoder.ts';
import { serverDecoder } from './server.ts';

export type DecoderChoice = 'auto' | 'server';
export const DECODER_CHOICES: readonly DecoderChoice[] = ['auto', 'server'];

export interface OpenOptions {
  api: Api;
  run: RunDetail;
  choice: DecoderChoice;
  /** Who chose the server when `choice` is 'server', e.g. "you" or "the link". */
  chosenBy?: string;
  /** Progress for the loading indicator. */
  onStage?: (stage: string) => void;
  /** Whether this browser exposes WebGPU (navigator.gpu by default). */
  hasWebGpu?: boolean;
}

export async function openDecoder(options: OpenOptions): Promise<Decoder> {
  const { api, run, choice } = options;
  const { traits, codeDim, model } = run.summary;
  if (!traits || codeDim === null || model === null) throw new Error(`run '${run.summary.id}' has a model this server does not know (${model ?? 'unreadable config'}): nothing can decode it`);
  const server = (note?: string) => serverDecoder(api, run.summary.id, { model, traits, latentDim: codeDim }, note);
  if (choice === 'server') return server(`chosen by ${options.chosenBy ?? 'you'}`);
  const hasWebGpu = options.hasWebGpu ?? (typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu);
  if (!hasWebGpu) return server('this browser has no WebGPU');
  try {
    options.onStage?.('fetching the checkpoint');
    const id = run.summary.id;
    const [checkpoint, { localDecoder }, info] = await Promise.all([api.checkpoint(id), import('./local.ts'), api.runDataset(id)]);
    // The run's images come from its data set on the server (decoded by decodeImage: float32 pixels).
    const images = { size: info.imageSize, fetch: async (index: number) => decodeImage((await api.runImage(id, index)).image).pixels };
    const warmup: [number, number] = [info.fixedPivot, info.fixedPivot];
    return await localDecoder({ run: id, config: run.config, checkpoint, onStage: options.onStage, images, warmup });
  } catch (e) {
    // The run's page went while the checkpoint loaded: no fallback, nobody is waiting.
    if (isAbort(e)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    console.warn(`in-browser decoding is not available, using the server: ${reason}`);
    return server(`in-browser decoding failed: ${reason}`);
  }
}
