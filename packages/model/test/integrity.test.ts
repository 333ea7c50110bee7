// Checkpoint values beyond the format: the CRC-32 against Bun's own (zlib's) and the standard
// check value, the checksum our files carry, and the refusal of NaN/±Inf weights and moments
// naming the tensor (unless allowed), with the module or optimizer left untouched.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { CheckpointError, decodeSafetensors, encodeSafetensors } from '../src/checkpoint.ts';
import { CHECKSUM_KEY, crc32, findNonFinite, NonFiniteError, tensorsChecksum } from '../src/integrity.ts';
import { Linear } from '../src/nn/layers.ts';
import { encodeModule, encodeOptimizer, loadModule, loadOptimizer } from '../src/state.ts';
import { cpu, randomValues } from '@maga/tensor/testing';

test('crc32 is the zlib CRC-32: the check value of "123456789", and Bun.hash.crc32 on random bytes', () => {
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  expect(crc32(new Uint8Array(0))).toBe(0);
  for (const n of [1, 7, 64, 1000]) {
    const bytes = Uint8Array.from(randomValues(n, n, 0, 256), Math.floor);
    expect(crc32(bytes)).toBe(Bun.hash.crc32(bytes));
    // Continuing from a prefix's CRC gives the whole's.
    const cut = n >> 1;
    expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(crc32(bytes));
  }
});

test('findNonFinite names the first tensor (by name) and index holding NaN or ±Inf, and counts them', () => {
  const t = (values: number[]) => ({ shape: [values.length], data: Float32Array.from(values) });
  expect(findNonFinite({ a: t([1, -2, 3.4e38]), b: t([]) })).toBeNull();
  expect(findNonFinite({ z: t([NaN]), a: t([0, Infinity, -Infinity, 1]) })).toEqual({ tensor: 'a', index: 1, value: Infinity, count: 2, size: 4 });
  expect(findNonFinite({ w: t([0, 0, NaN]) })).toMatchObject({ tensor: 'w', index: 2, count: 1 });
});

test('the checksum covers names, shapes and values: any change is caught', () => {
  const base = { a: { shape: [2], data: Float32Array.of(1, 2) }, b: { shape: [2], data: Float32Array.of(3, 4) } };
  const sum = tensorsChecksum(base);
  expect(sum).toMatch(/^[0-9a-f]{8}$/);
  expect(tensorsChecksum({ a: base.b, b: base.a })).not.toBe(sum); // swapped
  expect(tensorsChecksum({ a: { shape: [1, 2], data: base.a.data }, b: base.b })).not.toBe(sum);
  expect(tensorsChecksum({ a: base.a, b: { shape: [2], data: Float32Array.of(3, 4.000001) } })).not.toBe(sum);
});

test('loadModule refuses NaN/Inf weights naming the parameter, changes nothing, and loads them when allowed', async () => {
  await T.withBackend(cpu, async () => {
    const layer = new Linear(3, 2, new T.Rng(1));
    const source = new Linear(3, 2, new T.Rng(2));
    const bytes = await encodeModule(source, { step: '5' });
    expect(decodeSafetensors(bytes).metadata[CHECKSUM_KEY]).toBe(tensorsChecksum(decodeSafetensors(bytes).tensors));
    const { tensors } = decodeSafetensors(bytes);
    tensors.bias.data[1] = NaN;
    // As an older version (no checksum) would have written a diverged run's weights.
    const poisoned = encodeSafetensors(tensors, { step: '5' });
    const before = await layer.weight.data();
    let error: unknown;
    try {
      loadModule(layer, poisoned);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    expect((error as Error).message).toBe('parameter bias holds NaN at index 1 (1 of its 2 values are not finite)');
    expect(await layer.weight.data()).toEqual(before);
    loadModule(layer, poisoned, { allowNonFinite: true });
    expect(Number.isNaN((await layer.bias!.data())[1])).toBe(true);
    expect(await layer.weight.data()).toEqual(await source.weight.data());
  });
});

test('a value changed in the data buffer fails the checksum; files without one (PyTorch) still load', async () => {
  await T.withBackend(cpu, async () => {
    const layer = new Linear(3, 2, new T.Rng(1));
    const bytes = await encodeModule(new Linear(3, 2, new T.Rng(2)));
    const flipped = new Uint8Array(bytes);
    flipped[flipped.length - 3] ^= 0x10;
    expect(() => loadModule(layer, flipped)).toThrow(/values do not match the file's checksum/);
    const { tensors } = decodeSafetensors(flipped);
    loadModule(layer, encodeSafetensors(tensors, { format: 'pt' }));
    expect(await layer.bias!.data()).toEqual(tensors.bias.data);
  });
});

test('loadOptimizer refuses non-finite moments, foreign or partial entries, before assigning anything', async () => {
  await T.withBackend(cpu, async () => {
    const layer = new Linear(3, 2, new T.Rng(1));
    const optimizer = T.adam(layer.parameters(), { lr: 0.1 });
    T.tidy(() => T.backward(T.sum(T.mul(layer.forward(T.tensor(randomValues(6, 3), [2, 3])), 1))));
    optimizer.update();
    const good = await encodeOptimizer(optimizer);
    const fresh = T.adam(layer.parameters(), { lr: 0.1 });
    const parameters = layer.parameters();
    const { tensors, metadata } = decodeSafetensors(good);
    const variants: [string, Record<string, { shape: number[]; data: Float32Array }>, RegExp][] = [
      ['Inf moment', { ...tensors, 'v.weight': { shape: [6], data: Float32Array.of(0, 0, Infinity, 0, 0, 0) } }, /optimizer moment v\.weight holds Infinity at index 2/],
      ['foreign parameter', { ...tensors, 'm.other': { shape: [1], data: Float32Array.of(0) } }, /moments for 'other', which is not a parameter/],
      ['unknown slot', { ...tensors, 'q.bias': { shape: [2], data: Float32Array.of(0, 0) } }, /unexpected entry 'q\.bias'/],
      ['wrong size', { ...tensors, 'm.bias': { shape: [3], data: Float32Array.of(0, 0, 0) } }, /'m\.bias' has shape \[3\], parameter bias has 2 values/],
      ['half a parameter', Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== 'v.bias')), /state for 'bias' lacks 'v\.bias'/],
    ];
    for (const [what, entries, message] of variants) {
      const { [CHECKSUM_KEY]: _checksum, ...rest } = metadata;
      expect(() => loadOptimizer(fresh, encodeSafetensors(entries, rest), { parameters }), what).toThrow(message);
      expect((await fresh.exportState()).step, what).toBe(0);
      expect(Object.keys((await fresh.exportState()).slots), what).toEqual([]);
    }
    loadOptimizer(fresh, good, { parameters });
    expect(await fresh.exportState()).toEqual(await optimizer.exportState());
    expect(() => loadOptimizer(fresh, encodeSafetensors({ 'm.x': { shape: [1], data: Float32Array.of(1) } }, { kind: 'adam', step: '1e3' }))).toThrow(CheckpointError);
  });
});
