// `cli export tensorboard`, `cli train --tensorboard` and `cli train --from`, end to end through the
// real entry point on tiny runs. Event files are read with the spec decoder (tfevents-spec.ts).
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLog, readMetrics, readRunConfig } from '@maga/cli';
import { decodeFile, f32, type Decoded } from './tfevents-spec.ts';
import { cliOk, cliSuite } from './support/index.ts';

const BACKEND = process.env.MAGA_BACKEND ?? 'cpu';
const { tmp, cli } = cliSuite('tbfrom', BACKEND);
const ok = (args: string[]) => cliOk(args, { MAGA_BACKEND: BACKEND });

const scalarsOf = (events: Decoded[]) => events.flatMap((e) => e.values.filter((v) => v.scalar !== undefined).map((v) => ({ step: e.step, tag: v.tag, value: v.scalar! })));
const eventFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.includes('tfevents')).sort().map((f) => path.join(dir, f)) : []);

describe('cli export tensorboard', () => {
  test('two runs into DIR/<run>/: their curves, metrics, figures and config; again replaces; bad input is named', async () => {
    const vae = path.join(tmp, 'runs', 'vae');
    const pairs = path.join(tmp, 'runs', 'flow');
    await ok(['train', '--preset', 'tiny', '--model', 'vae', '--out', vae, '--quiet']);
    await ok(['train', '--preset', 'tiny', '--model', 'flow-action', '--group', 'c4', '--out', pairs, '--quiet']);
    const out = path.join(tmp, 'tb');
    const first = await ok(['export', 'tensorboard', vae, pairs, '--out', out]);
    expect(first.stderr).toContain(`${vae} has no figures: rendering them`);
    expect(first.stdout).toContain(`tensorboard --logdir ${out}`);
    for (const run of [vae, pairs]) {
      const files = eventFiles(path.join(out, path.basename(run)));
      expect(files).toHaveLength(1);
      const { events, error } = decodeFile(files[0]);
      expect(error).toBeNull();
      const scalars = scalarsOf(events);
      for (const line of readLog(run)) expect(scalars).toContainEqual({ step: line.step, tag: 'loss/loss', value: f32(line.loss) });
      const metrics = readMetrics(run)!;
      expect(scalars).toContainEqual({ step: metrics.step, tag: 'test/psnr', value: f32(metrics.test.psnr) });
      const images = events.flatMap((e) => e.values.filter((v) => v.image).map((v) => v.tag));
      expect(images.length).toBe(fs.readdirSync(path.join(run, 'figures')).filter((f) => f.endsWith('.png')).length);
      expect(images.length).toBeGreaterThan(0);
      expect(events.flatMap((e) => e.values).some((v) => v.tag === 'config' && v.plugin === 'text')).toBe(true);
    }
    // Again, with the figures there now: nothing rendered, the earlier export replaced.
    const again = await ok(['export', 'tensorboard', vae, '--out', out]);
    expect(again.stderr).not.toContain('rendering');
    expect(again.stdout).toMatch(/replacing 1 earlier export/);
    expect(eventFiles(path.join(out, 'vae'))).toHaveLength(1);

    const missing = await cli(['export', 'tensorboard', path.join(tmp, 'nowhere'), '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${path.join(tmp, 'nowhere', 'config.json')} does not exist`);
    for (const [args, message] of [
      [['export'], /export takes the format first: tensorboard/],
      [['export', 'csv', vae], /export takes the format first: tensorboard \(the only one\), got "csv"/],
      [['export', 'tensorboard'], /needs at least one run directory/],
      [['export', 'tensorboard', vae, path.join(tmp, 'other', 'vae')], /two runs are named vae/],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('cli train --tensorboard', () => {
  test('a session writes its own event file live; a resumed one starts with a restart at its checkpoint', async () => {
    const run = path.join(tmp, 'runs', 'live');
    await ok(['train', '--preset', 'tiny', '--model', 'latent-action', '--steps', '4', '--tensorboard', '--out', run, '--quiet']);
    const [first] = eventFiles(path.join(run, 'tensorboard'));
    const a = decodeFile(first);
    expect(a.error).toBeNull();
    const scalars = scalarsOf(a.events);
    const log = readLog(run);
    expect(log.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    for (const line of log) for (const term of ['loss', 'reconstruction', 'identity', 'equivariance']) expect(scalars).toContainEqual({ step: line.step, tag: `loss/${term}`, value: f32(line[term]) });
    const metrics = readMetrics(run)!;
    expect(scalars).toContainEqual({ step: 4, tag: 'test/ssim', value: f32(metrics.test.ssim) });
    const config = a.events.flatMap((e) => e.values).find((v) => v.tag === 'config')!;
    expect(JSON.parse(config.text!.replace(/^```json\n|\n```$/g, '')).model).toEqual(readRunConfig(run).model);
    expect(a.events.flatMap((e) => e.values).filter((v) => v.image).length).toBeGreaterThan(0);

    await new Promise((r) => setTimeout(r, 1100)); // a new second: the next file's name sorts after
    await ok(['train', '--resume', run, '--steps', '6', '--tensorboard', '--quiet']);
    const files = eventFiles(path.join(run, 'tensorboard'));
    expect(files).toHaveLength(2);
    const b = decodeFile(files[1]);
    expect(b.error).toBeNull();
    expect(b.events[1]).toMatchObject({ step: 4, sessionStatus: 1 });
    expect(scalarsOf(b.events).filter((s) => s.tag === 'loss/loss').map((s) => s.step)).toEqual([5, 6]);
  });
});

describe('cli train --from', () => {
  test('the new config is the old one plus the flags given, and records where it came from', async () => {
    const x = path.join(tmp, 'runs', 'x');
    await ok(['train', '--preset', 'tiny', '--model', 'latent-action', '--seed', '2', '--out', x, '--quiet']);
    const y = path.join(tmp, 'runs', 'y');
    await ok(['train', '--from', x, '--steps', '6', '--skips', 'none', '--group', 'c4', '--lr', '0.002', '--out', y, '--quiet']);
    const [old, made] = [readRunConfig(x), readRunConfig(y)];
    const expected = structuredClone(old) as unknown as Record<string, any>;
    expected.training.steps = 6;
    expected.training.lr = 0.002;
    expected.model.skips = 'none';
    expected.model.group = { kind: 'cyclic', n: 4, frequencies: (old.model as { group: { frequencies: number[] } }).group.frequencies };
    expected.data.group = 'c4';
    const { code: _c, createdAt: _t, backend: _b, status: _s, from, ...rest } = made as typeof made & { from: unknown };
    const { code: _c2, createdAt: _t2, backend: _b2, status: _s2, ...expectedRest } = expected;
    expect(rest).toEqual(expectedRest as never);
    expect(from).toEqual({ run: x, step: 4, flags: ['--steps', '6', '--skips', 'none', '--group', 'c4', '--lr', '0.002'] });
    expect(made.status).toBe('done');
    expect(readLog(y).at(-1)!.step).toBe(6);

    // The same config twice over: a run repeated from its directory trains the same losses.
    const z = path.join(tmp, 'runs', 'z');
    await ok(['train', '--from', x, '--out', z, '--quiet']);
    expect(readLog(z).map((l) => l.loss)).toEqual(readLog(x).map((l) => l.loss));
  });

  test('a missing or corrupt run, --preset, another --model, --resume: exit 2 naming the file or flag', async () => {
    const x = path.join(tmp, 'runs', 'bad');
    fs.mkdirSync(x, { recursive: true });
    const missing = await cli(['train', '--from', path.join(tmp, 'runs', 'absent')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--from: ${path.join(tmp, 'runs', 'absent', 'config.json')} does not exist`);
    fs.writeFileSync(path.join(x, 'config.json'), '{"format": 1, "model": ');
    const corrupt = await cli(['train', '--from', x]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain(`--from: ${path.join(x, 'config.json')} is not valid JSON`);
    fs.writeFileSync(path.join(x, 'config.json'), JSON.stringify({ ...readRunConfig(path.join(tmp, 'runs', 'x')), seed: -1 }));
    const invalid = await cli(['train', '--from', x]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${path.join(x, 'config.json')}: seed must be a non-negative integer, got -1`);
    const good = path.join(tmp, 'runs', 'x');
    for (const [args, message] of [
      [['--preset', 'quick'], /--preset cannot be given with --from/],
      [['--model', 'vae'], /--model vae: --from .* is a latent-action run/],
      [['--beta', '2'], /--beta does not apply to the latent-action model of --from/],
      [['--resume', good], /--from cannot change when resuming/],
    ] as const) {
      const r = await cli(['train', '--from', good, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
