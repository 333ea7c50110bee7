import { describe, expect, test } from 'bun:test';
import { adapterName, offsetCode, sweep, traversalCodes } from '../src/decoding/decoder.ts';
import { modelConfigCandidates } from '../src/lib/config.ts';
import { LATENT_ACTION_TRAITS, MAGANET_TRAITS } from '@maga/model';
import { latentPartsOf, recombinationModes } from '../src/views/recombination-modes.ts';

describe('decoding helpers', () => {
  test('sweeps and traversal codes', () => {
    expect(sweep(1, 2, 5)).toEqual([-1, 0, 1, 2, 3]);
    expect(sweep(1, 2, 1)).toEqual([1]);
    const { values, codes } = traversalCodes([10, 20], 1, 3);
    expect(values).toEqual([
      [9, 10, 11],
      [19, 20, 21],
    ]);
    expect(codes).toEqual([
      [9, 20],
      [10, 20],
      [11, 20],
      [10, 19],
      [10, 20],
      [10, 21],
    ]);
    expect(offsetCode([1, 2, 3], [0.5, -1])).toEqual([1.5, 1, 3]);
  });

  test('adapter names', () => {
    expect(adapterName({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' })).toBe('SwiftShader');
    expect(adapterName({ description: 'llvmpipe (LLVM 15)' })).toBe('lavapipe');
    expect(adapterName({ vendor: 'nvidia', architecture: 'ampere', description: '' })).toBe('nvidia ampere');
    expect(adapterName({ description: 'NVIDIA GeForce RTX 4090' })).toBe('NVIDIA GeForce RTX 4090');
    expect(adapterName({})).toBe("this browser's GPU");
  });

  test('the model configuration is found at the top level or under a key', () => {
    const nested = { format: 1, model: { model: 'maganet', latentDim: 10 }, data: { split: 'to-range' } };
    expect(modelConfigCandidates(nested)[1]).toEqual(nested.model);
    expect(modelConfigCandidates(null)).toEqual([]);
    expect(modelConfigCandidates([1])).toEqual([]);
  });

  test('recombination modes: transfer for MAGANet and VAE; swapping only with latent parts', () => {
    const modes = recombinationModes({ transfer: () => null, swap: () => null });
    const [transfer, swap] = modes;
    expect(transfer.availability({ model: 'maganet', traits: MAGANET_TRAITS, config: {} }).ok).toBe(true);
    expect(transfer.availability({ model: 'other', traits: null, config: {} }).ok).toBe(false);
    const none = swap.availability({ model: 'maganet', traits: MAGANET_TRAITS, config: { model: { model: 'maganet' } } });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.reason).toContain('latent-action or flow-action run');
    // The registry's trait makes a run swappable, whatever its config says.
    expect(swap.availability({ model: 'latent-action', traits: LATENT_ACTION_TRAITS, config: {} }).ok).toBe(true);
    expect(latentPartsOf({ model: { model: 'latent-action', invariant: 8, blocks: 4 } })).toEqual({ invariant: 8, varying: 8 });
    expect(latentPartsOf({ model: { latentParts: { invariant: 4, varying: 6 } } })).toEqual({ invariant: 4, varying: 6 });
    expect(latentPartsOf({ action: { invariant: 2, frequencies: [1, 2, 3] } })).toEqual({ invariant: 2, varying: 6 });
    expect(swap.availability({ model: 'latent-action', traits: null, config: { latentParts: { invariant: 4, varying: 6 } } }).ok).toBe(true);
  });
});
