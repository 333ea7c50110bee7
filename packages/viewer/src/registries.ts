// The model package's registries as the viewer asks them: a run's known group (its elements, how
// they compose, are written and read) and its data set's entry (what its sources are, what g does
// to them). Imported on demand (context.tsx): the groups bring the tensor core, which stays out of
// the entry chunk, beside the in-browser decoder that needs it anyway.
import { datasetEntry, groupFromLabel, type DatasetEntry, type Group } from '@maga/model';

/** The group a run's summary names by its label ('so2', 'c4', 'so3'). */
export const groupOfRun = (label: string): Group => groupFromLabel(label);

/** A data set's registry entry, by the name a run's summary gives. */
export const datasetOfRun = (name: string): DatasetEntry => datasetEntry(name);
