// The evaluation of pair models (evaluatePairs): the set's PSNR from its mean MSE, the mean of
// per-image dB, and both over the pairs with g ≠ e, against a numpy/float64 reference
// (fixtures/set-psnr.py, run with /usr/bin/python3 when it has numpy; skipped, saying why, if not),
// and copy-x's metrics against x and g·x compared by hand.
import { expect, test } from 'bun:test';
import * as path from 'node:path';
import * as T from '@maga/tensor';
import { CopyX, evaluatePairs, isIdentityElement, openDataset, psnrOfMse, RotateX, type GroupConfig } from '../index.ts';
import { cpu } from '@maga/tensor/testing';

const C4: GroupConfig = { kind: 'cyclic', n: 4, frequencies: [1] };
const python = '/usr/bin/python3';
const probe = Bun.spawnSync([python, '-c', 'import numpy'], { stderr: 'pipe' });
const hasNumpy = probe.exitCode === 0;
if (!hasNumpy) console.warn(`[pair metrics] numpy reference skipped: ${python} -c 'import numpy' failed (${probe.stderr.toString().trim().split('\n').pop() ?? 'no output'})`);

(hasNumpy ? test : test.skip)('set PSNR, per-image PSNR and their g ≠ e parts match numpy in float64 (rotate-x on rotated-blocked-mnist c4)', async () => {
  await T.withBackend(cpu, async () => {
    const data = await openDataset('rotated-blocked-mnist', 'c4');
    const model = new RotateX({ model: 'rotate-x', imageSize: 32, channels: 1, group: C4 });
    const metrics = await evaluatePairs(model, data, C4, { part: 'test', count: 40, seed: 3, batchSize: 16 });
    // The same pairs and predictions, handed to numpy.
    const set = data.evaluationSet({ pairs: 40, seed: 3, part: 'test' });
    const host = data.renderPairs(set.specs);
    const p = await model.predictPixels({ x: T.tensor(host.x, [40, 1, 32, 32]), gx: T.tensor(host.gx, [40, 1, 32, 32]), g: T.tensor(host.g) }).data();
    const moved = Array.from(host.g, (g) => (isIdentityElement(C4, [g]) ? 0 : 1));
    expect(moved.filter((m) => m === 0).length).toBe(10); // stratified: 10 of 40 at j = 0
    const run = Bun.spawnSync([python, path.join(import.meta.dir, 'fixtures', 'set-psnr.py')], { stdin: Buffer.from(JSON.stringify({ p: Array.from(p), t: Array.from(host.gx), images: 40, moved })), stdout: 'pipe', stderr: 'pipe' });
    expect(run.stderr.toString()).toBe('');
    const reference = JSON.parse(run.stdout.toString());
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-9 * Math.max(1, Math.abs(b)));
    close(metrics.mse, reference.mse);
    close(metrics.psnrSet, reference.psnrSet);
    close(metrics.psnr, reference.psnr);
    expect(metrics.notIdentity.images).toBe(reference.moved.images);
    close(metrics.notIdentity.mse, reference.moved.mse);
    close(metrics.notIdentity.psnrSet, reference.moved.psnrSet);
    close(metrics.notIdentity.psnr, reference.moved.psnr);
    // The j = 0 pairs are exact (100 dB each): they lift the mean of per-image dB far above the set's PSNR.
    expect(metrics.psnr - metrics.psnrSet).toBeGreaterThan(10);
    expect(metrics.buckets[0]).toMatchObject({ name: 'j=0', images: 10, mse: 0, psnrSet: 100, psnr: 100 });
    model.dispose();
  });
}, 120_000);

test('copy-x predicts x itself: its MSE is the mean squared difference of x and g·x, its PSNR the set’s', async () => {
  await T.withBackend(cpu, async () => {
    const data = await openDataset('rotated-mnist', 'so2');
    const group: GroupConfig = { kind: 'so2', frequencies: [1] };
    const model = new CopyX({ model: 'copy-x', imageSize: 32, channels: 1, group });
    const metrics = await evaluatePairs(model, data, group, { part: 'test', count: 16, seed: 0 });
    const host = data.renderPairs(data.evaluationSet({ pairs: 16, seed: 0, part: 'test' }).specs);
    let sum = 0;
    for (let i = 0; i < host.x.length; i++) sum += (host.x[i] - host.gx[i]) ** 2;
    expect(Math.abs(metrics.mse - sum / host.x.length)).toBeLessThan(1e-12);
    expect(metrics.psnrSet).toBeCloseTo(psnrOfMse(sum / host.x.length), 10);
    expect(model.parameterCount()).toBe(0);
    model.dispose();
  });
}, 120_000);

test('isIdentityElement: θ ≡ 0 mod 2π, j ≡ 0 mod n, q = ±(1, 0, 0, 0)', () => {
  const so2: GroupConfig = { kind: 'so2', frequencies: [1] };
  expect([0, 2 * Math.PI, -4 * Math.PI, 1e-8].map((v) => isIdentityElement(so2, [v]))).toEqual([true, true, true, true]);
  expect([1e-4, Math.PI, 3].map((v) => isIdentityElement(so2, [v]))).toEqual([false, false, false]);
  expect([0, 4, 8, 1, 3].map((v) => isIdentityElement(C4, [v]))).toEqual([true, true, true, false, false]);
  const so3: GroupConfig = { kind: 'so3', degrees: [1] };
  expect(isIdentityElement(so3, [1, 0, 0, 0])).toBe(true);
  expect(isIdentityElement(so3, [-1, 0, 0, 0])).toBe(true);
  expect(isIdentityElement(so3, [Math.cos(0.01), Math.sin(0.01), 0, 0])).toBe(false);
});
