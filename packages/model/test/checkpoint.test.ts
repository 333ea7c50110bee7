// Safetensors checkpoint bytes: round trips, the byte layout against a file built by hand from
// the format's spec, and a clear CheckpointError for every kind of malformed file.
import { describe, expect, test } from 'bun:test';
import {
  CheckpointError,
  checkParameters,
  decodeSafetensors,
  encodeSafetensors,
  type CheckpointTensor,
} from '../src/checkpoint.ts';
import { seededRandom } from '../../../test/support/random.ts';

function randomTensor(shape: number[], random: () => number): CheckpointTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, () => (random() - 0.5) * 20) };
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

/** A safetensors file from a header string written by hand and raw data bytes. */
function fileFrom(header: string, data: Uint8Array | number[] = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

function headerLengthOf(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

function expectCheckpointError(run: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CheckpointError);
  expect((thrown as Error).message).toMatch(message);
}

describe('encodeSafetensors / decodeSafetensors', () => {
  test('round trips random tensors of odd shapes bit for bit', () => {
    const random = seededRandom(1);
    const tensors: Record<string, CheckpointTensor> = {
      scalar: randomTensor([], random),
      one: randomTensor([1], random),
      'encoder.conv1.weight': randomTensor([3, 17], random),
      empty: randomTensor([0], random),
      emptyMiddle: randomTensor([2, 0, 5], random),
      cube: randomTensor([2, 3, 4], random),
    };
    // Values a lossy or reordering encoder would betray.
    tensors.special = { shape: [6], data: new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4e38]) };

    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(decoded.tensors[name].shape).toEqual(tensor.shape);
      expect(decoded.tensors[name].data).toBeInstanceOf(Float32Array);
      expect(bits(decoded.tensors[name].data)).toEqual(bits(tensor.data));
    }
    expect(decoded.metadata).toEqual({});
  });

  test('round trips metadata', () => {
    const metadata = { format: 'pt', model: 'maganet', note: 'ünïcode ✓ "quoted"\n' };
    const decoded = decodeSafetensors(encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } }, metadata));
    expect(decoded.metadata).toEqual(metadata);
  });

  test('lays tensors out sorted by name, contiguously, from offset 0', () => {
    const bytes = encodeSafetensors({
      c: { shape: [1], data: new Float32Array([3]) },
      a: { shape: [2], data: new Float32Array([1, 1]) },
      b: { shape: [0], data: new Float32Array([]) },
    });
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLengthOf(bytes))));
    expect(header.a.data_offsets).toEqual([0, 8]);
    expect(header.b.data_offsets).toEqual([8, 8]);
    expect(header.c.data_offsets).toEqual([8, 12]);
    expect(bytes.length).toBe(8 + headerLengthOf(bytes) + 12);
  });

  test('pads the header with spaces so that the data starts 8-byte aligned', () => {
    // Names of every length modulo 8 move the unpadded header end through every residue.
    for (let length = 1; length <= 16; length++) {
      const bytes = encodeSafetensors({ ['x'.repeat(length)]: { shape: [1], data: new Float32Array([1]) } });
      const headerLength = headerLengthOf(bytes);
      expect((8 + headerLength) % 8).toBe(0);
      const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      expect(header.trimEnd().endsWith('}')).toBe(true);
      expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    }
  });

  test('reads a file built by hand from the spec, and writes the same bytes', () => {
    // Header: compact JSON, 140 bytes, padded with 4 spaces to 144 so that 8 + 144 is a multiple of 8.
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
      '"b":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}';
    expect(header.length).toBe(140);
    const padded = header + '    ';
    // a = 1.0 (0x3f800000), b = [-2.0 (0xc0000000), 0.5 (0x3f000000)], each little-endian.
    const data = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f];
    const file = [144, 0, 0, 0, 0, 0, 0, 0, ...Array.from(padded, (c) => c.charCodeAt(0)), ...data];
    const handBuilt = new Uint8Array(file);

    const decoded = decodeSafetensors(handBuilt);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expect(decoded.tensors.a.shape).toEqual([]);
    expect(Array.from(decoded.tensors.a.data)).toEqual([1]);
    expect(decoded.tensors.b.shape).toEqual([1, 2]);
    expect(Array.from(decoded.tensors.b.data)).toEqual([-2, 0.5]);

    // Our encoder writes compact JSON with keys in this order, so it reproduces the bytes exactly.
    const encoded = encodeSafetensors(
      { b: { shape: [1, 2], data: new Float32Array([-2, 0.5]) }, a: { shape: [], data: new Float32Array([1]) } },
      { format: 'pt' },
    );
    expect(Array.from(encoded)).toEqual(file);
  });

  test('decodes from an unaligned view into fresh, aligned arrays', () => {
    const bytes = encodeSafetensors({ w: { shape: [3], data: new Float32Array([1.5, -2.5, 3.5]) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const decoded = decodeSafetensors(shifted.subarray(3));
    expect(Array.from(decoded.tensors.w.data)).toEqual([1.5, -2.5, 3.5]);
    expect(decoded.tensors.w.data.byteOffset).toBe(0);
    // A copy, not a view: changing the file afterwards leaves the tensor alone.
    shifted.fill(0);
    expect(Array.from(decoded.tensors.w.data)).toEqual([1.5, -2.5, 3.5]);
  });

  test('keeps a tensor named __proto__ as an ordinary entry', () => {
    // fromEntries makes an own property; `tensors.__proto__ = ...` would set the prototype.
    const tensors = Object.fromEntries([['__proto__', { shape: [1], data: new Float32Array([7]) }]]);
    const decoded = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(decoded.tensors)).toEqual(['__proto__']);
    expect(Array.from(Object.getOwnPropertyDescriptor(decoded.tensors, '__proto__')!.value.data)).toEqual([7]);
  });
});

describe('encodeSafetensors refuses bad input', () => {
  test('data length that does not match the shape', () => {
    expectCheckpointError(
      () => encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }),
      /w: 5 values do not fill shape \[2,3\] \(6 values\)/,
    );
  });
  test('empty name', () => {
    expectCheckpointError(() => encodeSafetensors({ '': { shape: [1], data: new Float32Array(1) } }), /non-empty/);
  });
  test('negative or fractional shape', () => {
    expectCheckpointError(() => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }), /w: shape/);
    expectCheckpointError(() => encodeSafetensors({ w: { shape: [1.5], data: new Float32Array(1) } }), /w: shape/);
  });
});

describe('decodeSafetensors refuses malformed files', () => {
  const valid = encodeSafetensors({
    a: { shape: [2], data: new Float32Array([1, 2]) },
    b: { shape: [3], data: new Float32Array([3, 4, 5]) },
  });
  const entry = (shape: unknown, offsets: unknown, dtype: unknown = 'F32') =>
    JSON.stringify({ dtype, shape, data_offsets: offsets });

  test('file shorter than 8 bytes', () => {
    expectCheckpointError(() => decodeSafetensors(new Uint8Array(5)), /5 bytes, shorter than the 8-byte header length/);
  });
  test('file truncated inside the header', () => {
    expectCheckpointError(() => decodeSafetensors(valid.subarray(0, 30)), /runs past the end of the file \(30 bytes\)/);
  });
  test('file truncated inside the data', () => {
    expectCheckpointError(
      () => decodeSafetensors(valid.subarray(0, valid.length - 3)),
      /b: data_offsets \[8,20\] run past the end of the data buffer \(17 bytes\)/,
    );
  });
  test('absurdly large header length', () => {
    const huge = valid.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expectCheckpointError(() => decodeSafetensors(huge), /header length 1099511627776 is absurd/);
  });
  test('garbage JSON', () => {
    expectCheckpointError(() => decodeSafetensors(fileFrom('{"a": {dtype')), /header is not valid JSON/);
  });
  test('JSON that is not an object', () => {
    expectCheckpointError(() => decodeSafetensors(fileFrom('[1,2,3]')), /header must be a JSON object, got \[1,2,3\]/);
    expectCheckpointError(() => decodeSafetensors(fileFrom('null')), /header must be a JSON object/);
  });
  test('header that is not UTF-8', () => {
    const bytes = fileFrom('{"a":1}');
    bytes[10] = 0xff;
    expectCheckpointError(() => decodeSafetensors(bytes), /not valid UTF-8/);
  });
  test('a dtype other than F32', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"w":${entry([2], [0, 4], 'F16')}}`, new Uint8Array(4))),
      /w: dtype "F16" is not supported \(only F32\)/,
    );
  });
  test('a shape that is not a list of non-negative integers', () => {
    for (const shape of [[-1], [1.5], '2', [2, null], null]) {
      expectCheckpointError(
        () => decodeSafetensors(fileFrom(`{"w":${entry(shape, [0, 8])}}`, new Uint8Array(8))),
        /w: shape .* is not a list of non-negative integers/,
      );
    }
  });
  test('offsets that are not two integers', () => {
    for (const offsets of [[0], [0, 4, 8], [0, 4.5], ['0', 4], [-4, 4], null]) {
      expectCheckpointError(
        () => decodeSafetensors(fileFrom(`{"w":${entry([1], offsets)}}`, new Uint8Array(4))),
        /w: data_offsets .* must be two non-negative integers/,
      );
    }
  });
  test('offsets that begin after they end', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"w":${entry([1], [8, 4])}}`, new Uint8Array(8))),
      /w: data_offsets \[8,4\] begin after they end/,
    );
  });
  test('an offset past the end of the data', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"w":${entry([100], [0, 400])}}`, new Uint8Array(8))),
      /w: data_offsets \[0,400\] run past the end of the data buffer \(8 bytes\)/,
    );
  });
  test('a byte length that does not match the shape', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"w":${entry([3], [0, 8])}}`, new Uint8Array(8))),
      /w: data_offsets \[0,8\] hold 8 bytes, but F32 shape \[3\] needs 12/,
    );
  });
  test('overlapping tensors', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"a":${entry([2], [0, 8])},"b":${entry([2], [4, 12])}}`, new Uint8Array(12))),
      /b: data_offsets \[4,12\] overlap a, which ends at 8/,
    );
  });
  test('a hole between tensors', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"a":${entry([1], [0, 4])},"b":${entry([1], [8, 12])}}`, new Uint8Array(12))),
      /hole: bytes \[4,8\) belong to no tensor/,
    );
  });
  test('bytes after the last tensor', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom(`{"a":${entry([1], [0, 4])}}`, new Uint8Array(8))),
      /hole: bytes \[4,8\) after the last tensor/,
    );
  });
  test('metadata values that are not strings', () => {
    expectCheckpointError(
      () => decodeSafetensors(fileFrom('{"__metadata__":{"epoch":3}}')),
      /metadata "epoch" must be a string, got 3/,
    );
    expectCheckpointError(() => decodeSafetensors(fileFrom('{"__metadata__":"pt"}')), /"__metadata__" must be an object/);
  });
  test('a tensor entry that is not an object, or has an empty name', () => {
    expectCheckpointError(() => decodeSafetensors(fileFrom('{"w":[1,2]}')), /w: header entry must be an object/);
    expectCheckpointError(() => decodeSafetensors(fileFrom(`{"":${entry([0], [0, 0])}}`)), /empty name/);
  });
  test('the valid file these cases corrupt does decode', () => {
    expect(Array.from(decodeSafetensors(valid).tensors.b.data)).toEqual([3, 4, 5]);
  });
});

describe('checkParameters', () => {
  const loaded = {
    'encoder.conv1.weight': { shape: [32, 1, 4, 4] },
    'encoder.conv1.bias': { shape: [32] },
    'decoder.extra': { shape: [7] },
  };

  test('accepts a checkpoint with exactly the model parameters', () => {
    expect(() =>
      checkParameters(loaded, { 'encoder.conv1.weight': [32, 1, 4, 4], 'encoder.conv1.bias': [32], 'decoder.extra': [7] }),
    ).not.toThrow();
  });

  test('lists missing, unexpected and mismatched parameters in one message', () => {
    let message = '';
    try {
      checkParameters(loaded, {
        'encoder.conv1.weight': [32, 3, 4, 4],
        'encoder.conv1.bias': [32],
        'encoder.conv2.weight': [64, 32, 4, 4],
        'flow.scale': [],
      });
    } catch (error) {
      expect(error).toBeInstanceOf(CheckpointError);
      message = (error as Error).message;
    }
    expect(message).toContain('4 problems');
    expect(message).toContain('encoder.conv1.weight: checkpoint [32,1,4,4], model [32,3,4,4]');
    expect(message).toContain('missing from checkpoint: encoder.conv2.weight [64,32,4,4]');
    expect(message).toContain('missing from checkpoint: flow.scale []');
    expect(message).toMatch(/unexpected in checkpoint.*decoder\.extra/);
    expect(message).not.toContain('encoder.conv1.bias');
  });

  test('a rank mismatch is a mismatch, not a match', () => {
    expect(() => checkParameters({ w: { shape: [4] } }, { w: [4, 1] })).toThrow('w: checkpoint [4], model [4,1]');
  });
});
