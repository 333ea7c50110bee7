// A trained model from a run directory: its config.json and the weights of model.safetensors,
// with errors that say which run and which file is at fault.
import * as fs from 'node:fs';
import { createModel, loadModule, NonFiniteError, type LoadOptions, type Model } from '@maga/model';
import { filePath, readRunConfig, RunError, type RunConfig } from '../run/rundir.ts';

export interface TrainedModel {
  config: RunConfig;
  model: Model;
  /** The training step the weights were saved at. */
  step: number;
}

/**
 * Builds the run's model and loads its weights. `bytes` defaults to the run's model.safetensors.
 * Weights holding NaN or ±Inf are refused, naming the tensor, unless `allowNonFinite`.
 */
export async function loadTrainedModel(dir: string, bytes?: Uint8Array, config = readRunConfig(dir), options: LoadOptions = {}): Promise<TrainedModel> {
  const file = filePath(dir, 'model');
  if (!bytes) {
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (e) {
      throw new RunError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${dir} has no checkpoint yet (${file} does not exist)` : `cannot read ${file}: ${(e as Error).message}`);
    }
  }
  const model = await createModel(config.model, config.seed);
  let metadata: Record<string, string>;
  try {
    metadata = loadModule(model, bytes, options);
  } catch (e) {
    model.dispose();
    if (e instanceof NonFiniteError) throw new RunError(`${file} is refused: its ${e.message} (weights of a diverged run?); cli eval and cli serve load it with --allow-non-finite, to inspect it`);
    throw new RunError(`${file} is corrupt or does not fit the run's model: ${(e as Error).message}`);
  }
  const step = Number(metadata.step ?? 0);
  return { config, model, step: Number.isSafeInteger(step) ? step : 0 };
}
