// Fuzzing the files a run is resumed and served from: seeded mutations of a valid model.safetensors,
// optimizer.safetensors, state.json and config.json (random bytes, truncations, appended bytes,
// header and JSON values replaced by other types or huge numbers, NaN written into the values).
// Every load must either succeed with exactly the original model (and optimizer state), or fail
// with a RunError/CheckpointError that names the file: never another exception, never a hang,
// and never a model or optimizer changed by a load that failed. Runs on the cpu backend: this is
// about parsing, not arithmetic.
import { beforeAll, describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createReporter, createRunDir, isPairData, openCheckpoint, planRun, readRunConfig, restoreCheckpoint, RunError, train } from '@maga/cli';
import { CHECKSUM_KEY, CheckpointError, createModel, decodeSafetensors, encodeSafetensors, loadModule, loadOptimizer, Sampler, tensorsChecksum } from '@maga/model';
import * as T from '@maga/tensor';
import { randomInt, seededRandom, tempDir } from './support/index.ts';

const sink = { write: () => true };
const tmp = tempDir('fuzz');
const original = path.join(tmp, 'original');
const FILES = ['model.safetensors', 'optimizer.safetensors', 'state.json', 'config.json'] as const;
type FileName = (typeof FILES)[number];

/** A seeded stream of numbers in [0, 1) (the tests' shared generator), integers and picks from it. */
function random(seed: number) {
  const uniform = seededRandom(seed);
  const int = (n: number) => randomInt(uniform, n);
  return { uniform, int, pick: <V>(items: readonly V[]): V => items[int(items.length)] };
}
type Random = ReturnType<typeof random>;

// Values that replace a header field or a JSON value: other types, huge and odd numbers.
const ODD_VALUES: unknown[] = [null, true, 'x', '', [], {}, [1, 2], { a: 1 }, -1, 0, 0.5, 1e300, -1e300, 2 ** 53, 2 ** 64, 1e9, 4097, 'NaN', '1e999', 'a'.repeat(10_000)];

function mutateBytes(bytes: Uint8Array, r: Random): { bytes: Uint8Array; how: string } {
  const out = new Uint8Array(bytes);
  switch (r.int(4)) {
    case 0: {
      const n = 1 + r.int(4);
      for (let k = 0; k < n; k++) out[r.int(out.length)] ^= 1 + r.int(255);
      return { bytes: out, how: `${n} random bytes changed` };
    }
    case 1: {
      const length = r.int(bytes.length);
      return { bytes: bytes.slice(0, length), how: `truncated to ${length} bytes` };
    }
    case 2: {
      const extra = Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256));
      const joined = new Uint8Array(bytes.length + extra.length);
      joined.set(bytes);
      joined.set(extra, bytes.length);
      return { bytes: joined, how: `${extra.length} bytes appended` };
    }
    default: {
      // A run of bytes overwritten with random ones.
      const start = r.int(bytes.length);
      const n = Math.min(bytes.length - start, 1 + r.int(32));
      for (let k = 0; k < n; k++) out[start + k] = r.int(256);
      return { bytes: out, how: `${n} bytes from ${start} overwritten` };
    }
  }
}

/** Replaces, deletes or renames one value at a random place in a JSON value. */
function mutateJsonValue(value: unknown, r: Random): { value: unknown; how: string } {
  const copy = structuredClone(value);
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]) => {
    if (at.length > 0) paths.push(at);
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, [...at, k]);
  };
  walk(copy, []);
  const where = r.pick(paths);
  const parent = where.slice(0, -1).reduce<any>((v, k) => v[k], copy);
  const key = where[where.length - 1];
  const old = parent[key];
  const action = r.int(4);
  if (action === 0 && !Array.isArray(parent)) {
    delete parent[key];
    return { value: copy, how: `deleted ${where.join('.')}` };
  }
  if (action === 1 && typeof old === 'number') {
    parent[key] = r.pick([old + 1, old - 1, old * 2, -old, old * 1e6, old + 0.5]);
    return { value: copy, how: `${where.join('.')}: ${old} -> ${parent[key]}` };
  }
  if (action === 2 && !Array.isArray(parent)) {
    parent[`${String(key)}x`] = old;
    delete parent[key];
    return { value: copy, how: `renamed ${where.join('.')}` };
  }
  parent[key] = structuredClone(r.pick(ODD_VALUES));
  return { value: copy, how: `${where.join('.')} = ${JSON.stringify(parent[key]).slice(0, 30)}` };
}

/** A safetensors file with one header entry's field mutated (the data left as it was). */
function mutateHeader(bytes: Uint8Array, r: Random): { bytes: Uint8Array; how: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const { value, how } = mutateJsonValue(header, r);
  const json = new TextEncoder().encode(JSON.stringify(value));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + length), 8 + json.length);
  return { bytes: out, how: `header: ${how}` };
}

/** NaN or ±Inf written into one value, the checksum made to match (as a writer without the guard would). */
function poison(bytes: Uint8Array, r: Random): { bytes: Uint8Array; how: string; tensor: string } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const names = Object.keys(tensors).filter((n) => tensors[n].data.length > 0);
  const tensor = r.pick(names);
  const value = r.pick([NaN, Infinity, -Infinity]);
  tensors[tensor].data[r.int(tensors[tensor].data.length)] = value;
  return { bytes: encodeSafetensors(tensors, { ...metadata, [CHECKSUM_KEY]: tensorsChecksum(tensors) }), how: `${value} in ${tensor}`, tensor };
}

const snapshot = async (m: { state(): Map<string, T.Tensor> }) => new Map(await Promise.all([...m.state()].map(async ([k, t]) => [k, Array.from(await t.data())] as const)));
const optimizerSnapshot = async (o: T.Optimizer) => {
  const s = await o.exportState();
  return { step: s.step, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([slot, d]) => [slot, Array.from(d)]))])) };
};

/** A refusal we accept: one of ours, naming what is wrong. */
function expectClearError(e: unknown, file: string | null, how: string): void {
  if (!(e instanceof RunError || e instanceof CheckpointError)) throw new Error(`${how}: a ${(e as Error)?.name ?? typeof e} escaped: ${(e as Error)?.stack ?? e}`);
  expect(e.message.length).toBeGreaterThan(10);
  if (file) expect(e.message, how).toContain(file);
}

describe('fuzzed run files load whole or are refused clearly', () => {
  let originalModel: Map<string, number[]>;
  let originalOptimizer: Awaited<ReturnType<typeof optimizerSnapshot>>;
  const bytesOf = (file: FileName) => new Uint8Array(fs.readFileSync(path.join(original, file)));

  beforeAll(async () => {
    createRunDir(original, planRun({ preset: 'tiny', steps: 2, evalCount: 1 }));
    await train(original, { backend: 'cpu', reporter: createReporter({ quiet: true, output: sink }) });
    const loaded = await loadRun(original);
    originalModel = loaded.model;
    originalOptimizer = loaded.optimizer;
  }, 120_000);

  /** What `cli train --resume` loads: config, checkpoint, model, optimizer, sampler, noise. */
  async function loadRun(dir: string) {
    const config = readRunConfig(dir);
    const files = openCheckpoint(dir);
    if (!files) throw new Error(`${dir}: no checkpoint`);
    const model = await createModel(config.model, config.seed);
    const optimizer = T.adam(model.parameters(), { lr: config.training.lr, clipNorm: config.training.clipNorm });
    try {
      const { data } = config;
      if (isPairData(data)) throw new Error(`${dir}: the fuzz test trains dSprites runs`);
      const sampler = new Sampler({ split: data.split, part: 'train', batchSize: config.training.batchSize, pivots: data.pairing, seed: config.seed, limit: data.limit ?? undefined });
      restoreCheckpoint(dir, files, { model, optimizer, sampler, noise: new T.Rng(0) });
      return { model: await snapshot(model), optimizer: await optimizerSnapshot(optimizer) };
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }

  test('safetensors bytes and headers: loadModule and loadOptimizer change nothing unless they succeed', async () => {
    const config = readRunConfig(original);
    const model = await createModel(config.model, config.seed + 1); // weights unlike the checkpoint's
    let optimizer = T.adam(model.parameters(), { lr: 1e-3 });
    const before = await snapshot(model);
    const optimizerBefore = await optimizerSnapshot(optimizer);
    const counts = { loaded: 0, refused: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const file = r.pick(['model.safetensors', 'optimizer.safetensors'] as const);
      const kind = r.int(3);
      const mutated = kind === 0 ? mutateBytes(bytesOf(file), r) : kind === 1 ? mutateHeader(bytesOf(file), r) : poison(bytesOf(file), r);
      const how = `case ${seed} (${file}: ${mutated.how})`;
      try {
        if (file === 'model.safetensors') loadModule(model, mutated.bytes);
        else loadOptimizer(optimizer, mutated.bytes, { parameters: model.parameters() });
      } catch (e) {
        expectClearError(e, null, how);
        if ('tensor' in mutated) expect(e instanceof CheckpointError && e.message, how).toContain(`${mutated.tensor} holds`);
        // Refused: nothing was changed.
        expect(await snapshot(model), how).toEqual(before);
        expect(await optimizerSnapshot(optimizer), how).toEqual(optimizerBefore);
        counts.refused++;
        continue;
      }
      // Loaded: exactly the checkpoint's values, which the next case must not start from.
      if ('tensor' in mutated) throw new Error(`${how}: a non-finite value was loaded`);
      if (file === 'model.safetensors') {
        expect(await snapshot(model), how).toEqual(originalModel);
        loadModule(model, encodeSafetensors(Object.fromEntries([...before].map(([k, v]) => [k, { shape: [...model.state().get(k)!.shape], data: Float32Array.from(v) }]))));
      } else {
        expect(await optimizerSnapshot(optimizer), how).toEqual(originalOptimizer);
        optimizer.dispose();
        optimizer = T.adam(model.parameters(), { lr: 1e-3 });
      }
      counts.loaded++;
    }
    optimizer.dispose();
    model.dispose();
    // Most mutations break the file; a few (padding, metadata we do not read, bytes appended to
    // JSON whitespace) leave it meaning the same thing.
    expect(counts.refused).toBeGreaterThan(200);
  }, 120_000);

  test('run directories with one mutated file: resumed whole or refused naming the file', async () => {
    let refused = 0;
    for (let seed = 1001; seed <= 1200; seed++) {
      const r = random(seed);
      const file = r.pick(FILES);
      const dir = path.join(tmp, `case-${seed}`);
      fs.cpSync(original, dir, { recursive: true });
      const bytes = bytesOf(file);
      let how: string;
      if (file.endsWith('.json') && r.int(2) === 0) {
        const mutated = mutateJsonValue(JSON.parse(new TextDecoder().decode(bytes)), r);
        fs.writeFileSync(path.join(dir, file), JSON.stringify(mutated.value));
        how = mutated.how;
      } else {
        const mutated = file.endsWith('.json') ? mutateBytes(bytes, r) : r.int(2) ? mutateBytes(bytes, r) : mutateHeader(bytes, r);
        fs.writeFileSync(path.join(dir, file), mutated.bytes);
        how = mutated.how;
      }
      how = `case ${seed} (${file}: ${how})`;
      let loaded: Awaited<ReturnType<typeof loadRun>> | null = null;
      try {
        loaded = await loadRun(dir);
      } catch (e) {
        // A config.json that no longer describes this model fails when the weights do not fit it.
        expectClearError(e, file === 'config.json' ? null : file, how);
        if (file === 'config.json') expect(e instanceof Error && /config\.json|model\.safetensors/.test(e.message), `${how}: ${(e as Error).message}`).toBe(true);
        refused++;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      if (!loaded) continue;
      // JSON has no checksum: an edit that is still valid loads, but never changes the model.
      expect(loaded.model, how).toEqual(originalModel);
      expect(loaded.optimizer, how).toEqual(originalOptimizer);
    }
    expect(refused).toBeGreaterThan(100);
  }, 120_000);
});
