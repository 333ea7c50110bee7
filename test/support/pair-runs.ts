// Run directories of known-group (pair) models made by hand for the server and viewer tests: a
// config.json as `cli train` writes it for a pair run (data: { dataset, group, limit }) and the
// weights of a freshly created model, seeded, so that a test needs no training; and the checks the
// pair-run tests share: a config.json refused naming the field, a finished run's log, and a run
// resumed at step 2 that logged the losses of one that never stopped.
import { expect } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configure, createModel, datasetEntry, encodeModule, groupConfigFromLabel, loadModule, parseModelConfig, type GroupConfig, type Model } from '@maga/model';
import * as T from '@maga/tensor';
import { parseRunConfig, readLog, RunError } from '@maga/cli';

export interface PairRunOptions {
  model?: 'latent-action' | 'flow-action';
  dataset?: 'rotated-mnist' | 'rotated-blocked-mnist' | 'contrast' | 'objects3d' | 'planes-sky';
  /** The data set's group label: 'so2', 'c<n>', or 'so3' (objects3d, planes-sky). */
  group?: string;
  seed?: number;
}

/** Writes runs/NAME with a tiny, untrained pair model; returns its directory. */
export async function writePairRun(runs: string, name: string, options: PairRunOptions = {}): Promise<string> {
  const { model: kind = 'latent-action', dataset = 'rotated-mnist', group = 'so2', seed = 0 } = options;
  const model = configure(kind, 'tiny') as unknown as Record<string, unknown> & { group: GroupConfig };
  // The model's group for the data set's label, with the tiny model's frequencies; its images the data set's.
  model.group = groupConfigFromLabel(group, model.group);
  [model.channels, model.imageSize] = datasetEntry(dataset).imageShape;
  const dir = path.join(runs, name);
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    format: 1,
    model,
    data: { dataset, group, limit: null },
    training: { steps: 1, batchSize: 4, optimizer: 'adam', lr: 0.001, schedule: 'constant', clipNorm: 1, logEvery: 1, checkpointEvery: 1, evalCount: 8 },
    seed,
    preset: 'tiny',
    code: { version: 'test', commit: null },
    backend: 'cpu',
    createdAt: new Date(0).toISOString(),
    status: 'done',
  };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  // Creating weights needs a backend; a test that has not chosen one gets the plain cpu one.
  if (!T.hasBackend()) await T.init({ backend: 'cpu', quiet: true });
  const created = await createModel(model as never, seed);
  try {
    fs.writeFileSync(path.join(dir, 'model.safetensors'), await encodeModule(created, { step: '0' }));
  } finally {
    created.dispose();
  }
  return dir;
}

/** A run's model in this process, from its own files (config.json's model, model.safetensors), not through the server. */
export async function loadRunModel(dir: string): Promise<Model> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const model = await createModel(parseModelConfig(config.model), 0);
  loadModule(model, new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))));
  return model;
}

/** `resumed` (a `cli train --resume` of run B at step 2, to 4 steps) succeeded, and B's log has the losses of run A, which never stopped. */
export function expectResumedLikeUninterrupted(resumed: { code: number | null; stdout: string }, uninterrupted: string, resumedRun: string): void {
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toMatch(/resuming .* at step 2/);
  const [a, b] = [readLog(uninterrupted), readLog(resumedRun)];
  expect(b.map((l) => l.step)).toEqual([1, 2, 3, 4]);
  for (let i = 0; i < 4; i++) expect(b[i].loss).toBe(a[i].loss);
}

/** `refused(change, message)`: `change` on a copy of `config` makes parseRunConfig refuse it with a RunError matching `message`. */
export const configRefusals =
  (config: unknown) =>
  (change: (c: any) => void, message: RegExp): void => {
    const bad = JSON.parse(JSON.stringify(config));
    change(bad);
    expect(() => parseRunConfig(bad, 'config.json')).toThrow(RunError);
    expect(() => parseRunConfig(bad, 'config.json')).toThrow(message);
  };

/** A finished 4-step latent-action run in `dir`: a log line per step with its loss terms finite; returns its metrics.json. */
export function latentActionRunMetrics(dir: string) {
  const log = readLog(dir);
  expect(log.map((l) => l.step)).toEqual([1, 2, 3, 4]);
  for (const line of log) for (const key of ['loss', 'reconstruction', 'identity', 'equivariance']) expect(Number.isFinite(line[key])).toBe(true);
  return JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
}
