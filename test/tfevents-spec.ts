// A reader of TensorBoard event files written from the format's specification for the tests —
// TensorFlow's record framing (length, masked CRC-32C of the length, data, masked CRC-32C of the
// data) and the protobuf wire format of the Event, Summary, Image and TensorProto fields
// (tensorboard/compat/proto) — not from the writer's code: its CRC-32C is the bit-by-bit
// definition, the writer's a table.
import * as fs from 'node:fs';

export function crc32cBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const masked = (bytes: Uint8Array) => {
  const c = crc32cBitwise(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
};

/** The records of an event file, or the first fault (a short record, a CRC that does not match). */
export function readRecords(bytes: Uint8Array): { records: Uint8Array[]; error: string | null } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) return { records, error: `truncated header at ${at}` };
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(bytes.subarray(at, at + 8))) return { records, error: `length crc at ${at}` };
    if (at + 12 + length + 4 > bytes.length) return { records, error: `truncated data at ${at}` };
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== masked(data)) return { records, error: `data crc at ${at}` };
    records.push(data);
    at += 12 + length + 4;
  }
  return { records, error: null };
}

type Field = number | Uint8Array | { fixed64: DataView } | { fixed32: DataView };

/** Protobuf wire format: key = field << 3 | wire type; 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
function fields(bytes: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: Field;
    if (wire === 0) value = varint();
    else if (wire === 1) (value = { fixed64: new DataView(bytes.buffer, bytes.byteOffset + at, 8) }), (at += 8);
    else if (wire === 5) (value = { fixed32: new DataView(bytes.buffer, bytes.byteOffset + at, 4) }), (at += 4);
    else if (wire === 2) {
      const n = varint();
      value = bytes.subarray(at, at + n);
      at += n;
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const one = (f: Map<number, Field[]>, n: number) => f.get(n)?.[0];
const text = (v: Field | undefined) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined);

export interface Decoded {
  wallTime: number;
  step: number;
  fileVersion?: string;
  sessionStatus?: number;
  values: { tag: string; scalar?: number; image?: { height: number; width: number; colorspace: number; png: Uint8Array }; text?: string; plugin?: string; dtype?: number }[];
}

export function decodeEvent(bytes: Uint8Array): Decoded {
  const f = fields(bytes);
  const wall = one(f, 1) as { fixed64: DataView };
  const event: Decoded = { wallTime: wall.fixed64.getFloat64(0, true), step: (one(f, 2) as number) ?? 0, fileVersion: text(one(f, 3)), values: [] };
  const session = one(f, 7);
  if (session instanceof Uint8Array) event.sessionStatus = one(fields(session), 1) as number;
  const summary = one(f, 5);
  if (summary instanceof Uint8Array) {
    for (const raw of fields(summary).get(1) ?? []) {
      const v = fields(raw as Uint8Array);
      const value: Decoded['values'][number] = { tag: text(one(v, 1))! };
      const simple = one(v, 2) as { fixed32: DataView } | undefined;
      if (simple) value.scalar = simple.fixed32.getFloat32(0, true);
      const image = one(v, 4);
      if (image instanceof Uint8Array) {
        const i = fields(image);
        value.image = { height: one(i, 1) as number, width: one(i, 2) as number, colorspace: one(i, 3) as number, png: one(i, 4) as Uint8Array };
      }
      const tensor = one(v, 8);
      if (tensor instanceof Uint8Array) {
        const t = fields(tensor);
        value.dtype = one(t, 1) as number;
        value.text = text(one(t, 8));
      }
      const metadata = one(v, 9);
      if (metadata instanceof Uint8Array) value.plugin = text(one(fields(one(fields(metadata), 1) as Uint8Array), 1));
      event.values.push(value);
    }
  }
  return event;
}

export const decodeFile = (file: string) => {
  const { records, error } = readRecords(new Uint8Array(fs.readFileSync(file)));
  return { events: records.map(decodeEvent), error };
};
/** A number as the float32 simple_value holds it. */
export const f32 = (x: number) => Math.fround(x);
