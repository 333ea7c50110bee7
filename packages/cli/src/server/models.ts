// Trained models for the server, loaded when first asked for and kept while their checkpoint file
// is unchanged: a run still training gets reloaded when it saves a new step. A checkpoint that
// fails to load is remembered as failed (until the file changes), so it costs one attempt, not one
// per request, and never affects other runs. Weights holding NaN/Inf fail like a corrupt file
// (naming the tensor) unless the server was started with --allow-non-finite.
import * as fs from 'node:fs';
import { loadTrainedModel, type TrainedModel } from '../inference/load.ts';
import { filePath } from '../run/rundir.ts';
import type { RunRef } from './runs.ts';
import { HttpError } from './validate.ts';

interface Entry {
  /** The checkpoint file's identity when loaded: size, modification time, inode. */
  stamp: string;
  loaded: Promise<TrainedModel>;
  lastUsed: number;
}

/** How many models stay loaded at once; the least recently used is freed first. */
const CAPACITY = 4;

function stampOf(file: string): string | null {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return null;
  }
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: { allowNonFinite: boolean } = { allowNonFinite: false }) {}

  /** The run's model as of its current checkpoint (call inside the GPU queue: loading uses the device). */
  async get(run: RunRef): Promise<TrainedModel> {
    const file = filePath(run.dir, 'model');
    const stamp = stampOf(file);
    if (stamp === null) throw new HttpError(404, `run '${run.id}' has no checkpoint yet (no model.safetensors)`);
    let entry = this.entries.get(run.id);
    if (!entry || entry.stamp !== stamp) {
      if (entry) this.drop(run.id, entry);
      const loaded = loadTrainedModel(run.dir, undefined, undefined, this.options).catch((e: Error) => {
        throw new HttpError(500, `run '${run.id}': cannot load its checkpoint: ${e.message.split(run.dir + '/').join('')}`);
      });
      loaded.catch(() => {}); // failures are reported to whoever awaits; keep none unhandled
      entry = { stamp, loaded, lastUsed: 0 };
      this.entries.set(run.id, entry);
      this.evict(run.id);
    }
    entry.lastUsed = performance.now();
    return entry.loaded;
  }

  private drop(id: string, entry: Entry): void {
    this.entries.delete(id);
    // Requests run one at a time in the queue, so nothing is using this model any more.
    entry.loaded.then((m) => m.model.dispose(), () => {});
  }

  private evict(keep: string): void {
    while (this.entries.size > CAPACITY) {
      const [id, entry] = [...this.entries].filter(([k]) => k !== keep).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      this.drop(id, entry);
    }
  }

  dispose(): void {
    for (const [id, entry] of [...this.entries]) this.drop(id, entry);
  }
}
