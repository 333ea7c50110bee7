// Phase-1 compatibility (issue 20): the names and shapes the CLI and the server used before the
// groups and data sets became registries, written over the registries so that the CLI keeps
// working unchanged while it moves to asking them. Nothing new should use these; they go when the
// CLI and the server ask DATASETS and the groups (phase 2 of issue 20).
import { datasetEntry, datasetNames, checkGroupKind, openDataset } from './data/registry.ts';
import type { DigitPairs, EvaluationOptions, EvaluationSet, FactorValues, GroupFactorInfo, GroupPairBatch, PairSpec, PhantomPairs } from './data/groupdata.ts';
import { Objects3dDataset as Objects3dPairs, OBJECTS3D_NAMES, type Objects3dFactorValues } from './data/objects3d.ts';
import type { PairDataset } from './data/pair-set.ts';
import type { Quaternion } from './data/quaternion.ts';
import type { SplitPart } from './data/splits.ts';
import { groupFromLabel, kindOfLabel } from './groups/registry.ts';

/** @deprecated The built-in pair sets' names; use datasetNames('group-pairs'). */
export type PairDatasetName = 'rotated-mnist' | 'rotated-blocked-mnist' | 'contrast' | 'objects3d' | 'planes-sky';
/** @deprecated Use datasetNames('group-pairs'). */
export const PAIR_DATASET_NAMES: readonly PairDatasetName[] = Object.freeze(['rotated-mnist', 'rotated-blocked-mnist', 'contrast', 'objects3d', 'planes-sky']);

/** @deprecated Ask the set's entry (renderAhead, rateKey, presets). */
export const isObjects3d = (name: string): boolean => (OBJECTS3D_NAMES as readonly string[]).includes(name);

/** @deprecated Use datasetEntry. */
export function parsePairDataset(name: string): PairDatasetName {
  if (!datasetNames('group-pairs').includes(name)) throw new Error(`unknown data set '${name}': expected one of ${datasetNames('group-pairs').join(', ')}`);
  return name as PairDatasetName;
}

/** @deprecated Use datasetEntry(name).imageShape. */
export const pairImageShape = (name: string) => datasetEntry(parsePairDataset(name)).imageShape;
/** @deprecated Use datasetEntry(name).defaultGroup. */
export const defaultPairGroup = (name: string) => datasetEntry(parsePairDataset(name)).defaultGroup as string;

/** @deprecated Use checkGroupKind (and the group's own checks when it is made). */
export function checkPairGroup(name: string, label: string): string {
  const entry = datasetEntry(parsePairDataset(name));
  // As the 3-D sets said it before: any label they do not take, known or not.
  if (isObjects3d(name) && !entry.groups.includes(kindOfLabel(label)?.kind ?? '')) {
    throw new Error(`data set '${name}' does not take the group '${label}': it takes 'so3' or 'so2' (any rotation in space, or about the vertical axis)`);
  }
  checkGroupKind(entry, label);
  return label;
}

/** @deprecated Use openDataset. */
export const openPairDataset = (name: string, group: string): Promise<PairDataset<any>> => openDataset(name, group);

/** @deprecated A data set's group as the 2-D sets named it; a Group (groups/group.ts) now. */
export type GroupSpec = { kind: 'so2' } | { kind: 'cN'; order: number };
/** @deprecated Use datasetNames('group-pairs'). */
export type GroupDatasetName = 'rotated-mnist' | 'rotated-blocked-mnist' | 'contrast';

/** @deprecated Use groupFromLabel. */
export function parseDataGroup(label: string): GroupSpec {
  const group = groupFromLabel(label);
  if (group.kind === 'so2') return { kind: 'so2' };
  if (group.kind === 'cyclic') return { kind: 'cN', order: group.order };
  throw new Error(`unknown group '${label}': expected 'so2' or 'c<n>'`);
}

const specLabel = (spec: GroupSpec | string) => (typeof spec === 'string' ? spec : spec.kind === 'so2' ? 'so2' : `c${spec.order}`);

/** @deprecated Use datasetEntry. */
export function parseGroupDataset(name: string): GroupDatasetName {
  if (!['rotated-mnist', 'rotated-blocked-mnist', 'contrast'].includes(name)) throw new Error(`unknown data set '${name}': expected one of rotated-mnist, rotated-blocked-mnist, contrast`);
  return name as GroupDatasetName;
}

/** @deprecated Use datasetEntry(name).factors(group). */
export const groupFactors = (name: string, spec: GroupSpec) => datasetEntry(name).factors(groupFromLabel(specLabel(spec))) as readonly GroupFactorInfo[];

/** @deprecated The 2-D sets as the server read them; use DatasetEntry.images. */
export interface LegacyGroupDataset {
  readonly name: GroupDatasetName;
  readonly group: GroupSpec;
  readonly count: number;
  part(part: SplitPart, splitSeed?: number): Int32Array;
  pairFactors(spec: PairSpec): { x: FactorValues; gx: FactorValues };
  renderImage(factors: FactorValues, into?: Float32Array, offset?: number): Float32Array;
  renderPairs(specs: readonly PairSpec[]): GroupPairBatch;
  evaluationSet(options?: EvaluationOptions): EvaluationSet;
}

/** @deprecated Use openDataset. */
export async function openLegacyGroupDataset(name: string, group: string | GroupSpec): Promise<LegacyGroupDataset> {
  const dataset = (await openDataset(name, specLabel(group))) as DigitPairs | PhantomPairs;
  return {
    name: dataset.name as GroupDatasetName,
    group: parseDataGroup(dataset.group.label),
    count: dataset.count,
    part: (part, splitSeed) => dataset.part(part, splitSeed),
    pairFactors: (spec) => dataset.pairFactors(spec),
    renderImage: (factors, into, offset) => dataset.renderImage(factors, into, offset),
    renderPairs: (specs) => dataset.renderPairs(specs),
    evaluationSet: (options) => dataset.evaluationSet(options),
  };
}

/** @deprecated The 3-D sets as the server read them (the group as 'so3' or 'so2'); use DatasetEntry.images. */
export class LegacyObjects3dDataset {
  private constructor(private readonly inner: Objects3dPairs) {}

  static open(name: string, group: string): LegacyObjects3dDataset {
    return new LegacyObjects3dDataset(Objects3dPairs.open(name, group));
  }

  get name() {
    return this.inner.name;
  }

  get group(): 'so3' | 'so2' {
    return this.inner.group.label as 'so3' | 'so2';
  }

  get imageShape() {
    return this.inner.imageShape;
  }

  get count() {
    return this.inner.count;
  }

  get factors() {
    return this.inner.factors;
  }

  part(part: SplitPart, splitSeed?: number): Int32Array {
    return this.inner.part(part, splitSeed);
  }

  imageFactors(source: number, pose: Quaternion): Objects3dFactorValues {
    return this.inner.imageFactors(source, pose);
  }

  renderImage(source: number, pose: ArrayLike<number>, into?: Float32Array, offset?: number): Float32Array {
    return this.inner.renderImage(source, pose, into, offset);
  }
}
