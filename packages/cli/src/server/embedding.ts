// The latent map of a run: codes of a seeded sample of images (half test, half train) reduced to
// 3-D by UMAP, with each point's factors. A model with a learned z maps its codes; one that takes a
// known g maps its encoder's latent E(x) (its code is the identity element for every image). Computed once per (run, checkpoint step, options): kept
// in memory and in runs/NAME/embedding-*.json (written atomically), so a restarted server and
// every viewer reuse it. Concurrent requests for the same embedding share one computation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SplitName } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { inspectSafetensors } from '../run/checkpoint.ts';
import { codes, encode } from '../inference/adapters.ts';
import { filePath } from '../run/rundir.ts';
import type { RunImages } from './dataset.ts';
import type { ModelCache } from './models.ts';
import type { GpuQueue } from './queue.ts';
import type { RunRef } from './runs.ts';
import type { UmapRequest } from './umap-worker.ts';
import { HttpError } from './validate.ts';

/**
 * The cached files' version, in their names: 2 since UMAP draws from @maga/model's UniformStream and
 * the SO(3) views' poses do too (server/objects3d.ts), so that a file of an older computation is
 * computed afresh, not served beside images it no longer matches.
 */
const CACHE_VERSION = 2;

export interface EmbeddingOptions {
  /** dSprites runs: the split whose parts are sampled (pair runs sample their data set's parts). */
  split?: SplitName;
  count: number;
  nNeighbors: number;
  seed: number;
}

export interface Embedding {
  step: number;
  options: EmbeddingOptions;
  points: number[][];
  indices: number[];
  part: ('train' | 'test')[];
  /** Each point's image's factors (dSprites' latent values and classes; a pair set's by name). */
  factors: object[];
}

function runUmap(request: UmapRequest): Promise<number[][]> {
  const worker = new Worker(new URL('./umap-worker.ts', import.meta.url));
  return new Promise<number[][]>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ points?: number[][]; error?: string }>) => {
      if (event.data.points) resolve(event.data.points);
      else reject(new Error(`UMAP failed: ${event.data.error}`));
    };
    worker.onerror = (event) => reject(new Error(`UMAP worker failed: ${event.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

export class EmbeddingCache {
  private readonly memory = new Map<string, Promise<Embedding>>();

  constructor(
    private readonly queue: GpuQueue,
    private readonly models: ModelCache,
  ) {}

  get(run: RunRef, images: RunImages, options: EmbeddingOptions): Promise<Embedding> {
    let step: number;
    if (!fs.existsSync(filePath(run.dir, 'model'))) throw new HttpError(404, `run '${run.id}' has no checkpoint yet (no model.safetensors)`);
    try {
      step = Number(inspectSafetensors(filePath(run.dir, 'model')).step ?? 0);
    } catch (e) {
      throw new HttpError(500, `run '${run.id}': ${(e as Error).message}`);
    }
    const name = `embedding-${options.split ?? images.embeddingTag}-n${options.count}-k${options.nNeighbors}-s${options.seed}-step${step}-v${CACHE_VERSION}.json`;
    const key = `${run.id}/${name}`;
    let embedding = this.memory.get(key);
    if (!embedding) {
      embedding = this.load(path.join(run.dir, name), step, options) ?? this.compute(run, images, step, options, path.join(run.dir, name));
      this.memory.set(key, embedding);
      // A failure is not cached: the next request tries again.
      embedding.catch(() => this.memory.delete(key));
    }
    return embedding;
  }

  private load(file: string, step: number, options: EmbeddingOptions): Promise<Embedding> | null {
    try {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Embedding;
      if (saved.step === step && JSON.stringify(saved.options) === JSON.stringify(options) && Array.isArray(saved.points)) return Promise.resolve(saved);
    } catch {
      // Absent or unreadable: compute it afresh (and overwrite it).
    }
    return null;
  }

  private async compute(run: RunRef, images: RunImages, step: number, options: EmbeddingOptions, file: string): Promise<Embedding> {
    const half = Math.floor(options.count / 2);
    const test = images.samples('test', half, options.seed);
    const train = images.samples('train', options.count - test.length, options.seed);
    const indices = [...test, ...train];
    const d = await this.queue.run(async () => {
      const { model } = await this.models.get(run);
      if (model.traits.element === 'known') {
        const { mu, dim } = await encode(model, indices, images.source);
        return { z: mu, dim };
      }
      const z = await codes(model, images.defaultPivot, indices, images.source);
      return { z, dim: model.codeDim };
    });
    const data = Array.from({ length: indices.length }, (_, i) => Array.from(d.z.subarray(i * d.dim, (i + 1) * d.dim)));
    const points = await runUmap({ data, nComponents: 3, nNeighbors: Math.min(options.nNeighbors, indices.length - 1), seed: options.seed });
    const embedding: Embedding = {
      step,
      options,
      points: points.map((p) => p.map((v) => Number(v.toFixed(5)))),
      indices,
      part: indices.map((_, i) => (i < test.length ? 'test' : 'train')),
      factors: indices.map((i) => images.factorsOf(i)),
    };
    writeFileAtomic(file, JSON.stringify(embedding));
    return embedding;
  }
}
