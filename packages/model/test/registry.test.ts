// The model registry: every entry's defaults and preset sizes validate, choices land in the right
// field or are refused naming the models that take them, and traits agree with the built models.
import { expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import { MODEL_KINDS, configure, createModel, encodeModule, loadModule, modelSpec, modelTraits, parseModelConfig } from '../index.ts';
import { cpu } from '@maga/tensor/testing';

test('every model: defaults and each preset size validate; traits, codeDim and pivots match the built model', async () => {
  await T.withBackend(cpu, async () => {
    for (const kind of MODEL_KINDS) {
      const spec = modelSpec(kind);
      expect(parseModelConfig(structuredClone(spec.defaults))).toEqual(spec.defaults);
      for (const size of ['tiny', 'quick', 'paper'] as const) expect(configure(kind, size).model).toBe(kind);
      const config = configure(kind, 'tiny');
      const model = await createModel(config, 0);
      expect(model.traits).toEqual(spec.traits);
      expect(modelTraits(kind)).toEqual(spec.traits);
      // A model with group laws says where they hold exactly (the viewer states them from it).
      expect(spec.traits.lawsHold === null).toBe(!spec.traits.groupLaws);
      expect(model.codeDim).toBe(spec.codeDim(config as never));
      expect(model.pivots).toBe(spec.pivots(config as never));
      // Its checkpoint loads into the same model built from another seed.
      const other = await createModel(config, 1);
      loadModule(other, await encodeModule(model));
      for (const [name, p] of model.state()) expect(await other.state().get(name)!.data()).toEqual(await p.data());
      other.dispose();
      model.dispose();
    }
  });
});

test('choices set their field; a choice a model does not take names the models that do', () => {
  const m = configure('maganet', 'tiny', { hidden: 12, betaKl: 3, latentDim: 4 });
  expect(m.model === 'maganet' && [m.glow.hidden, m.glow.levels, m.betaKl, m.latentDim]).toEqual([12, 2, 3, 4]);
  expect(() => configure('vae', 'quick', { pairing: 'random' })).toThrow(/pairing applies to model maganet only, not model vae/);
  expect(() => configure('maganet', 'quick', { latentDim: 0 })).toThrow(/latentDim must be a positive integer, got 0/);
  expect(() => modelSpec('gan')).toThrow(/unknown model 'gan': expected one of maganet, vae, latent-action, flow-action/);
  const g = configure('latent-action', 'quick', { group: { kind: 'cyclic', n: 4, frequencies: [1, 2] } });
  expect(g.model === 'latent-action' && g.group).toEqual({ kind: 'cyclic', n: 4, frequencies: [1, 2] });
  expect(modelSpec('latent-action').group(g)).toEqual({ kind: 'cyclic', n: 4, frequencies: [1, 2] });
  expect(() => configure('latent-action', 'tiny', { latentDim: 4 })).toThrow(/latentDim applies to model maganet, model vae only, not model latent-action/);
  expect(modelTraits('gan')).toBeNull();
});
