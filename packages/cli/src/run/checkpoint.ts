// Checkpoints on disk: model.safetensors, optimizer.safetensors and state.json, saved so that no
// crash can leave them truncated or out of step with one another.
//
// Every file carries its step (model metadata `step`, the optimizer's update count, state.json's
// `step`). A save writes all three to temporary files and flushes them before renaming any into
// place, so after a crash each file is either whole at its final name or whole as a temporary
// file. Opening a checkpoint checks the three steps; if a crash interrupted the renames, it
// finishes them from the temporary files (roll forward); otherwise stale temporary files are
// removed. A truncated temporary file is never renamed: renames start only after every write.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointError, decodeSafetensors, loadModule, loadOptimizer, type Module, type SamplerState } from '@maga/model';
import type * as T from '@maga/tensor';
import { crashPoint, fsyncDirectory, tempPath, writeDurable } from './atomic.ts';
import { FILES, parseRunState, RunError, type RunState } from './rundir.ts';

export interface CheckpointFiles {
  model: Uint8Array;
  optimizer: Uint8Array;
  state: RunState;
}

const ORDER = ['model', 'optimizer', 'state'] as const;
type Part = (typeof ORDER)[number];

let saves = 0;

/** Saves a checkpoint atomically (see above). `model` must carry metadata step = state.step. */
export function saveCheckpoint(dir: string, files: CheckpointFiles): void {
  const n = ++saves;
  const bytes: Record<Part, Uint8Array | string> = {
    model: files.model,
    optimizer: files.optimizer,
    state: `${JSON.stringify(files.state, null, 2)}\n`,
  };
  for (const part of ORDER) writeDurable(tempPath(path.join(dir, FILES[part])), bytes[part], `checkpoint:${n}:write-${part}`);
  fsyncDirectory(dir);
  crashPoint(`checkpoint:${n}:written`);
  for (const part of ORDER) {
    fs.renameSync(tempPath(path.join(dir, FILES[part])), path.join(dir, FILES[part]));
    crashPoint(`checkpoint:${n}:renamed-${part}`);
  }
  fsyncDirectory(dir);
}

/** The step a checkpoint file records, or an error saying why it cannot be read. */
function stepOf(part: Part, bytes: Uint8Array, file: string): number {
  try {
    if (part === 'state') return parseRunState(JSON.parse(new TextDecoder().decode(bytes)), file).step;
    const { metadata } = decodeSafetensors(bytes);
    const step = Number(metadata.step);
    if (!Number.isSafeInteger(step) || step < 0) throw new CheckpointError(`metadata has no valid step (${JSON.stringify(metadata.step)})`);
    return step;
  } catch (e) {
    throw new RunError(`${file} is corrupt: ${(e as Error).message}`);
  }
}

function readIfPresent(file: string): Uint8Array | null {
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Opens the run's checkpoint for resuming: checks that the three files agree on their step,
 * finishing a save that a crash interrupted. Returns null when the run never saved one.
 */
export function openCheckpoint(dir: string): CheckpointFiles | null {
  const finals = Object.fromEntries(ORDER.map((part) => [part, readIfPresent(path.join(dir, FILES[part]))])) as Record<Part, Uint8Array | null>;
  if (ORDER.every((part) => finals[part] === null)) return null;
  const steps = {} as Record<Part, number | null>;
  for (const part of ORDER) steps[part] = finals[part] ? stepOf(part, finals[part], path.join(dir, FILES[part])) : null;
  const newest = Math.max(...ORDER.map((part) => steps[part] ?? -1));
  const behind = ORDER.filter((part) => steps[part] !== newest);
  for (const part of behind) {
    // The save of step `newest` was interrupted after its writes: its temporary file is whole.
    const temp = tempPath(path.join(dir, FILES[part]));
    const bytes = readIfPresent(temp);
    const tempStep = bytes ? stepOfOrNull(part, bytes, temp) : null;
    if (tempStep !== newest) {
      const found = ORDER.map((p) => `${FILES[p]} at step ${steps[p] ?? 'missing'}`).join(', ');
      throw new RunError(`${dir}: inconsistent checkpoint (${found}) and no complete temporary file to finish the interrupted save`);
    }
    fs.renameSync(temp, path.join(dir, FILES[part]));
    finals[part] = bytes;
  }
  if (behind.length > 0) fsyncDirectory(dir);
  // Whatever temporary files remain belong to a save that never reached its renames.
  for (const part of ORDER) fs.rmSync(tempPath(path.join(dir, FILES[part])), { force: true });
  const state = parseRunState(JSON.parse(new TextDecoder().decode(finals.state!)), path.join(dir, FILES.state));
  return { model: finals.model!, optimizer: finals.optimizer!, state };
}

/** What a checkpoint restores: the model's weights, the optimizer's moments, the data order and the noise stream. */
export interface TrainingState {
  model: Module;
  /** Made for `model`'s parameters. */
  optimizer: T.Optimizer;
  /** The data order (a dSprites Sampler or a PairSampler): resumed at the checkpoint's position. */
  sampler: { restore(state: SamplerState): void };
  noise: T.Rng;
}

/**
 * Restores an opened checkpoint into `into`, refusing with the file's name anything that does not
 * fit, fails its checksum or holds NaN/Inf. Each file is checked in full before anything is taken
 * from it, so a refused file leaves its part unchanged; the caller abandons the rest.
 */
export function restoreCheckpoint(dir: string, files: CheckpointFiles, into: TrainingState): void {
  const refuse = (part: Part, e: unknown) => new RunError(`${path.join(dir, FILES[part])} cannot be resumed from: ${(e as Error).message}`);
  try {
    loadModule(into.model, files.model);
  } catch (e) {
    throw refuse('model', e);
  }
  try {
    loadOptimizer(into.optimizer, files.optimizer, { parameters: into.model.parameters() });
  } catch (e) {
    throw refuse('optimizer', e);
  }
  try {
    into.sampler.restore(files.state.sampler);
    into.noise.restore(files.state.noise);
  } catch (e) {
    throw refuse('state', e);
  }
}

function stepOfOrNull(part: Part, bytes: Uint8Array, file: string): number | null {
  try {
    return stepOf(part, bytes, file);
  } catch {
    return null;
  }
}

/**
 * Checks a safetensors file without reading its data: the header parses and the file is exactly
 * as long as the header says. Cheap enough to run on every run of a listing. Returns the header's
 * metadata; throws a RunError saying what is wrong.
 */
export function inspectSafetensors(file: string): Record<string, string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new RunError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${path.basename(file)} does not exist (no checkpoint saved yet)` : `cannot read ${path.basename(file)}: ${(e as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const fail = (why: string) => new RunError(`${path.basename(file)} is corrupt: ${why}`);
    if (size < 8) throw fail(`${size} bytes, shorter than the 8-byte header length`);
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    const headerLength = Number(head.readBigUInt64LE(0));
    if (headerLength > 100_000_000 || 8 + headerLength > size) throw fail(`header length ${headerLength} does not fit in ${size} bytes (truncated?)`);
    const header = Buffer.alloc(headerLength);
    fs.readSync(fd, header, 0, headerLength, 8);
    let parsed: Record<string, { data_offsets?: unknown }>;
    try {
      parsed = JSON.parse(header.toString('utf8'));
    } catch (e) {
      throw fail(`header is not valid JSON (${(e as Error).message})`);
    }
    let end = 0;
    for (const [name, entry] of Object.entries(parsed)) {
      if (name === '__metadata__') continue;
      const offsets = entry?.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2) throw fail(`tensor ${name} has no data_offsets`);
      end = Math.max(end, Number(offsets[1]));
    }
    if (8 + headerLength + end !== size) throw fail(`${size} bytes, but the header describes ${8 + headerLength + end} (truncated?)`);
    const metadata = parsed.__metadata__;
    return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, string>) : {};
  } finally {
    fs.closeSync(fd);
  }
}
