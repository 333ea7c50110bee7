// End-to-end tests of `bun run cli`: each case runs the real entry point in a child process (exit
// codes, signals and crashes are part of what is tested) on the tiny preset, over a temporary
// directory. The backend is MAGA_BACKEND, else auto (testDevice); where it cannot start, the
// training cases are reported as skipped, never as passed.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { learningRate, openCheckpoint, planRun, readLog, readRunConfig, readRunState, type LogLine } from '@maga/cli';
import { createModel, decodeSafetensors, dsprites, evalIndices, loadModule, modelSpec } from '@maga/model';
import * as T from '@maga/tensor';
import { testDevice } from '@maga/tensor/testing';
import { PNG } from 'pngjs';
import { cliSuite, finished, spawnCli, type CliResult, type Env } from './support/index.ts';

const { choice: BACKEND, describe: withDevice } = await testDevice('cli tests');

const { cli, runDir } = cliSuite('cli', BACKEND);
const start = (args: string[], env: Env = {}) => spawnCli(args, { MAGA_BACKEND: BACKEND, ...env });
const near = (a: number, b: number, rtol = 1e-3) => Math.abs(a - b) <= rtol * Math.max(1, Math.abs(a), Math.abs(b));
const stepsOf = (log: LogLine[]) => log.map((line) => line.step);
const safetensorsStep = (file: string) => decodeSafetensors(new Uint8Array(fs.readFileSync(file))).metadata.step;

describe('usage errors exit with code 2 and name the flag and what it accepts', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--modle', 'vae'], /unknown flag --modle; accepted: .*--model/],
    [['train', '--model', 'gan'], /--model: "gan" is not one of: maganet, vae/],
    [['train', '--split', 'nowhere'], /--split: "nowhere" is not one of: to-element, to-range/],
    [['train', '--steps', '-3'], /--steps: "-3" is not an integer in \[1, /],
    [['train', '--lr', 'fast'], /--lr: "fast" is not a positive number/],
    [['train', '--hidden', 'quarter'], /--hidden: "quarter" is not an integer in \[1, 4096\]/],
    [['train', '--preset', 'huge'], /--preset: "huge" is not one of: tiny, quick, paper/],
    [['train', '--beta', '4'], /--beta applies to --model vae only/],
    [['train', '--model', 'vae', '--pairing', 'random'], /--pairing applies to --model maganet only/],
    [['train', '--steps'], /--steps needs a value/],
    [['train', '--resume', 'runs/x', '--batch', '4'], /--batch cannot change when resuming/],
    [['eval'], /eval takes one or more run directories, got none/],
    [['serve', '--port', '70000'], /--port: "70000" is not an integer in \[0, 65535\]/],
    [['fly'], /unknown command "fly": expected one of train, eval, render, serve/],
  ];
  test.each(cases)('%p', async (args, message) => {
    const result = await cli(args as string[]);
    expect(result.stderr).toMatch(message as RegExp);
    expect(result.code).toBe(2);
  });

  test('--help exits 0 and lists the presets', async () => {
    const result = await cli(['train', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--preset');
    expect(result.stdout).toMatch(/tiny .*4 steps, batch 8/);
  });
});

withDevice(`train, resume, crash, stop, eval, render [${BACKEND}]`, () => {
  // Run "a": the tiny preset as is (4 steps, batch 8, log every step, checkpoint every 2).
  let a: CliResult;
  const A = runDir('a');
  const aLog = () => readLog(A);

  test('train --preset tiny writes a complete run directory', async () => {
    a = await cli(['train', '--preset', 'tiny', '--out', A]);
    expect(a.stderr).not.toMatch(/error/);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^backend: /m);
    expect(a.stdout).toMatch(/finished at step 4\/4/);
    for (const file of ['config.json', 'log.jsonl', 'model.safetensors', 'optimizer.safetensors', 'state.json', 'metrics.json']) expect(fs.existsSync(path.join(A, file))).toBe(true);
    expect(fs.readdirSync(A).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const config = readRunConfig(A);
    expect(config).toMatchObject({ preset: 'tiny', seed: 0, status: 'done', data: { dataset: 'dsprites', split: 'to-range', pairing: 'fixed', limit: 256 } });
    expect(config.model.model).toBe('maganet');
    expect(config.training).toMatchObject({ steps: 4, batchSize: 8, optimizer: 'adam', logEvery: 1, checkpointEvery: 2 });
    expect(config.code.version).toMatch(/^\d+\.\d+\.\d+/);

    const log = aLog();
    expect(stepsOf(log)).toEqual([1, 2, 3, 4]);
    for (const line of log) {
      for (const key of ['time', 'loss', 'bce', 'kl', 'latent', 'imagesPerSecond'] as const) expect(Number.isFinite(line[key])).toBe(true);
      expect(line.loss).toBeGreaterThan(0);
      expect(line.imagesPerSecond).toBeGreaterThan(0);
      expect(line.lr).toBe(config.training.lr);
    }

    const state = readRunState(A)!;
    expect(state).toMatchObject({ step: 4, status: 'done', sampler: { epoch: 0, position: 32 } });
    const model = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(A, 'model.safetensors'))));
    expect(model.metadata.step).toBe('4');
    expect(safetensorsStep(path.join(A, 'optimizer.safetensors'))).toBe('4');
    // The weights load into the run's architecture (every name and shape present, nothing extra).
    await T.init({ backend: BACKEND as T.BackendChoice, quiet: true });
    const fresh = await createModel(config.model, 1);
    loadModule(fresh, new Uint8Array(fs.readFileSync(path.join(A, 'model.safetensors'))));
    fresh.dispose();

    const metrics = JSON.parse(fs.readFileSync(path.join(A, 'metrics.json'), 'utf8'));
    expect(metrics.step).toBe(4);
    for (const part of ['test', 'train']) {
      expect(metrics[part].images).toBe(16);
      for (const key of ['bce', 'mse', 'psnr', 'ssim']) expect(Number.isFinite(metrics[part][key])).toBe(true);
    }
  }, 120_000);

  test('an existing run directory is refused and left untouched', async () => {
    const before = fs.statSync(path.join(A, 'model.safetensors')).mtimeMs;
    const again = await cli(['train', '--preset', 'tiny', '--out', A]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists: resume it with --resume/);
    expect(fs.statSync(path.join(A, 'model.safetensors')).mtimeMs).toBe(before);
    expect(stepsOf(aLog())).toEqual([1, 2, 3, 4]);
  }, 60_000);

  test('--resume continues at the checkpoint step with the same data and noise', async () => {
    const B = runDir('b');
    const first = await cli(['train', '--preset', 'tiny', '--steps', '2', '--out', B]);
    expect(first.code).toBe(0);
    const finished = await cli(['train', '--resume', B]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toMatch(/already trained 2 of 2 steps: pass --steps N/);

    const resumed = await cli(['train', '--resume', B, '--steps', '4']);
    expect(resumed.stderr).not.toMatch(/error/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* at step 2/);
    const log = readLog(B);
    expect(stepsOf(log)).toEqual([1, 2, 3, 4]);
    // An uninterrupted run of the same configuration drew the same batches and noise: its losses
    // after step 2 are what the resumed run must reproduce (not those of a restart from step 0).
    const reference = aLog();
    for (const i of [0, 1, 2, 3]) {
      expect(near(log[i].loss, reference[i].loss)).toBe(true);
      expect(near(log[i].bce, reference[i].bce)).toBe(true);
    }
    expect(near(log[2].loss, reference[0].loss)).toBe(false);
    expect(readRunState(B)).toMatchObject({ step: 4, status: 'done' });
    expect(readRunConfig(B).training.steps).toBe(4);
  }, 120_000);

  test('a crash between the renames of a save leaves whole files, and resuming finishes the save', async () => {
    const C = runDir('c');
    // The second save is the final one, at step 4: die right after model.safetensors is renamed.
    const crashed = await cli(['train', '--preset', 'tiny', '--out', C], { MAGA_TEST_CRASH: 'checkpoint:2:renamed-model' });
    expect(crashed.signal).toBe('SIGKILL');
    // Each file at its final name is whole (it decodes); they disagree on the step until recovery.
    expect(safetensorsStep(path.join(C, 'model.safetensors'))).toBe('4');
    expect(safetensorsStep(path.join(C, 'optimizer.safetensors'))).toBe('2');
    expect(readRunState(C)!.step).toBe(2);

    const recovered = openCheckpoint(C)!;
    expect(recovered.state.step).toBe(4);
    expect(safetensorsStep(path.join(C, 'optimizer.safetensors'))).toBe('4');
    expect(readRunState(C)!.step).toBe(4);
    expect(fs.readdirSync(C).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const resumed = await cli(['train', '--resume', C, '--steps', '6']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* at step 4/);
    expect(stepsOf(readLog(C))).toEqual([1, 2, 3, 4, 5, 6]);
  }, 120_000);

  test('a crash while writing a checkpoint keeps the previous one, and resuming repeats the lost steps', async () => {
    const D = runDir('d');
    // Die with half of the step-4 model written to its temporary file.
    const crashed = await cli(['train', '--preset', 'tiny', '--out', D], { MAGA_TEST_CRASH: 'checkpoint:2:write-model' });
    expect(crashed.signal).toBe('SIGKILL');
    const temp = path.join(D, '.model.safetensors.tmp');
    expect(() => decodeSafetensors(new Uint8Array(fs.readFileSync(temp)))).toThrow(); // truncated, as intended
    expect(safetensorsStep(path.join(D, 'model.safetensors'))).toBe('2');
    expect(safetensorsStep(path.join(D, 'optimizer.safetensors'))).toBe('2');
    expect(readRunState(D)!.step).toBe(2);
    expect(stepsOf(readLog(D))).toEqual([1, 2, 3, 4]); // logged before the crash

    const resumed = await cli(['train', '--resume', D]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* at step 2/);
    expect(fs.existsSync(temp)).toBe(false);
    const log = readLog(D);
    expect(stepsOf(log)).toEqual([1, 2, 3, 4]);
    const reference = aLog();
    for (const i of [2, 3]) expect(near(log[i].loss, reference[i].loss)).toBe(true);
  }, 120_000);

  test('Ctrl-C saves a checkpoint, marks the run stopped and exits 130', async () => {
    const E = runDir('e');
    const child = start(['train', '--preset', 'tiny', '--steps', '1000', '--checkpoint-every', '1000', '--out', E]);
    const deadline = Date.now() + 60_000;
    while (readLog(E).length < 2 && Date.now() < deadline) await Bun.sleep(100);
    child.kill('SIGINT');
    const result = await finished(child);
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/stopped at step \d+\/1000/);
    const state = readRunState(E)!;
    expect(state.status).toBe('stopped');
    expect(state.step).toBeGreaterThanOrEqual(2);
    expect(state.step).toBeLessThan(1000);
    expect(safetensorsStep(path.join(E, 'model.safetensors'))).toBe(String(state.step));
    expect(readLog(E).at(-1)!.step).toBe(state.step); // the stop logs its last step
    expect(readRunConfig(E).status).toBe('stopped');
    expect(fs.existsSync(path.join(E, 'metrics.json'))).toBe(false);
  }, 120_000);

  test('eval --json has the documented keys, and the to-diff of two runs', async () => {
    const result = await cli(['eval', A, runDir('b'), '--json', '--count', '8']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report).sort()).toEqual(['backend', 'runs', 'toDiff']);
    expect(report.runs).toHaveLength(2);
    for (const run of report.runs) {
      expect(Object.keys(run).sort()).toEqual(['count', 'data', 'model', 'run', 'split', 'step', 'test', 'train']);
      expect(run).toMatchObject({ model: 'maganet', data: 'dsprites to-range', split: 'to-range', step: 4, count: 8 });
      for (const part of ['test', 'train']) {
        expect(Object.keys(run[part]).sort()).toEqual(['bce', 'images', 'mse', 'psnr', 'ssim']);
        expect(run[part].images).toBe(8);
      }
    }
    expect(Object.keys(report.toDiff).sort()).toEqual(['bce', 'images', 'prediction', 'split', 'target']);
    expect(report.toDiff.images).toBe(8);
    // b resumed to the same weights as a (same data, same noise): their reconstructions agree, so
    // the to-diff is the BCE of a's reconstructions against themselves, their entropy: positive.
    expect(report.toDiff.bce).toBeGreaterThan(0);
    expect(near(report.runs[0].test.bce, report.runs[1].test.bce)).toBe(true);
    // eval records what it measured.
    expect(JSON.parse(fs.readFileSync(path.join(A, 'metrics.json'), 'utf8')).count).toBe(8);

    const table = await cli(['eval', A, '--count', '8']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^run\s+model\s+data\s+step\s+part\s+images\s+BCE\s+MSE\s+PSNR\s+PSNR\/img\s+SSIM/);
    expect(table.stdout).toMatch(/\ba\s+maganet\s+dsprites to-range\s+4\s+test\s+8\s/);
  }, 120_000);

  test('render writes valid PNG figures and an animated GIF', async () => {
    const result = await cli(['render', A, '--count', '4', '--steps', '3', '--scale', '1']);
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const figures = path.join(A, 'figures');
    const png = (name: string) => PNG.sync.read(fs.readFileSync(path.join(figures, name)));
    const size = (tiles: number) => tiles * 64 + (tiles + 1) * 2;

    // Rows: pivot, reconstruction, ground truth; the ground truth row is the test sample itself.
    const reconstructions = png('reconstructions-test.png');
    expect([reconstructions.width, reconstructions.height]).toEqual([size(4), size(3)]);
    await T.init({ backend: BACKEND as T.BackendChoice, quiet: true });
    const config = readRunConfig(A);
    const model = await createModel(config.model, 0);
    const first = evalIndices(model, { split: 'to-range', part: 'test', count: 1, seed: 0 }).varying[0];
    model.dispose();
    const truth = dsprites.render(first);
    const top = 2 + 2 * 66;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) expect(reconstructions.data[((top + y) * reconstructions.width + 2 + x) * 4]).toBe(truth[y * 64 + x] * 255);
    }
    const traversal = png('traversal.png');
    expect([traversal.width, traversal.height]).toEqual([size(1 + 3 + 1), size(modelSpec(config.model.model).codeDim(config.model as never))]);
    for (const name of ['reconstructions-train.png', 'recombination.png', 'identity.png']) expect(png(name).width).toBeGreaterThan(64);

    const gif = new Uint8Array(fs.readFileSync(path.join(figures, 'traversal.gif')));
    expect(new TextDecoder().decode(gif.subarray(0, 6))).toBe('GIF89a');
    const frames = gifFrames(gif);
    expect(frames.count).toBe(2 * 3 - 2); // there and back
    expect([frames.width, frames.height]).toEqual([size(modelSpec(config.model.model).codeDim(config.model as never)), size(1)]);

    const summary = JSON.parse(fs.readFileSync(path.join(figures, 'figures.json'), 'utf8'));
    expect(summary.step).toBe(4);
    expect(summary.identityMaxError).toBeLessThan(1e-4); // D(0, x) = x up to float rounding
  }, 120_000);
});

/** Walks a GIF's blocks (spec GIF89a) and counts its image descriptors: a decoder's first pass. */
function gifFrames(bytes: Uint8Array): { count: number; width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const packed = bytes[10];
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  const skipSubBlocks = () => {
    while (bytes[at] !== 0) at += bytes[at] + 1;
    at++;
  };
  let count = 0;
  while (at < bytes.length) {
    const block = bytes[at++];
    if (block === 0x3b) return { count, width, height };
    if (block === 0x21) {
      at++; // label
      skipSubBlocks();
    } else if (block === 0x2c) {
      const local = bytes[at + 8];
      at += 9 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0);
      at++; // LZW minimum code size
      skipSubBlocks();
      count++;
    } else {
      throw new Error(`gif: unexpected block 0x${block.toString(16)} at byte ${at - 1}`);
    }
  }
  throw new Error('gif: no trailer');
}

test('the cosine schedule decays from lr to lr/10; constant stays; the quick preset uses cosine', () => {
  const cosine = { ...planRun({ preset: 'quick', steps: 100, lr: 1e-3 }).training, schedule: 'cosine' as const };
  expect(learningRate(cosine, 0)).toBeCloseTo(1e-3, 12);
  expect(learningRate(cosine, 50)).toBeCloseTo(0.55e-3, 12);
  expect(learningRate(cosine, 100)).toBeCloseTo(1e-4, 12);
  for (let s = 1; s <= 100; s++) expect(learningRate(cosine, s)).toBeLessThanOrEqual(learningRate(cosine, s - 1));
  expect(learningRate({ ...cosine, schedule: 'constant' }, 70)).toBe(1e-3);
  expect(planRun({}).training.schedule).toBe('cosine');
  expect(planRun({ schedule: 'constant' }).training.schedule).toBe('constant');
});
