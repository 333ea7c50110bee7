// What a data set is to the rest of the project, as the DATASETS registry (registry.ts) holds it:
// everything the CLI, the server, the experiments and the viewer need to know of it, so that they
// ask the entry instead of naming the set. One entry per data set, written in the set's own file
// (dsprites-set.ts, groupdata.ts, objects3d.ts); a new data set is its own files plus one line in
// registry.ts.
//
// A run's data, as config.json's `data` holds it, is one of two shapes: dSprites images with a split
// (the models that learn their z), or pairs (x, g·x) of a pair set under a known group. The entry
// reads, labels, opens, evaluates and serves that data alike for both.
import type { Group } from '../groups/group.ts';
import type { ImageSource } from '../inference.ts';
import type { Model, ModelTraits, TrainingBatch } from '../models/model.ts';
import type { ModelConfig, SizeName } from '../models/registry.ts';
import type { DataParallel } from '../parallel.ts';
import type { EvalMetrics, PairEvalMetrics } from '../training.ts';
import type * as dsprites from './dsprites.ts';
import type { FactorInfo, PairSetInfo } from './pair-set.ts';
import type { PivotMode, SamplerState } from './sampler.ts';
import type { SplitName, SplitPart } from './splits.ts';

/** A dSprites run's data: a split of the grid, how pivots are drawn, and an optional subset size. */
export interface DspritesData {
  dataset: 'dsprites';
  split: SplitName;
  pairing: PivotMode;
  limit: number | null;
}

/**
 * A known-group run's data: pairs (x, g·x) of a pair data set under a group, written by its label
 * ('so2', 'c4', 'so3'); `limit` keeps that many training sources (digits, phantoms, 3-D objects).
 */
export interface PairData {
  dataset: string;
  group: string;
  limit: number | null;
}

export type RunData = DspritesData | PairData;

/** What a preset changes for the runs of a data set (over the preset's own values); `description` replaces the preset's. */
export interface PresetChanges {
  description: string;
  steps?: number;
  batchSize?: number;
  lr?: number;
  schedule?: 'constant' | 'cosine';
  clipNorm?: number;
  limit?: number | null;
  logEvery?: number;
  checkpointEvery?: number;
  evalCount?: number;
}

/** A run's training batches, drawn on the host in a seeded order that state()/restore() resume exactly. */
export interface TrainingStream {
  readonly sampler: {
    readonly epochSize: number;
    next(): unknown;
    state(): SamplerState;
    restore(state: SamplerState): void;
    /** Pair sets: the next batch's specs alone (a worker renders them: the entry's `renderAhead`). */
    nextSpecs?(): unknown[];
  };
  /** A host batch (the sampler's, or rendered elsewhere from its specs) on the device, checked. */
  upload(batch: unknown): TrainingBatch;
}

/** A run's images as the API addresses them: by one integer index each. */
/** A dSprites image's factors as the API sends them: latent values, and their class indices. */
export interface DspritesFactorsJson {
  shape: string;
  scale: number;
  orientation: number;
  posX: number;
  posY: number;
  classes: { shape: number; scale: number; orientation: number; posX: number; posY: number };
}

/** GET /api/dataset: the dSprites grid, its factors' values, its splits and the fixed pivot. */
export interface DspritesInfo {
  count: number;
  imageSize: number;
  factors: (typeof dsprites.DSPRITES)['values'];
  splits: Readonly<Record<SplitName, string>>;
  fixedPivot: number;
}

/** GET /api/runs/:id/dataset: a dSprites run's grid and split, or a pair run's set (the API's contract, docs/api.md). */
export type DataInfo = ({ kind: 'dsprites'; dataset: 'dsprites'; split: SplitName; group: null } & DspritesInfo) | PairSetInfo;

export interface DataImages {
  /** 'dsprites' or 'pairs': what GET /api/runs/:id/dataset says. */
  kind: 'dsprites' | 'pairs';
  source: ImageSource;
  /** Side of the square images. */
  size: number;
  /** 1 (grey) or 3 (RGB planes). */
  channels: number;
  count: number;
  defaultPivot: number;
  /** One image's factors as the API sends them (a pair set's by name; dSprites' latent values and classes). */
  factorsOf(index: number): DspritesFactorsJson | Record<string, number>;
  /** `count` seeded images of a part (dSprites: of the run's split). */
  samples(part: SplitPart, count: number, seed: number): number[];
  /** What GET /api/runs/:id/dataset answers. */
  info(): DataInfo;
  /** What names the run's cached embeddings: the split, or the data set and group. */
  embeddingTag: string;
}

export interface EvaluationOptions {
  part: SplitPart;
  /** Images or pairs evaluated: a fixed, seeded sample. */
  count: number;
  seed?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each batch's shards on the native engine's threads (DataParallel for this model), else none. */
  parallel?: DataParallel | null;
}

export interface DatasetEntry<D extends RunData = RunData> {
  readonly name: string;
  readonly description: string;
  /** What its batches are, as ModelTraits.batch names them: the models that train on it have this trait. */
  readonly batch: ModelTraits['batch'];
  /** [C, H, W] of every image. */
  readonly imageShape: readonly [number, number, number];
  /** The kinds of group it takes, in the order messages list them (none: dSprites). */
  readonly groups: readonly string[];
  /** The label of the group a run takes when none is named (null: none). */
  readonly defaultGroup: string | null;
  /** What its sources are, plural, for messages and the viewer: 'digits', 'phantoms', 'objects'. */
  readonly sources: string;
  /** What one item of a batch or an evaluation is, plural: 'images' (dSprites), 'pairs'. */
  readonly unit: string;
  /** What g does to an image, for captions: 'turned by g'. */
  readonly action: string;
  /** Per preset size, what its runs change of the preset's training (the CLI's presets). */
  readonly presets: Partial<Record<SizeName, PresetChanges>>;
  /** The key of its measured training rates beside model and preset (experiments' estimates), or null. */
  readonly rateKey: string | null;
  /** Whether a batch costs enough to render that training draws the next one in a worker meanwhile. */
  readonly renderAhead: boolean;

  /** Its images' factors (the latent map's colours), under `group` for a pair set. */
  factors(group: Group | null): readonly FactorInfo[];
  /** config.json's `data` for this set (`dataset` already read), checked against the run's model; errors name the field. */
  parseData(fields: Record<string, unknown>, model: ModelConfig): D;
  /** What a run trains on, in a few words: `dsprites to-range`, `rotated-mnist so2`. */
  label(data: D): string;
  /** The same as one path component (run names, embedding files): `to-range`, `rotated-mnist-so2`. */
  tag(data: D): string;
  /** The training part's batches in the order `seed` gives them. */
  training(data: D, options: { batchSize: number; seed: number }, model: Model): Promise<TrainingStream>;
  /** Metrics of the model on a fixed, seeded sample of a part (pair sets: also per bucket of g). */
  evaluate(model: Model, data: D, options: EvaluationOptions): Promise<EvalMetrics | PairEvalMetrics>;
  /** Its images for the API. */
  images(data: D): Promise<DataImages>;
}
