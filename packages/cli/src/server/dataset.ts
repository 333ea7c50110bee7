// Images for the API. A run's images are its data set's, as the set's registry entry serves them
// (DatasetEntry.images): dSprites' grid (any index of it), or a pair set's grid of sources at
// `steps` bases each (index = source·steps + step: a digit turned by k°, a phantom under setting k,
// a 3-D object in view k). Beside them, the dSprites routes that need no run: the grid's
// description, seeded samples of a split's part, an image's factors (latent values and classes).
import { datasetEntry, dspritesFactorsJson, dspritesImages, dspritesInfo, dspritesSamples, groupOf, modelSpec, type DataImages, type Group, type ModelConfig, type RunData } from '@maga/model';

/** The images a run's routes address by index: validated against `count`, rendered through `source`. */
export type RunImages = DataImages;

export const factorsJson = dspritesFactorsJson;
export const datasetInfo = dspritesInfo;
export const sampleIndices = dspritesSamples;
export { dspritesImages };

/** The images of a run, from its config's `data` (its data set's entry opens them, once per process). */
export const runImages = (data: RunData): Promise<RunImages> => datasetEntry(data.dataset).images(data);

/** The known group a model takes (its elements g); null for a model with a learned z. */
export function modelGroup(config: ModelConfig): Group | null {
  const group = modelSpec(config.model).group(config);
  return group ? groupOf(group) : null;
}
