// What a checkpoint's values must satisfy beyond the safetensors format: every value finite (a
// diverged run's NaN weights are never saved, nor loaded without being asked for), and, for the
// files we write, a CRC-32 of the values in the metadata, so that a flipped byte in the data
// buffer is refused instead of loading as a slightly different model. Files written elsewhere
// (PyTorch) carry no checksum and are loaded unchecked.
import { CheckpointError, type CheckpointTensor } from './checkpoint.ts';

/** The metadata key holding the CRC-32 (8 lowercase hex digits) of the tensors' values. */
export const CHECKSUM_KEY = 'crc32';

/** The first value that is NaN or ±Inf in a set of tensors, searched in name order. */
export interface NonFinite {
  tensor: string;
  /** Flat (row-major) index of the first offending value in the tensor. */
  index: number;
  value: number;
  /** How many of the tensor's values are not finite. */
  count: number;
  size: number;
}

/** A checkpoint refused because a tensor holds NaN or ±Inf; `found` says where. */
export class NonFiniteError extends CheckpointError {
  override name = 'NonFiniteError';
  constructor(
    readonly found: NonFinite,
    what = 'tensor',
  ) {
    super(`${what} ${describeNonFinite(found)}`);
  }
}

export function describeNonFinite(f: NonFinite): string {
  return `${f.tensor} holds ${f.value} at index ${f.index} (${f.count} of its ${f.size} values are not finite)`;
}

/** The first non-finite value among `tensors` (names sorted), or null when all are finite. */
export function findNonFinite(tensors: Record<string, CheckpointTensor>): NonFinite | null {
  for (const name of Object.keys(tensors).sort()) {
    const { data } = tensors[name];
    let first = -1;
    let count = 0;
    for (let i = 0; i < data.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Inf: one test instead of two.
      if (data[i] - data[i] !== 0) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (first >= 0) return { tensor: name, index: first, value: data[first], count, size: data.length };
  }
  return null;
}

/** The byte table of a reflected CRC-32 with `polynomial` (0xedb88320: zlib/PNG; 0x82f63b78: Castagnoli). */
export function crcTable(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC_TABLE = crcTable(0xedb88320);

/** CRC-32 (the zlib/PNG polynomial) of bytes, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The checksum of a set of tensors: CRC-32 over each tensor's name and float32 values in name
 * order, as hex. Names take part so that two equal-sized tensors swapped in the header do not
 * pass. The values are hashed as the host's float32 bytes: little-endian, like the file, on every
 * platform Bun and the browsers we target run on.
 */
export function tensorsChecksum(tensors: Record<string, CheckpointTensor>): string {
  let crc = 0;
  const encoder = new TextEncoder();
  for (const name of Object.keys(tensors).sort()) {
    const { shape, data } = tensors[name];
    crc = crc32(encoder.encode(`${name}:${shape.join(',')};`), crc);
    crc = crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), crc);
  }
  return crc.toString(16).padStart(8, '0');
}

/** Refuses tensors whose values do not match the checksum in `metadata` (when there is one). */
export function verifyChecksum(tensors: Record<string, CheckpointTensor>, metadata: Record<string, string>): void {
  const expected = metadata[CHECKSUM_KEY];
  if (expected === undefined) return;
  const actual = tensorsChecksum(tensors);
  if (actual !== expected) {
    throw new CheckpointError(`the values do not match the file's checksum (${CHECKSUM_KEY} ${JSON.stringify(expected).slice(0, 40)}, computed ${actual}): the file is corrupt`);
  }
}
