// TensorBoard event files, written by our own small encoder (no npm package does this and is kept
// up: @roboflow/tfrecords, the one near it, writes tf.Example records and was last released in 2020).
//
// The format (TensorFlow's record framing around tensorboard/compat/proto/event.proto messages):
//   a file is records, each: uint64 length (little-endian), uint32 masked CRC-32C of those 8 bytes,
//   the data (one serialised Event), uint32 masked CRC-32C of the data; a CRC is masked as
//   ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32). The first Event holds file_version
//   "brain.Event:2". The fields written here, by number:
//     Event          1 wall_time (double, seconds)  2 step (int64)  3 file_version (string)
//                    5 summary (Summary)            7 session_log (SessionLog)
//     SessionLog     1 status (enum: 1 START)
//     Summary        1 value (repeated Value)
//     Value          1 tag  2 simple_value (float)  4 image (Image)  8 tensor (TensorProto)  9 metadata
//     Image          1 height  2 width  3 colorspace (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)  4 encoded_image_string (PNG)
//     SummaryMetadata 1 plugin_data { 1 plugin_name  2 content }
//     TensorProto    1 dtype (7 = DT_STRING)  2 tensor_shape (empty: a scalar)  8 string_val
//   Text is the text plugin's form: a DT_STRING scalar tensor whose value is Markdown, with
//   plugin_name "text" (its content, a TextPluginData of version 0, serialises to no bytes).
// A SessionLog START at step T tells TensorBoard that a run restarted there: it drops the events
// of a crashed session after T (what `train --resume` repeats).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crcTable } from '@maga/model';

// ---- CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) ------------------------------------

const CRC32C_TABLE = crcTable(0x82f63b78);

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One record: length, its masked CRC, the data, the data's masked CRC. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---- the protobuf fields we write ---------------------------------------------------------------

class Proto {
  private parts: number[] = [];

  private varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`tensorboard: ${v} is not a non-negative integer a varint can hold here`);
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  double(field: number, v: number): this {
    return this.fixed(field, 1, 8, (view) => view.setFloat64(0, v, true));
  }

  float(field: number, v: number): this {
    return this.fixed(field, 5, 4, (view) => view.setFloat32(0, v, true));
  }

  /** A fixed-width little-endian field: wire type 1 (64 bits) or 5 (32 bits). */
  private fixed(field: number, wire: 1 | 5, size: number, write: (view: DataView) => void): this {
    this.key(field, wire);
    const b = new Uint8Array(size);
    write(new DataView(b.buffer));
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, 2);
    this.varint(v.length);
    for (let i = 0; i < v.length; i++) this.parts.push(v[i]);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }

  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

// ---- events ---------------------------------------------------------------------------------------

export const FILE_VERSION = 'brain.Event:2';
const DT_STRING = 7;

export interface ImageSummary {
  /** PNG bytes. */
  png: Uint8Array;
  height: number;
  width: number;
  colorspace: number;
}

export type SummaryValue = { tag: string; scalar: number } | { tag: string; image: ImageSummary } | { tag: string; text: string };

export interface TensorBoardEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: SummaryValue[];
  /** A SessionLog START: the run (re)starts at `step`. */
  sessionStart?: boolean;
}

function encodeValue(v: SummaryValue): Proto {
  const value = new Proto().string(1, v.tag);
  if ('scalar' in v) return value.float(2, v.scalar);
  if ('image' in v) {
    const { height, width, colorspace, png } = v.image;
    return value.message(4, new Proto().uint(1, height).uint(2, width).uint(3, colorspace).bytes(4, png));
  }
  const tensor = new Proto().uint(1, DT_STRING).message(2, new Proto()).string(8, v.text);
  return value.message(8, tensor).message(9, new Proto().message(1, new Proto().string(1, 'text')));
}

export function encodeEvent(event: TensorBoardEvent): Uint8Array {
  const m = new Proto().double(1, event.wallTime).uint(2, event.step);
  if (event.fileVersion !== undefined) m.string(3, event.fileVersion);
  if (event.summary) {
    const summary = new Proto();
    for (const v of event.summary) summary.message(1, encodeValue(v));
    m.message(5, summary);
  }
  if (event.sessionStart) m.message(7, new Proto().uint(1, 1));
  return m.finish();
}

/** Width, height and TensorBoard colorspace of an 8-bit PNG, from its IHDR chunk. */
export function pngInfo(png: Uint8Array, where = 'PNG'): { width: number; height: number; colorspace: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 26 || signature.some((b, i) => png[i] !== b)) throw new Error(`${where} is not a PNG file`);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const colour = png[25];
  const colorspace = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[colour];
  if (colorspace === undefined) throw new Error(`${where}: PNG colour type ${colour} (palette) has no TensorBoard colorspace`);
  return { width: view.getUint32(16), height: view.getUint32(20), colorspace };
}

// ---- reading the framing back (a resumed run checks the file it leaves) ---------------------------

export interface EventFileScan {
  records: number;
  /** Bytes up to the end of the last whole, intact record. */
  validBytes: number;
  /** What is wrong after validBytes (a record cut short, a CRC that does not match), or null. */
  problem: string | null;
}

/** Walks an event file's records, checking both CRCs of each; never throws on bad bytes. */
export function scanEventFile(bytes: Uint8Array): EventFileScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let records = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 12) return { records, validBytes: offset, problem: `a record header cut short at byte ${offset} (${bytes.length - offset} of 12 bytes)` };
    const length = view.getBigUint64(offset, true);
    if (view.getUint32(offset + 8, true) !== maskedCrc32c(bytes.subarray(offset, offset + 8))) return { records, validBytes: offset, problem: `the length CRC of the record at byte ${offset} does not match` };
    const end = offset + 12 + Number(length) + 4;
    if (length > BigInt(bytes.length) || end > bytes.length) return { records, validBytes: offset, problem: `the record at byte ${offset} is cut short (${length} data bytes announced, ${Math.max(0, bytes.length - offset - 12)} present with its CRC)` };
    const data = bytes.subarray(offset + 12, end - 4);
    if (view.getUint32(end - 4, true) !== maskedCrc32c(data)) return { records, validBytes: offset, problem: `the data CRC of the record at byte ${offset} does not match` };
    records++;
    offset = end;
  }
  return { records, validBytes: offset, problem: null };
}

// ---- writing a file -------------------------------------------------------------------------------

/**
 * Appends events to one file, record by record (TensorBoard reads a growing file as it grows). The
 * first record is the file version. `atomic` writes to a temporary file renamed into place by
 * close(), for an export that must not leave half a file behind.
 */
export class EventWriter {
  private fd: number;
  private readonly target: string;
  private readonly written: string;

  constructor(
    readonly file: string,
    options: { atomic?: boolean; wallTime?: number } = {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.target = file;
    this.written = options.atomic ? `${file}.tmp-${process.pid}` : file;
    this.fd = fs.openSync(this.written, options.atomic ? 'w' : 'a');
    this.write({ wallTime: options.wallTime ?? Date.now() / 1000, step: 0, fileVersion: FILE_VERSION });
  }

  write(event: TensorBoardEvent): void {
    if (this.fd < 0) throw new Error(`tensorboard: ${this.target} is closed`);
    fs.writeSync(this.fd, encodeRecord(encodeEvent(event)));
  }

  /** Values of one step in one event. */
  summary(step: number, values: SummaryValue[], wallTime = Date.now() / 1000): void {
    if (values.length > 0) this.write({ wallTime, step, summary: values });
  }

  close(): void {
    if (this.fd < 0) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    if (this.written !== this.target) fs.renameSync(this.written, this.target);
  }
}

/** `events.out.tfevents.<unix seconds>.<host>.<suffix>`: TensorBoard finds files by "tfevents" and sorts them by name. */
export function eventFileName(suffix: string, now = Date.now()): string {
  const host = (process.env.HOSTNAME || 'maga').replace(/[^A-Za-z0-9.-]/g, '-');
  return `events.out.tfevents.${Math.floor(now / 1000)}.${host}.${suffix}`;
}
