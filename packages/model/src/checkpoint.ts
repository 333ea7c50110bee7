// Checkpoint bytes in the safetensors format, so that PyTorch's `safetensors` reads our weights
// and we read its files. Pure bytes in, bytes out: the CLI owns the file system.
//
// Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON header, then the data
// buffer. The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets
// relative to the data buffer) plus an optional "__metadata__" map of strings to strings.
// Only float32 ("F32") is written or accepted: it is the one dtype our tensors have.

/** A named parameter as it lives in a checkpoint: a row-major shape and its float32 values. */
export type CheckpointTensor = { shape: number[]; data: Float32Array };

/** Thrown for any malformed checkpoint or one that does not fit the model; the message says what. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const METADATA_KEY = '__metadata__';
const BYTES_PER_FLOAT = 4;
// The same bound the reference implementation puts on the header: anything larger is a corrupt
// length field, and refusing it early avoids decoding hundreds of megabytes of garbage as JSON.
const MAX_HEADER_BYTES = 100_000_000;
// The data buffer starts 8-byte aligned (the header is padded with spaces), so readers can map
// it as float32 without copying.
const ALIGNMENT = 8;
// Copying raw bytes is only a correct little-endian encoding on a little-endian host.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serialises tensors (laid out sorted by name) and optional string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: Record<string, CheckpointTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const entries: [string, unknown][] = [];
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new CheckpointError(`metadata "${key}" must be a string, got ${describe(value)}`);
      }
    }
    entries.push([METADATA_KEY, metadata]);
  }
  let dataBytes = 0;
  for (const name of names) {
    if (name === '') throw new CheckpointError('tensor names must be non-empty');
    if (name === METADATA_KEY) throw new CheckpointError(`"${METADATA_KEY}" is reserved, not a tensor name`);
    const { shape, data } = tensors[name];
    if (!isShape(shape)) {
      throw new CheckpointError(`${name}: shape ${describe(shape)} is not a list of non-negative integers`);
    }
    if (data.length !== product(shape)) {
      throw new CheckpointError(
        `${name}: ${data.length} values do not fill shape ${formatShape(shape)} (${product(shape)} values)`,
      );
    }
    const begin = dataBytes;
    dataBytes += data.length * BYTES_PER_FLOAT;
    entries.push([name, { dtype: 'F32', shape, data_offsets: [begin, dataBytes] }]);
  }

  // fromEntries, unlike assignment, keeps a name such as "__proto__" as an ordinary key.
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(entries)));
  const headerBytes = json.length + ((ALIGNMENT - (json.length % ALIGNMENT)) % ALIGNMENT);
  const bytes = new Uint8Array(8 + headerBytes + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerBytes);

  let offset = 8 + headerBytes;
  for (const name of names) {
    writeFloat32LE(bytes, offset, tensors[name].data);
    offset += tensors[name].data.length * BYTES_PER_FLOAT;
  }
  return bytes;
}

/** Parses safetensors bytes, refusing anything malformed with a CheckpointError that names the fault. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, CheckpointTensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8) {
    throw new CheckpointError(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(`header length ${headerLength} is absurd (limit ${MAX_HEADER_BYTES} bytes)`);
  }
  const dataStart = 8 + Number(headerLength);
  if (dataStart > bytes.length) {
    throw new CheckpointError(
      `header length ${headerLength} runs past the end of the file (${bytes.length} bytes): truncated?`,
    );
  }
  const header = parseHeader(bytes.subarray(8, dataStart));
  const dataLength = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const layout: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(entry);
      continue;
    }
    if (name === '') throw new CheckpointError('header has a tensor with an empty name');
    layout.push({ name, ...parseEntry(name, entry, dataLength) });
  }
  checkCoverage(layout, dataLength);

  const tensors = Object.fromEntries(
    layout
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      .map(({ name, shape, begin, end }) => [
        name,
        { shape, data: readFloat32LE(bytes.subarray(dataStart + begin, dataStart + end)) },
      ]),
  );
  return { tensors, metadata };
}

/**
 * Checks that a loaded checkpoint holds exactly the model's parameters with the model's shapes.
 * Lists every missing name, unexpected name and shape mismatch in one error, so one failed load
 * shows the whole difference instead of the first symptom.
 */
export function checkParameters(
  loaded: Record<string, { shape: readonly number[] }>,
  expected: Record<string, readonly number[]>,
): void {
  const problems: string[] = [];
  for (const name of Object.keys(expected).sort()) {
    if (!Object.hasOwn(loaded, name)) {
      problems.push(`missing from checkpoint: ${name} ${formatShape(expected[name])}`);
    } else if (!sameShape(loaded[name].shape, expected[name])) {
      problems.push(`${name}: checkpoint ${formatShape(loaded[name].shape)}, model ${formatShape(expected[name])}`);
    }
  }
  for (const name of Object.keys(loaded).sort()) {
    if (!Object.hasOwn(expected, name)) {
      problems.push(`unexpected in checkpoint (not a model parameter): ${name} ${formatShape(loaded[name].shape)}`);
    }
  }
  if (problems.length > 0) {
    throw new CheckpointError(
      `checkpoint does not match the model (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ` +
        problems.join('\n  '),
    );
  }
}

function parseHeader(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new CheckpointError('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`header is not valid JSON (${(error as Error).message}): ${preview(text)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new CheckpointError(`header must be a JSON object, got ${describe(header)}`);
  }
  return header as Record<string, unknown>;
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new CheckpointError(`"${METADATA_KEY}" must be an object of strings, got ${describe(entry)}`);
  }
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') {
      throw new CheckpointError(`metadata "${key}" must be a string, got ${describe(value)}`);
    }
  }
  return entry as Record<string, string>;
}

function parseEntry(
  name: string,
  entry: unknown,
  dataLength: number,
): { shape: number[]; begin: number; end: number } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new CheckpointError(`${name}: header entry must be an object, got ${describe(entry)}`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (dtype !== 'F32') {
    throw new CheckpointError(`${name}: dtype ${describe(dtype)} is not supported (only F32)`);
  }
  if (!isShape(shape)) {
    throw new CheckpointError(`${name}: shape ${describe(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new CheckpointError(`${name}: data_offsets ${describe(offsets)} must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new CheckpointError(`${name}: data_offsets [${begin},${end}] begin after they end`);
  }
  if (end > dataLength) {
    throw new CheckpointError(
      `${name}: data_offsets [${begin},${end}] run past the end of the data buffer (${dataLength} bytes)`,
    );
  }
  const expectedBytes = BYTES_PER_FLOAT * product(shape);
  if (end - begin !== expectedBytes) {
    throw new CheckpointError(
      `${name}: data_offsets [${begin},${end}] hold ${end - begin} bytes, ` +
        `but F32 shape ${formatShape(shape)} needs ${expectedBytes}`,
    );
  }
  return { shape: [...shape], begin, end };
}

// Like the reference implementation, the tensors must tile the data buffer exactly: no byte
// shared by two tensors, and none belonging to no tensor.
function checkCoverage(layout: { name: string; begin: number; end: number }[], dataLength: number): void {
  const byOffset = [...layout].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let covered = 0;
  let previous = '';
  for (const { name, begin, end } of byOffset) {
    if (begin < covered) {
      throw new CheckpointError(
        `${name}: data_offsets [${begin},${end}] overlap ${previous}, which ends at ${covered}`,
      );
    }
    if (begin > covered) {
      throw new CheckpointError(`data buffer has a hole: bytes [${covered},${begin}) belong to no tensor`);
    }
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(
      `data buffer has a hole: bytes [${covered},${dataLength}) after the last tensor belong to no tensor`,
    );
  }
}

function writeFloat32LE(bytes: Uint8Array, offset: number, values: Float32Array): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < values.length; i++) view.setFloat32(offset + i * BYTES_PER_FLOAT, values[i], true);
}

// Always copies into a fresh Float32Array: the input may sit at any byte offset, and a view
// into it would also keep the whole file alive.
function readFloat32LE(bytes: Uint8Array): Float32Array {
  const values = new Float32Array(bytes.length / BYTES_PER_FLOAT);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * BYTES_PER_FLOAT, true);
  return values;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every(isNonNegativeInteger);
}

function product(shape: readonly number[]): number {
  return shape.reduce((size, extent) => size * extent, 1);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, i) => extent === b[i]);
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : preview(JSON.stringify(value));
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
