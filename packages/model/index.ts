// @maga/model: layers, flows, group actions, models, losses, datasets, metrics and checkpoints.
// This file is the package's whole public API.
export * as dsprites from './src/data/dsprites.ts';
export type { FactorClasses, FactorName, Factors, LatentValues, ShapeName } from './src/data/dsprites.ts';
export { SPLITS, isTest, parseSplit, splitIndices, splitSize, type SplitName, type SplitPart } from './src/data/splits.ts';
export { Sampler, renderImages, type IndexBatch, type PivotMode, type SamplerOptions, type SamplerState } from './src/data/sampler.ts';
export * as metrics from './src/metrics.ts';
export { CheckpointError, checkParameters, decodeSafetensors, encodeSafetensors, type CheckpointTensor } from './src/checkpoint.ts';
export { encodeModule, encodeOptimizer, loadModule, loadOptimizer, type LoadOptions } from './src/state.ts';
export { CHECKSUM_KEY, NonFiniteError, crc32, describeNonFinite, findNonFinite, tensorsChecksum, type NonFinite } from './src/integrity.ts';
export { Module } from './src/nn/module.ts';
export { Conv2d, ConvTranspose2d, Linear } from './src/nn/layers.ts';
export { ActNorm, Coupling, FlowStep, Glow, InvConv1x1, type CouplingKind, type FlowOutput, type GlowConfig } from './src/flow/glow.ts';
export { CyclicAction, RotationAction, TranslationAction, type GroupAction, type RotationLayout } from './src/actions.ts';
export { FlowDecoder, logitsToPixels, pixelsToLogits } from './src/decoder.ts';
export { ConvEncoder, type EncoderConfig, type Gaussian } from './src/models/encoder.ts';
export { MAGANET_DEFAULTS, Maganet, type MaganetConfig, type MaganetLosses, type Pairing } from './src/models/maganet.ts';
export { VAE_DEFAULTS, Vae, type VaeConfig, type VaeLosses } from './src/models/vae.ts';
export { MODEL_KINDS, createModel, defaultConfig, parseModelConfig, type Model, type ModelConfig, type ModelKind } from './src/models/registry.ts';
export {
  evalIndices,
  evaluate,
  lossTerms,
  pivotMode,
  reconstructLogits,
  reconstructionDifference,
  reconstructions,
  trainStep,
  uploadBatch,
  type Batch,
  type EvalMetrics,
  type EvalOptions,
} from './src/training.ts';
