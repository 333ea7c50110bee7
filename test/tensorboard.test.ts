// TensorBoard event files (packages/cli/src/export): read back by a decoder written from the
// format's specification (tfevents-spec.ts), not from the writer's code. Then, where a Python with
// the `tensorboard` package exists (MAGA_PYTHON, else the first python3 that imports it), TensorBoard's own EventAccumulator
// reads the same file; Debian packages no tensorboard, so there the check is skipped, saying so.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c, encodePng, EventWriter, exportRun, FILE_VERSION, LiveTensorBoard, readLog, readMetrics, readRunConfig, scanEventFile, type LogLine } from '@maga/cli';
import { findPython, runPython } from '../bench/torch/python.ts';
import { testDevice } from '@maga/tensor/testing';

// The runs train on MAGA_BACKEND, else auto (testDevice).
const { choice: BACKEND } = await testDevice('tensorboard tests');
import { crc32cBitwise, decodeFile, f32, readRecords } from './tfevents-spec.ts';
import { cliOk, tempDir } from './support/index.ts';

const tmp = tempDir('tb');

const PNG_GREY = encodePng({ width: 3, height: 2, pixels: Float32Array.from([0, 0.2, 0.4, 0.6, 0.8, 1]) });
const PNG_RGB = encodePng({ width: 2, height: 2, channels: 3, pixels: Float32Array.from({ length: 12 }, (_, i) => i / 11) });

function writeSample(file: string): void {
  const writer = new EventWriter(file, { wallTime: 1000.5 });
  writer.summary(0, [{ tag: 'config', text: '```json\n{"a": 1}\n```' }], 1000.5);
  writer.summary(1, [{ tag: 'loss/loss', scalar: 2.5 }, { tag: 'loss/bce', scalar: 1 / 3 }], 1001);
  writer.summary(2 ** 33 + 7, [{ tag: 'loss/loss', scalar: -0.125 }], 1002.25);
  writer.summary(5, [{ tag: 'figures/grey', image: { png: PNG_GREY, height: 2, width: 3, colorspace: 1 } }, { tag: 'figures/rgb', image: { png: PNG_RGB, height: 2, width: 2, colorspace: 3 } }], 1003);
  writer.write({ wallTime: 1004, step: 3, sessionStart: true });
  writer.close();
}

describe('event files (spec decoder)', () => {
  test('CRC-32C of the check string "123456789" is 0xe3069283, from the writer\'s table and the bitwise definition', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32c(check)).toBe(0xe3069283);
    expect(crc32cBitwise(check)).toBe(0xe3069283);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    expect(crc32c(random)).toBe(crc32cBitwise(random));
  });

  test('the file version, scalars, images, text and a restart read back with their steps and wall times, every CRC checked', () => {
    const file = path.join(tmp, 'sample', 'events.out.tfevents.1.test');
    writeSample(file);
    const { events, error } = decodeFile(file);
    expect(error).toBeNull();
    expect(events.map((e) => e.step)).toEqual([0, 0, 1, 2 ** 33 + 7, 5, 3]);
    expect(events[0]).toMatchObject({ fileVersion: FILE_VERSION, wallTime: 1000.5, values: [] });
    expect(events[1].values).toEqual([{ tag: 'config', dtype: 7, text: '```json\n{"a": 1}\n```', plugin: 'text' }]);
    expect(events[2]).toMatchObject({ wallTime: 1001, values: [{ tag: 'loss/loss', scalar: 2.5 }, { tag: 'loss/bce', scalar: f32(1 / 3) }] });
    expect(events[3]).toMatchObject({ wallTime: 1002.25, values: [{ tag: 'loss/loss', scalar: -0.125 }] });
    const [grey, rgb] = events[4].values;
    expect(grey).toMatchObject({ tag: 'figures/grey', image: { height: 2, width: 3, colorspace: 1 } });
    expect(Buffer.from(grey.image!.png).equals(Buffer.from(PNG_GREY))).toBe(true);
    expect(rgb).toMatchObject({ tag: 'figures/rgb', image: { height: 2, width: 2, colorspace: 3 } });
    expect(Buffer.from(rgb.image!.png).equals(Buffer.from(PNG_RGB))).toBe(true);
    expect(events[5]).toMatchObject({ step: 3, sessionStatus: 1, values: [] });
    expect(scanEventFile(new Uint8Array(fs.readFileSync(file)))).toEqual({ records: 6, validBytes: fs.statSync(file).size, problem: null });
  });

  test('a flipped byte fails its record\'s CRC, in the decoder and in scanEventFile', () => {
    const file = path.join(tmp, 'flipped', 'events.out.tfevents.1.test');
    writeSample(file);
    const bytes = new Uint8Array(fs.readFileSync(file));
    const second = 12 + Number(new DataView(bytes.buffer).getBigUint64(0, true)) + 4; // the second record's offset
    bytes[second + 12 + 3] ^= 0x10;
    const { records, error } = readRecords(bytes);
    expect(records.length).toBe(1);
    expect(error).toBe(`data crc at ${second}`);
    expect(scanEventFile(bytes)).toEqual({ records: 1, validBytes: second, problem: `the data CRC of the record at byte ${second} does not match` });
  });

  test('a file cut short is reported with the records before it, not crashed on (scanEventFile, a resumed live session)', () => {
    const dir = path.join(tmp, 'cut');
    const file = path.join(dir, 'tensorboard', 'events.out.tfevents.1.host.maga-train');
    writeSample(file);
    const whole = fs.readFileSync(file);
    for (const keep of [whole.length - 3, whole.length - 40, 5]) {
      const bytes = new Uint8Array(whole.subarray(0, keep));
      const scan = scanEventFile(bytes);
      expect(scan.problem).toMatch(/cut short/);
      expect(readRecords(bytes).error).toMatch(/truncated/);
      expect(scan.records).toBe(readRecords(bytes).records.length);
      expect(scan.records).toBeLessThan(6);
    }
    fs.writeFileSync(file, whole.subarray(0, whole.length - 3));
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    const live = new LiveTensorBoard();
    const started = live.start(dir, { format: 1 } as never, 3, true);
    live.close();
    expect(live.notes).toHaveLength(1);
    expect(live.notes[0]).toContain(`${file}: the record at byte`);
    expect(live.notes[0]).toContain('TensorBoard reads its 5 whole records before it');
    const fresh = decodeFile(started);
    expect(fresh.error).toBeNull();
    expect(fresh.events[1]).toMatchObject({ step: 3, sessionStatus: 1 });
  });
});

describe('a trained run exported to TensorBoard', () => {
  test('every log line\'s terms, the metrics, the figures and the config read back with their steps', async () => {
    const run = path.join(tmp, 'runs', 'la');
    await cliOk(['train', '--preset', 'tiny', '--model', 'latent-action', '--steps', '6', '--log-every', '2', '--out', run, '--quiet'], { MAGA_BACKEND: BACKEND });
    await cliOk(['render', run], { MAGA_BACKEND: BACKEND });
    const result = exportRun(run, path.join(tmp, 'tb', 'la'));
    const { events, error } = decodeFile(result.file);
    expect(error).toBeNull();
    const log = readLog(run);
    const metrics = readMetrics(run)!;
    const scalars = events.flatMap((e) => e.values.filter((v) => v.scalar !== undefined).map((v) => ({ step: e.step, tag: v.tag, value: v.scalar! })));
    const terms = (line: LogLine) => Object.keys(line).filter((k) => !['step', 'time', 'lr', 'imagesPerSecond'].includes(k));
    expect(log.map((l) => l.step)).toEqual([2, 4, 6]);
    for (const line of log) {
      expect(terms(line).sort()).toEqual(['equivariance', 'identity', 'loss', 'reconstruction', 'skipConsistency']);
      for (const term of terms(line)) expect(scalars).toContainEqual({ step: line.step, tag: `loss/${term}`, value: f32(line[term]) });
      expect(scalars).toContainEqual({ step: line.step, tag: 'training/lr', value: f32(line.lr) });
    }
    for (const metric of ['bce', 'mse', 'psnr', 'ssim'] as const) {
      expect(scalars).toContainEqual({ step: metrics.step, tag: `test/${metric}`, value: f32(metrics.test[metric]) });
      expect(scalars).toContainEqual({ step: metrics.step, tag: `train-sample/${metric}`, value: f32(metrics.train[metric]) });
    }
    const bucket = (metrics.test as { buckets: { name: string; psnr: number }[] }).buckets[0];
    expect(scalars).toContainEqual({ step: metrics.step, tag: `test/psnr/${bucket.name}`, value: f32(bucket.psnr) });
    expect(result.scalars).toBe(scalars.length);
    const pngs = fs.readdirSync(path.join(run, 'figures')).filter((f) => f.endsWith('.png'));
    const images = events.flatMap((e) => e.values.filter((v) => v.image).map((v) => ({ step: e.step, tag: v.tag, bytes: v.image!.png.length })));
    expect(images.map((i) => i.tag).sort()).toEqual(pngs.map((f) => `figures/${f.replace(/\.png$/, '')}`).sort());
    for (const i of images) expect(i).toEqual({ step: 6, tag: i.tag, bytes: fs.statSync(path.join(run, 'figures', `${i.tag.slice(8)}.png`)).size });
    const config = events.flatMap((e) => e.values).find((v) => v.tag === 'config')!;
    expect(config.plugin).toBe('text');
    expect(JSON.parse(config.text!.replace(/^```json\n|\n```$/g, ''))).toEqual(readRunConfig(run));

    // TensorBoard's own reader, where a Python has it.
    const tb = findPython(['tensorboard'], 'tensorboard is not packaged by Debian; pip install tensorboard into a venv and set MAGA_PYTHON to it');
    if (!tb.ok) {
      console.warn(`[tensorboard] TensorBoard's reader not run: ${tb.reason}`);
      return;
    }
    const read = JSON.parse(runPython([path.join(import.meta.dir, 'tensorboard_read.py'), path.dirname(result.file)], { python: tb.python })) as {
      scalars: Record<string, [number, number][]>;
      images: Record<string, [number, number, number, number][]>;
      tensors: Record<string, [number, string][]>;
    };
    console.log(`[tensorboard] read by TensorBoard ${tb.version} (${tb.python}): ${Object.keys(read.scalars).length} scalar tags, ${Object.keys(read.images).length} images`);
    for (const s of scalars) expect(read.scalars[s.tag]).toContainEqual([s.step, s.value]);
    expect(Object.values(read.scalars).flat().length).toBe(scalars.length);
    for (const i of images) expect(read.images[i.tag]).toEqual([[i.step, expect.any(Number), expect.any(Number), i.bytes]]);
    expect(read.tensors.config[0][1]).toBe(config.text!);
  });
});
