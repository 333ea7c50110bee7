// The data sets by name, beside the models' MODELS (models/registry.ts). Each entry (entry.ts) is
// everything the rest of the project knows of a data set: its images, the groups it takes, how to
// open, evaluate and serve it, its presets' changes. Adding a data set is its own files plus one
// line in BUILT_IN (or registerDataset, for a set that lives outside this package, such as a
// test's fixture). The checks of a run's data against the sets — config.json's `data`, a group
// label for a set — are here, once.
import type { Group } from '../groups/group.ts';
import { groupFromLabel, groupKind, kindOfLabel } from '../groups/registry.ts';
import { ValidationError } from '../validate.ts';
import { BATCH_DATA, type ModelTraits } from '../models/model.ts';
import { modelSpec, type ModelConfig } from '../models/registry.ts';
import { DSPRITES_SET } from './dsprites-set.ts';
import type { DatasetEntry, RunData } from './entry.ts';
import { CONTRAST, ROTATED_BLOCKED_MNIST, ROTATED_MNIST, type GroupDataset } from './groupdata.ts';
import { OBJECTS3D, PLANES_SKY } from './objects3d.ts';
import type { PairDatasetEntry } from './pair-entry.ts';
import type { PairDataset } from './pair-set.ts';

// The built-in sets, in the order lists name them. Read on first use, not at load: the sets' own
// files import what this file imports, and may be loaded first.
const BUILT_IN = () => [DSPRITES_SET, ROTATED_MNIST, ROTATED_BLOCKED_MNIST, CONTRAST, OBJECTS3D, PLANES_SKY] as DatasetEntry[];

let table: Map<string, DatasetEntry> | null = null;
const entries = () => (table ??= new Map(BUILT_IN().map((e) => [e.name, e])));

/** Every data set, by name (registerDataset adds to it). */
export const DATASETS: Readonly<Record<string, DatasetEntry>> = new Proxy({} as Record<string, DatasetEntry>, {
  get: (_, name) => (typeof name === 'string' ? entries().get(name) : undefined),
  has: (_, name) => typeof name === 'string' && entries().has(name),
  ownKeys: () => [...entries().keys()],
  getOwnPropertyDescriptor: (_, name) => (typeof name === 'string' && entries().has(name) ? { value: entries().get(name), enumerable: true, configurable: true } : undefined),
});

/** The names of every data set, or of those whose batches are `batch` (ModelTraits.batch). */
export const datasetNames = (batch?: ModelTraits['batch']): string[] => [...entries().values()].filter((e) => batch === undefined || e.batch === batch).map((e) => e.name);

/**
 * Adds a data set (its own file's entry): then runs, the CLI, the server and the viewer know it.
 * Registering the same entry twice is a no-op; another entry under a taken name is an error.
 * Returns what takes it out again (a test's fixture leaves the registry as it found it).
 */
export function registerDataset<D extends RunData>(entry: DatasetEntry<D>): () => void {
  const taken = entries().get(entry.name);
  const remove = () => void (entries().get(entry.name) === (entry as unknown) && entries().delete(entry.name));
  if (taken === (entry as unknown)) return remove;
  if (taken) throw new Error(`a data set '${entry.name}' is registered already`);
  entries().set(entry.name, entry as unknown as DatasetEntry);
  return remove;
}

/** The entry of a data set, or an error naming the value and the sets there are. */
export function datasetEntry(name: string): DatasetEntry {
  const entry = entries().get(name);
  if (!entry) throw new ValidationError(`unknown data set '${name}': expected one of ${datasetNames().join(', ')}`, 'dataset');
  return entry;
}

const quoted = (labels: string[]) => labels.map((l) => `'${l}'`).join(' or ');
const listed = (names: string[]) => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

/**
 * Checks that `label` names a kind of group data set `entry` takes (its numbers, such as C_n's n,
 * are checked when the group is made). An unknown label's error lists the labels the set takes; a
 * group of another kind's says which the set takes and which sets take that kind, with the refused
 * group's description where its elements are not even the size of the set's (SO(3)'s quaternions
 * for a set of angles).
 */
export function checkGroupKind(entry: DatasetEntry, label: string): void {
  const labels = entry.groups.map((k) => groupKind(k).labels);
  const kind = kindOfLabel(label);
  if (!kind) throw new ValidationError(`unknown group '${label}': expected ${labels.length ? quoted(labels) : `none (data set '${entry.name}' takes no group)`}`, 'group');
  if (entry.groups.includes(kind.kind)) return;
  const aside = entry.groups.some((k) => groupKind(k).elementSize === kind.elementSize) ? '' : ` (${kind.description})`;
  const takers = datasetNames().filter((name) => datasetEntry(name).groups.includes(kind.kind));
  const elsewhere = takers.length ? `; ${label} is for ${listed(takers)}` : '';
  throw new ValidationError(`data set '${entry.name}' does not take the group '${label}'${aside}: it takes ${labels.length ? quoted(labels) : 'no group'}${elsewhere}`, 'group');
}

/** The group `label` names, checked for data set `entry` (checkGroupKind, then the group's own numbers). */
export function checkGroupLabel(entry: DatasetEntry, label: string): Group {
  checkGroupKind(entry, label);
  return groupFromLabel(label);
}

/** A pair data set opened with a group (a label such as 'so2', 'c4', 'so3', or a Group), both checked. */
export async function openDataset(name: string, group: string | Group): Promise<PairDataset> {
  const entry = datasetEntry(name);
  if (!('open' in entry)) throw new Error(`data set '${name}' holds no pairs (x, g·x) to open with a group: it is for the models with batches '${entry.batch}'`);
  const checked = checkGroupLabel(entry, typeof group === 'string' ? group : group.label);
  return (entry as PairDatasetEntry).open(typeof group === 'string' ? checked : group);
}

/** A 2-D pair set (rotated-mnist, rotated-blocked-mnist, contrast) opened with a group, with its own renderers (renderImage, pairFactors). */
export const openGroupDataset = async (name: string, group: string | Group): Promise<GroupDataset> => (await openDataset(name, group)) as GroupDataset;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * config.json's `data`, read once for everyone, checked against the run's model: the set must be
 * one whose batches the model trains on (dSprites for MAGANet and the β-VAE, pairs for the
 * known-group models), its group one the set takes and the model's, and the images the model's
 * size. Errors name the field, what it must be and the value.
 */
export function parseRunData(value: unknown, model: ModelConfig): RunData {
  if (!isObject(value)) throw new ValidationError(`data must be an object, got ${JSON.stringify(value)}`, 'data');
  const limit = value.limit;
  if (!(limit === null || (typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0))) throw new ValidationError(`data.limit must be null or a positive integer, got ${JSON.stringify(limit)}`, 'data.limit');
  const name = String(value.dataset);
  let entry: DatasetEntry;
  try {
    entry = datasetEntry(name);
  } catch (e) {
    throw new ValidationError(`data: ${(e as Error).message}`, 'data.dataset');
  }
  const wanted = modelSpec(model.model).traits.batch;
  if (entry.batch !== wanted) throw new ValidationError(`data.dataset must be ${BATCH_DATA[wanted]} for model ${model.model}, not ${name}`, 'data.dataset');
  if (entry.groups.length > 0) {
    try {
      checkGroupLabel(entry, String(value.group));
    } catch (e) {
      throw new ValidationError(`data: ${(e as Error).message}`, 'data.group');
    }
  }
  return entry.parseData(value, model);
}
