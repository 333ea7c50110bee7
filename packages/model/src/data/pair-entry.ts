// A pair data set's registry entry from what is its own (name, shape, groups, presets, how to open
// it with a group): reading config.json's data, labels, training batches, evaluation and the API's
// images are the same for every pair set and written once here.
import { groupFromLabel, groupOf } from '../groups/registry.ts';
import type { Group } from '../groups/group.ts';
import { ValidationError } from '../validate.ts';
import type { Model } from '../models/model.ts';
import { modelSpec, type ModelConfig } from '../models/registry.ts';
import { evaluatePairs, uploadPairs } from '../training.ts';
import type { DataImages, DatasetEntry, PairData, PresetChanges } from './entry.ts';
import { ImageGrid, type FactorInfo, type PairDataset } from './pair-set.ts';

/** What the pair models' runs change of each preset (their lengths and rates, over MAGANet's). */
export const PAIR_PRESETS: DatasetEntry['presets'] = Object.freeze({
  tiny: { description: 'a few steps of a small model on 256 training digits (tests, smoke checks)' },
  quick: { description: 'the quick-size model, 2000 steps of batch 32 with a cosine learning rate (minutes on 2 CPU cores with the native backend)', steps: 2000, batchSize: 32, lr: 1e-3, evalCount: 256 },
  paper: { description: 'the full-size model, 50,000 steps of batch 64 (a real GPU)', steps: 50_000, batchSize: 64, lr: 1e-3, schedule: 'cosine', evalCount: 1000 },
});

/** `base` with `changes` applied per preset size (a later description replaces the earlier). */
export function presetsWith(base: DatasetEntry['presets'], changes: DatasetEntry['presets']): DatasetEntry['presets'] {
  const sizes = new Set([...Object.keys(base), ...Object.keys(changes)]) as Set<keyof DatasetEntry['presets']>;
  return Object.freeze(Object.fromEntries([...sizes].map((size) => [size, { ...base[size], ...changes[size] } as PresetChanges])));
}

/** A pair set's own part of its entry. */
export interface PairEntrySpec {
  name: string;
  description: string;
  imageShape: readonly [number, number, number];
  groups: readonly string[];
  defaultGroup: string;
  sources: string;
  action: string;
  presets: DatasetEntry['presets'];
  rateKey: string | null;
  renderAhead: boolean;
  factors(group: Group | null): readonly FactorInfo[];
  /** The set opened with a group it takes (checked by the registry before). */
  open(group: Group): Promise<PairDataset>;
}

/** A pair set's registry entry: a DatasetEntry that also opens the set with a group. */
export interface PairDatasetEntry extends DatasetEntry<PairData> {
  open(group: Group): Promise<PairDataset>;
}

/** The known group a model takes (its config's), or an error naming the model. */
export function modelGroupConfig(model: { config: ModelConfig | { model: string } }) {
  const config = model.config as ModelConfig;
  const group = modelSpec(config.model).group(config);
  if (!group) throw new Error(`a ${config.model} model takes no known group element`);
  return group;
}

export function pairEntry(spec: PairEntrySpec): PairDatasetEntry {
  // A set is opened once per group per process (the MNIST sets read the digits; the grids of the
  // API split the sources), and shared: a set renders on demand and holds no state between calls.
  const opened = new Map<string, Promise<PairDataset>>();
  const open = (group: Group) => {
    let dataset = opened.get(group.label);
    if (!dataset) {
      dataset = spec.open(group);
      dataset.catch(() => opened.delete(group.label));
      opened.set(group.label, dataset);
    }
    return dataset;
  };
  const grids = new Map<string, Promise<DataImages>>();
  return {
    name: spec.name,
    description: spec.description,
    batch: 'group-pairs',
    imageShape: spec.imageShape,
    groups: spec.groups,
    defaultGroup: spec.defaultGroup,
    sources: spec.sources,
    unit: 'pairs',
    action: spec.action,
    presets: spec.presets,
    rateKey: spec.rateKey,
    renderAhead: spec.renderAhead,
    factors: spec.factors,
    open,

    /** The group, checked by the registry against the set before; here against the model, with the images' shape. */
    parseData(fields: Record<string, unknown>, model: ModelConfig): PairData {
      const group = String(fields.group);
      const modelGroup = modelSpec(model.model).group(model);
      const modelLabel = modelGroup ? groupOf(modelGroup).label : null;
      if (modelLabel !== group) throw new ValidationError(`data.group must be the model's group ${modelLabel}, got ${JSON.stringify(fields.group)}`, 'data.group');
      const [channels, size] = spec.imageShape;
      if (model.imageSize !== size || model.channels !== channels) {
        throw new ValidationError(`model.imageSize and model.channels must be ${size} and ${channels} for ${spec.name}'s ${channels}×${size}×${size} images, got ${JSON.stringify({ imageSize: model.imageSize, channels: model.channels })}`, 'model.imageSize');
      }
      return { dataset: spec.name, group, limit: fields.limit as number | null };
    },

    label: (data) => `${data.dataset} ${data.group}`,
    tag: (data) => `${data.dataset}-${data.group}`,

    async training(data, { batchSize, seed }, model: Model) {
      const dataset = await open(groupFromLabel(data.group));
      const sampler = dataset.sampler({ part: 'train', batchSize, seed, limit: data.limit ?? undefined });
      const group = modelGroupConfig(model);
      return { sampler, upload: (batch) => uploadPairs(batch as ReturnType<typeof sampler.next>, dataset.imageShape, group) };
    },

    async evaluate(model, data, options) {
      const dataset = await open(groupFromLabel(data.group));
      return evaluatePairs(model, dataset, modelGroupConfig(model), { part: options.part, count: options.count, seed: options.seed ?? 0, batchSize: options.batchSize, onProgress: options.onProgress, parallel: options.parallel });
    },

    images(data) {
      let images = grids.get(data.group);
      if (!images) {
        images = open(groupFromLabel(data.group)).then((dataset) => gridImages(dataset, `${spec.name}-${data.group}`));
        images.catch(() => grids.delete(data.group));
        grids.set(data.group, images);
      }
      return images;
    },
  };
}

/** A pair set's images as the API addresses them (ImageGrid). */
function gridImages(dataset: PairDataset, tag: string): DataImages {
  const grid = new ImageGrid(dataset);
  return {
    kind: 'pairs',
    source: grid,
    size: grid.shape[1],
    channels: grid.shape[0],
    count: grid.count,
    defaultPivot: grid.defaultPivot,
    factorsOf: (index) => grid.factorsOf(index),
    samples: (part, count, seed) => grid.samples(part, count, seed),
    info: () => grid.info(),
    embeddingTag: tag,
  };
}
