// @maga/model: layers, flows, group actions, models, losses, datasets, metrics and checkpoints.
// This file is the package's whole public API.
export * as dsprites from './src/data/dsprites.ts';
export type { FactorClasses, FactorName, Factors, LatentValues, ShapeName } from './src/data/dsprites.ts';
export { SPLITS, isTest, parseSplit, splitIndices, splitSize, type SplitName, type SplitPart } from './src/data/splits.ts';
export * as metrics from './src/metrics.ts';
export { CheckpointError, checkParameters, decodeSafetensors, encodeSafetensors, type CheckpointTensor } from './src/checkpoint.ts';
