// `train --from runs/X`: a new run with X's config.json — its model (every architecture field, not
// only those a flag sets), data, training settings and seed — with each flag given overriding the
// value it sets, as planRun reads the same flags. The new config.json records where it came from:
// `from: { run, step, flags }` (X's checkpoint step when it had one, the flags given). A missing or
// unreadable X is a usage error naming the file.
import { datasetEntry, modelSpec, parseModelConfig, ValidationError, type GroupConfig, type ModelConfig } from '@maga/model';
import { checkGroupFlag, chosenTraining, datasetFlag, MODEL_CHOICES, modelGroupFlag, type RunChoices } from './plan.ts';
import { codeVersion, dataLabel, readRunConfig, readRunState, RunError, type RunConfig, type RunData } from '../run/rundir.ts';

const usage = (e: unknown, prefix: string, at = '--from') => new ValidationError(`${prefix}${(e as Error).message}`, at);

/** X's model with the flags' model choices set at the config fields the registry names, checked. */
function overrideModel(model: ModelConfig, choices: RunChoices, from: string): ModelConfig {
  const spec = modelSpec(model.model);
  const changed = structuredClone(model) as unknown as Record<string, unknown>;
  for (const [key, flag] of Object.entries(MODEL_CHOICES)) {
    const value = choices[key as keyof RunChoices];
    if (value === undefined) continue;
    const path = spec.choices[key];
    if (!path) throw new ValidationError(`${flag} does not apply to the ${model.model} model of --from ${from}`);
    let node = changed;
    for (const field of path.slice(0, -1)) node = node[field] as Record<string, unknown>;
    node[path.at(-1)!] = value;
  }
  try {
    return parseModelConfig(changed);
  } catch (e) {
    throw usage(e, `--from ${from}: `);
  }
}

/** X's data, with --split (dSprites) or --dataset/--group (pairs) applied; a pair run's model group and image shape follow its data. */
function overrideData(base: RunConfig, model: ModelConfig, choices: RunChoices, from: string): { data: RunData; model: ModelConfig } {
  const data = structuredClone(base.data);
  const named = choices.dataset === undefined ? null : datasetFlag(choices.dataset);
  // Another data set must hold the batches X's model trains on (ModelTraits.batch), as X's does.
  if (named && named.batch !== datasetEntry(data.dataset).batch) {
    throw new ValidationError(`--dataset ${named.name}: --from ${from} trains the ${model.model} model on ${dataLabel(data)}, and ${named.name} holds other data (a model for it needs training without --from)`, '--dataset');
  }
  // --split and --group apply where X's data has them: a split (dSprites), a group (a pair set).
  if (choices.split !== undefined) {
    if (!('split' in data)) throw new ValidationError(`--split applies to dSprites runs; --from ${from} trains on pairs of ${data.dataset}`);
    data.split = choices.split;
  }
  if (choices.group !== undefined && datasetEntry(data.dataset).groups.length === 0) throw new ValidationError(`--group: --from ${from} trains on ${dataLabel(data)}, which takes no known group`);
  if (!('group' in data) || (choices.dataset === undefined && choices.group === undefined)) return { data, model };
  const entry = named ?? datasetEntry(data.dataset);
  const group = checkGroupFlag(entry, choices.group ?? (entry.name !== data.dataset ? entry.defaultGroup! : data.group));
  // X's frequencies or degrees carry over to the new group where it has them.
  const modelGroup: GroupConfig = modelGroupFlag(group, (model as { group: GroupConfig }).group);
  const [channels, imageSize] = entry.imageShape;
  let changed: ModelConfig;
  try {
    changed = parseModelConfig({ ...model, group: modelGroup, channels, imageSize });
  } catch (e) {
    throw usage(e, `--dataset ${entry.name} --group ${group} with --from ${from}: `);
  }
  return { data: { dataset: entry.name, group, limit: data.limit }, model: changed };
}

/**
 * The config of a new run copied from the run in `from`, with `choices` (the flags given, `flags`
 * as typed) overriding. --preset and another --model are refused: they would replace, not
 * override, what X holds.
 */
export function planFrom(from: string, choices: RunChoices, flags: string[], now = new Date()): RunConfig {
  let base: RunConfig;
  try {
    base = readRunConfig(from);
  } catch (e) {
    if (e instanceof RunError) throw usage(e, '--from: ');
    throw e;
  }
  let step: number | null = null;
  try {
    step = readRunState(from)?.step ?? null;
  } catch {
    // A damaged state.json does not make X's config unusable; the origin then has no step.
  }
  if (choices.preset !== undefined) throw new ValidationError(`--preset cannot be given with --from: the run takes every value from ${from}; give the flags to change instead`);
  if (choices.model !== undefined && choices.model !== base.model.model) throw new ValidationError(`--model ${choices.model}: --from ${from} is a ${base.model.model} run; train a ${choices.model} without --from`);
  const overridden = overrideData(base, overrideModel(base.model, choices, from), choices, from);
  const model = overridden.model;
  const data = overridden.data;
  // A dSprites run's pivots follow its model (ModelSpec.pivots), which a flag may have changed.
  if ('pairing' in data) data.pairing = modelSpec(model.model).pivots(model as never);
  const t = base.training;
  const training = { ...t, steps: choices.steps ?? t.steps, ...chosenTraining(choices, t), evalEvery: choices.evalEvery ?? t.evalEvery, evalSample: choices.evalSample ?? t.evalSample };
  data.limit = choices.limit ?? data.limit;
  if (data.limit !== null && data.limit < training.batchSize) throw new ValidationError(`--limit ${data.limit} is smaller than a batch of ${training.batchSize}`);
  return {
    format: 1,
    model,
    data,
    training,
    seed: choices.seed ?? base.seed,
    preset: base.preset,
    code: codeVersion(),
    backend: 'unknown',
    createdAt: now.toISOString(),
    status: 'training',
    from: { run: from, step, flags },
  };
}
