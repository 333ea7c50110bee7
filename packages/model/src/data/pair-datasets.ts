// Every pair data set behind one shape, for the CLI: the known-group sets of groupdata.ts
// (rotated-mnist, rotated-blocked-mnist, contrast: 1×32×32, groups so2 and c<n>) and the rendered
// 3-D sets of objects3d.ts (objects3d, planes-sky: 3×64×64, groups so3 and so2). A run names its
// data by (dataset, group label); `openPairDataset` gives its training sampler, its fixed
// evaluation set, its renderer of pairs, and how to read and replace a pair's group element in the
// numbers a model takes (elementSize of them: an angle, a step j, or a unit quaternion).
import type { GroupPairBatch } from '../models/model.ts';
import {
  checkDatasetGroup,
  evaluationSet,
  GROUP_DATASET_NAMES,
  GROUP_DATASETS,
  GROUP_IMAGE_SHAPE,
  groupLabel,
  openGroupDataset,
  PairSampler,
  parseGroup,
  type GroupDatasetName,
  type PairSpec,
} from './groupdata.ts';
import {
  Objects3dDataset,
  Objects3dPairSampler,
  objects3dEvaluationSet,
  OBJECTS3D_DATASETS,
  OBJECTS3D_IMAGE_SHAPE,
  OBJECTS3D_NAMES,
  verticalAngle,
  type Objects3dName,
  type RotationPairSpec,
} from './objects3d.ts';
import type { SourceSamplerOptions } from './pair-sampler.ts';
import { aboutVertical, checkQuaternion, roundToFloat32 } from './quaternion.ts';
import type { SamplerState } from './sampler.ts';
import type { SplitPart } from './splits.ts';

export type PairDatasetName = GroupDatasetName | Objects3dName;

export const PAIR_DATASET_NAMES: readonly PairDatasetName[] = Object.freeze([...GROUP_DATASET_NAMES, ...OBJECTS3D_NAMES]);

export const isObjects3d = (name: string): name is Objects3dName => Object.hasOwn(OBJECTS3D_DATASETS, name);

/** The data set's name, checked: throws naming the value and every accepted name. */
export function parsePairDataset(name: string): PairDatasetName {
  if (!(PAIR_DATASET_NAMES as readonly string[]).includes(name)) throw new Error(`unknown data set '${name}': expected one of ${PAIR_DATASET_NAMES.join(', ')}`);
  return name as PairDatasetName;
}

/** [C, H, W] of every image of a data set. */
export function pairImageShape(name: PairDatasetName): readonly [number, number, number] {
  return isObjects3d(parsePairDataset(name)) ? OBJECTS3D_IMAGE_SHAPE : GROUP_IMAGE_SHAPE;
}

export function pairDatasetDescription(name: PairDatasetName): string {
  return isObjects3d(name) ? OBJECTS3D_DATASETS[name].description : GROUP_DATASETS[name].description;
}

/** The group a data set takes when none is named: so3 for the 3-D sets, C_4 for contrast, else SO(2). */
export function defaultPairGroup(name: PairDatasetName): string {
  return isObjects3d(name) ? 'so3' : name === 'contrast' ? 'c4' : 'so2';
}

/**
 * The group label `label` for data set `name`, checked and normalised ('so2', 'so3', 'c4'): an
 * error names the data set, the group and the groups it takes.
 */
export function checkPairGroup(name: PairDatasetName, label: string): string {
  if (isObjects3d(name)) {
    const accepted = OBJECTS3D_DATASETS[name].groups;
    if (!(accepted as readonly string[]).includes(label)) {
      throw new Error(`data set '${name}' does not take the group '${label}': it takes ${accepted.map((g) => `'${g}'`).join(' or ')} (any rotation in space, or about the vertical axis)`);
    }
    return label;
  }
  let spec;
  try {
    spec = parseGroup(label);
  } catch (e) {
    if (label === 'so3') throw new Error(`data set '${name}' does not take the group 'so3' (rotations in space): it takes ${name === 'contrast' ? "'c<n>'" : "'so2' or 'c<n>'"}; so3 is for objects3d and planes-sky`);
    throw e;
  }
  checkDatasetGroup(name, spec);
  return groupLabel(spec);
}

/** Draws batches of host pairs in a seeded order that state()/restore() resume exactly. */
export interface PairBatchSampler<Spec = unknown> {
  /** Pairs per epoch. */
  readonly epochSize: number;
  /** The next batch's pair specs (what renderPairs draws). */
  nextSpecs(): Spec[];
  next(): GroupPairBatch;
  state(): SamplerState;
  restore(state: SamplerState): void;
}

export interface PairEvaluationSet<Spec = unknown> {
  specs: Spec[];
  buckets: Int32Array;
  bucketNames: string[];
}

export interface PairEvaluationOptions {
  pairs?: number;
  seed?: number;
  part?: SplitPart;
  splitSeed?: number;
}

/** A pair data set opened with one group, as the CLI uses it. `Spec` is opaque to callers. */
export interface PairDataset<Spec = unknown> {
  readonly name: PairDatasetName;
  /** The group label: 'so2', 'c4', 'so3'. */
  readonly group: string;
  readonly imageShape: readonly [number, number, number];
  /** Numbers per group element in a batch's g (1 or 4). */
  readonly elementSize: number;
  /** Sources (digits, phantoms, objects). */
  readonly count: number;
  part(part: SplitPart, splitSeed?: number): Int32Array;
  sampler(options: SourceSamplerOptions): PairBatchSampler<Spec>;
  evaluationSet(options?: PairEvaluationOptions): PairEvaluationSet<Spec>;
  /** B pairs (x, g·x) with g [B·elementSize]. */
  renderPairs(specs: readonly Spec[]): GroupPairBatch;
  /** A pair's group element as the model takes it (elementSize numbers). */
  element(spec: Spec): number[];
  /** The same pair with another element g (elementSize numbers, checked). */
  withElement(spec: Spec, g: ArrayLike<number>): Spec;
}

function groupPairs(dataset: Awaited<ReturnType<typeof openGroupDataset>>, label: string): PairDataset<PairSpec> {
  return {
    name: dataset.name,
    group: label,
    imageShape: dataset.imageShape,
    elementSize: 1,
    count: dataset.count,
    part: (part, splitSeed) => dataset.part(part, splitSeed),
    sampler: (options) => new PairSampler(dataset, options),
    evaluationSet: (options = {}) => evaluationSet(dataset, options),
    renderPairs: (specs) => dataset.renderPairs(specs),
    element: (spec) => [spec.g],
    withElement: (spec, g) => {
      if (g.length !== 1) throw new Error(`${dataset.name} ${label}: an element is one number, got ${g.length}`);
      return { ...spec, g: g[0] };
    },
  };
}

function rotationPairs(dataset: Objects3dDataset): PairDataset<RotationPairSpec> {
  const so3 = dataset.group === 'so3';
  return {
    name: dataset.name,
    group: dataset.group,
    imageShape: dataset.imageShape,
    elementSize: so3 ? 4 : 1,
    count: dataset.count,
    part: (part, splitSeed) => dataset.part(part, splitSeed),
    sampler: (options) => new Objects3dPairSampler(dataset, options),
    evaluationSet: (options = {}) => objects3dEvaluationSet(dataset, options),
    renderPairs: (specs) => dataset.renderPairs(specs),
    // The batch's g: the quaternion under so3, the angle about the vertical axis under so2.
    element: (spec) => (so3 ? [...spec.g] : [verticalAngle(spec.g)]),
    withElement: (spec, g) => {
      if (so3) return { ...spec, g: roundToFloat32(checkQuaternion(g, `${dataset.name} so3: element`)) };
      if (g.length !== 1 || !Number.isFinite(g[0])) throw new Error(`${dataset.name} so2: an element is one finite angle about the vertical axis, got ${JSON.stringify(Array.from(g))}`);
      return { ...spec, g: aboutVertical(g[0]) };
    },
  };
}

/** Opens a pair data set by name with a group label, checking both (errors name the value and what is accepted). */
export async function openPairDataset(name: string, group: string): Promise<PairDataset> {
  const dataset = parsePairDataset(name);
  const label = checkPairGroup(dataset, group);
  if (isObjects3d(dataset)) return rotationPairs(Objects3dDataset.open(dataset, label)) as PairDataset;
  return groupPairs(await openGroupDataset(dataset, parseGroup(label)), label) as PairDataset;
}
