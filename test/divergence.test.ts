// A diverged run never destroys its last good checkpoint: `cli train` with an absurd learning
// rate stops at the first non-finite loss term it reads (exit 1, status diverged, the step and
// the term named), leaves the checkpoint byte for byte as it was, and resumes from it with a
// sane rate; --check-numerics names the op; `cli eval` refuses NaN weights naming the tensor.
// Child processes on the tiny preset, like test/cli.test.ts; MAGA_BACKEND as there.
import { expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkedModeFailure, nonFiniteInCheckpoint, nonFiniteTerm, readLog, readRunConfig, readRunState } from '@maga/cli';
import { decodeSafetensors, encodeSafetensors } from '@maga/model';
import * as T from '@maga/tensor';
import { cpu, testDevice } from '@maga/tensor/testing';
import { cliSuite } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('divergence tests');

const { tmp, cli } = cliSuite('diverge', BACKEND);

const CHECKPOINT = ['model.safetensors', 'optimizer.safetensors', 'state.json'];
const snapshot = (dir: string) => Object.fromEntries(CHECKPOINT.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
const expectSameFiles = (dir: string, before: Record<string, Buffer>) => {
  for (const f of CHECKPOINT) expect(Buffer.compare(fs.readFileSync(path.join(dir, f)), before[f]), f).toBe(0);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
};

withDevice(`a diverging run [${BACKEND}]`, () => {
  const base = path.join(tmp, 'base');
  let good: Record<string, Buffer>;
  const copyOfBase = (name: string) => {
    const dir = path.join(tmp, name);
    fs.cpSync(base, dir, { recursive: true });
    return dir;
  };

  test('trained 4 good steps, then --lr 1000: exit 1 naming step and term, checkpoint untouched, status diverged; --resume with a sane lr works', async () => {
    const first = await cli(['train', '--preset', 'tiny', '--clip', '0', '--eval-count', '2', '--out', base]);
    expect(first.code).toBe(0);
    good = snapshot(base);
    const dir = copyOfBase('raised-lr');

    const diverged = await cli(['train', '--resume', dir, '--steps', '40', '--lr', '1000', '--log-every', '1', '--checkpoint-every', '1000']);
    expect(diverged.code).toBe(1);
    const match = /training diverged at step (\d+): (loss|bce|kl|latent) is (NaN|-?Infinity)\. The checkpoint of step 4 is kept as it was\. Try a lower --lr \(this run: 1000\)/.exec(diverged.stderr);
    expect(match, diverged.stderr).not.toBeNull();
    const step = Number(match![1]);
    expect(step).toBeGreaterThan(4);
    expect(step).toBeLessThanOrEqual(40);
    expect(diverged.stderr).toContain(`bun run cli train --resume ${dir} --lr 100 --clip 1`);
    expectSameFiles(dir, good);
    const config = readRunConfig(dir);
    expect(config.status).toBe('diverged');
    expect(config.divergence).toEqual({ step, term: match![2], value: match![3], checkpointStep: 4 });
    expect(config.error).toContain(`diverged at step ${step}`);
    expect(config.training.lr).toBe(1000); // what the diverging session ran with
    // Nothing non-finite reached the log; it ends before the step that diverged.
    expect(readLog(dir).every((line) => line.step < step && Number.isFinite(line.loss))).toBe(true);

    const resumed = await cli(['train', '--resume', dir, '--steps', '6', '--lr', '0.001', '--eval-count', '2']);
    expect(resumed.stderr).not.toMatch(/error/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* at step 4/);
    expect(readRunState(dir)).toMatchObject({ step: 6, status: 'done' });
    const after = readRunConfig(dir);
    expect(after.status).toBe('done');
    expect(after.divergence).toBeUndefined();
    expect(after.training.lr).toBe(0.001);
    expect(readLog(dir).map((line) => line.step)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 120_000);

  test('a checkpoint step between logging steps reads the terms before writing, and keeps the last good save', async () => {
    const dir = copyOfBase('checkpoint-steps');
    const diverged = await cli(['train', '--resume', dir, '--steps', '40', '--lr', '1000', '--log-every', '1000', '--checkpoint-every', '3']);
    expect(diverged.code).toBe(1);
    const { divergence } = readRunConfig(dir);
    expect(divergence).toBeDefined();
    // Only checkpoint steps were read: the divergence is seen at one, the save before it stands.
    expect(divergence!.step % 3).toBe(0);
    expect(divergence!.checkpointStep).toBeLessThan(divergence!.step);
    const state = readRunState(dir)!;
    expect(state.step).toBe(divergence!.checkpointStep!);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      const { tensors, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, f))));
      expect(metadata.step).toBe(String(state.step));
      for (const [name, t] of Object.entries(tensors)) expect(t.data.every(Number.isFinite), `${f} ${name}`).toBe(true);
    }
  }, 120_000);

  test('--check-numerics names the first op whose output is not finite, with its shapes', async () => {
    const dir = copyOfBase('checked');
    const diverged = await cli(['train', '--resume', dir, '--steps', '40', '--lr', '1000', '--checkpoint-every', '1000', '--check-numerics']);
    expect(diverged.code).toBe(1);
    expect(diverged.stderr).toMatch(/training diverged at step \d+: op [a-zA-Z0-9]+\((.+ )?\[[\d, ]*\].*\) -> \[[\d, ]*\] is (NaN|-?Infinity|NaN or Inf) \(checked mode: the first op whose output is not finite/);
    expect(diverged.stderr).not.toContain('--check-numerics names'); // it is already on
    expect(readRunConfig(dir).divergence!.term).toMatch(/^op /);
    expectSameFiles(dir, good);
  }, 120_000);

  test('--check-numerics raises no false alarm on a healthy run: it trains, saves and evaluates as without it', async () => {
    const dir = path.join(tmp, 'healthy');
    const result = await cli(['train', '--preset', 'tiny', '--check-numerics', '--eval-count', '2', '--out', dir]);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    expect(readRunConfig(dir).status).toBe('done');
    expect(readRunState(dir)!.step).toBe(4);
  }, 120_000);

  test('cli eval refuses NaN weights naming the tensor; --allow-non-finite evaluates them', async () => {
    const dir = copyOfBase('poisoned');
    const file = path.join(dir, 'model.safetensors');
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)));
    const name = Object.keys(tensors).sort()[3];
    tensors[name].data[0] = NaN;
    // As the code before the guard wrote them: no checksum.
    fs.writeFileSync(file, encodeSafetensors(tensors, { format: metadata.format, step: metadata.step }));
    const refused = await cli(['eval', dir, '--count', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`model.safetensors is refused: its parameter ${name} holds NaN at index 0`);
    expect(refused.stderr).toContain('--allow-non-finite');
    const allowed = await cli(['eval', dir, '--count', '2', '--json', '--allow-non-finite']);
    expect(allowed.stderr).not.toMatch(/error/);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).runs[0].step).toBe(4);
  }, 120_000);
});

test('checked mode names the op, its input shapes and a parameter input by name: log of a negative', () => {
  T.withBackend(cpu, () => {
    const scale = T.tensor([1, -2], [2]);
    scale.name = 'decoder.flow.level0_step0.actnorm.logScale';
    const wasChecked = T.isChecked();
    T.setChecked(true);
    let error: unknown;
    try {
      T.tidy(() => T.log(scale));
    } catch (e) {
      error = e;
    } finally {
      T.setChecked(wasChecked);
    }
    expect((error as Error).message).toBe('checked mode: log(decoder.flow.level0_step0.actnorm.logScale [2]) -> [2] produced NaN at flat index 1');
    expect(checkedModeFailure(error)).toEqual({ term: 'op log(decoder.flow.level0_step0.actnorm.logScale [2]) -> [2]', value: NaN, detail: 'checked mode: the first op whose output is not finite at flat index 1' });
    expect(checkedModeFailure(new Error('out of memory'))).toBeNull();
  });
});

test('the guards find the first non-finite loss term, and a NaN moment in a checkpoint about to be written', () => {
  expect(nonFiniteTerm({ loss: 3, bce: 2, kl: 1 })).toBeNull();
  expect(nonFiniteTerm({ loss: NaN, bce: Infinity })).toEqual({ term: 'loss', value: NaN });
  expect(nonFiniteTerm({ loss: 1, kl: -Infinity })).toEqual({ term: 'kl', value: -Infinity });
  const finite = encodeSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } });
  const moments = encodeSafetensors({ 'm.w': { shape: [2], data: Float32Array.of(0, 0) }, 'v.w': { shape: [2], data: Float32Array.of(Infinity, 0) } });
  expect(nonFiniteInCheckpoint(finite, finite)).toBeNull();
  expect(nonFiniteInCheckpoint(finite, moments)).toMatchObject({ term: 'optimizer moment v.w', value: Infinity });
  expect(nonFiniteInCheckpoint(encodeSafetensors({ w: { shape: [1], data: Float32Array.of(NaN) } }), moments)).toMatchObject({ term: 'parameter w' });
});
