// @maga/model: layers, flows, group actions, models, losses, datasets, metrics and checkpoints.
// This file is the package's whole public API.
export * as dsprites from './src/data/dsprites.ts';
export type { FactorClasses, FactorName, Factors, LatentValues, ShapeName } from './src/data/dsprites.ts';
export { SPLITS, isTest, parseSplit, splitIndices, splitSize, type SplitName, type SplitPart } from './src/data/splits.ts';
export { Sampler, renderImages, type IndexBatch, type PivotMode, type SamplerOptions, type SamplerState } from './src/data/sampler.ts';
// Known-group pairs (rotated-mnist, rotated-blocked-mnist, contrast). The MNIST digits are read
// only when a data set is opened (a dynamic import in src/data/mnist.ts), never by importing this.
export {
  ANGLE_BUCKETS,
  BLOCK,
  GROUP_DATASETS,
  GROUP_DATASET_NAMES,
  GROUP_IMAGE_SHAPE,
  GROUP_IMAGE_SIZE,
  GROUP_TEST_COUNT,
  GroupDataset,
  MAX_CYCLIC_ORDER,
  PairSampler,
  angleBucket,
  checkDatasetGroup,
  evaluationSet,
  groupFactors,
  groupLabel,
  openGroupDataset,
  parseGroup as parseDataGroup,
  parseGroupDataset,
  splitPart,
  type EvaluationOptions,
  type EvaluationSet,
  type FactorColumns,
  type FactorValues,
  type GroupDatasetInfo,
  type GroupDatasetName,
  type GroupFactorInfo,
  type GroupFactorName,
  type GroupKind,
  type GroupPairBatch as SampledPairBatch,
  type GroupSpec,
  type PairSamplerOptions,
  type PairSpec,
} from './src/data/groupdata.ts';
export * as contrast from './src/data/contrast.ts';
export { padImage, quarterTurns, rotateImage } from './src/data/rotation.ts';
export { MNIST_COUNT, loadMnist, type MnistDigits } from './src/data/mnist.ts';
// The 3-D pair data sets (objects3d, planes-sky: issue 12), their renderer and rotations in space.
// The CLI opens them, with the sets above, through openPairDataset (below).
export * as render3d from './src/data/render3d.ts';
export * as quaternion from './src/data/quaternion.ts';
export {
  CAMERA_ELEVATION,
  OBJECTS3D_COUNT,
  OBJECTS3D_DATASETS,
  OBJECTS3D_FACTORS,
  OBJECTS3D_IMAGE_SHAPE,
  OBJECTS3D_NAMES,
  OBJECTS3D_TEST_COUNT,
  OBJECT_CLASSES,
  Objects3dDataset,
  Objects3dPairSampler,
  SO2_ANGLE_BUCKETS,
  SO3_ANGLE_BUCKETS,
  objectClass,
  objectMesh,
  objects3dEvaluationSet,
  objects3dSplit,
  parseObjects3d,
  parseRotationGroup,
  rotationBucket,
  skyImage,
  verticalAngle,
  type ObjectClass,
  type Objects3dEvaluationSet,
  type Objects3dFactorColumns,
  type Objects3dFactorInfo,
  type Objects3dFactorName,
  type Objects3dFactorValues,
  type Objects3dInfo,
  type Objects3dName,
  type Objects3dSamplerOptions,
  type RotationGroup,
  type RotationPairBatch,
  type RotationPairSpec,
} from './src/data/objects3d.ts';
export { DEGREE2_BASIS, SO3Action, type SO3Layout } from './src/so3-action.ts';
// Every pair data set (the known-group sets and the 3-D sets) behind one shape, for the CLI.
export {
  PAIR_DATASET_NAMES,
  checkPairGroup,
  defaultPairGroup,
  isObjects3d,
  openPairDataset,
  pairDatasetDescription,
  pairImageShape,
  parsePairDataset,
  type PairBatchSampler,
  type PairDataset,
  type PairDatasetName,
  type PairEvaluationOptions,
  type PairEvaluationSet,
} from './src/data/pair-datasets.ts';
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
export { MAGANET_DEFAULTS, MAGANET_TRAITS, Maganet, type MaganetConfig, type MaganetLosses, type Pairing } from './src/models/maganet.ts';
export { VAE_DEFAULTS, VAE_TRAITS, Vae, type VaeConfig, type VaeLosses } from './src/models/vae.ts';
export {
  isPairBatch,
  type Encoding,
  type GroupLawImages,
  type GroupPairBatch,
  type LossTerms,
  type ModelTraits,
  type PairBatch,
  type PreparedDecoder,
  type TrainingBatch,
} from './src/models/model.ts';
export { ConfigError } from './src/models/config.ts';
// The one validation vocabulary (config.json, HTTP bodies, experiment tables, flags): readers that
// throw a ValidationError naming the value's path, what it must be and what it was.
export * as check from './src/validate.ts';
export { ValidationError, type Check, type Checked } from './src/validate.ts';
export {
  ChannelAction,
  DEFAULT_SO3_DEGREES,
  GROUP_KINDS,
  SO3_DEGREES,
  blockSizes,
  checkElements,
  checkQuaternions,
  elementSize,
  elements,
  groupFromName,
  groupLabelOf,
  groupName,
  parseGroup,
  varyingSize,
  vectorAction,
  type GroupConfig,
  type VectorAction,
} from './src/models/groups.ts';
export { SelfAttention, softmax } from './src/nn/attention.ts';
export {
  LATENT_ACTION_DEFAULTS,
  LATENT_ACTION_TRAITS,
  LatentAction,
  SkipDecoder,
  type LatentActionConfig,
  type LatentCode,
} from './src/models/latent-action.ts';
export { FLOW_ACTION_DEFAULTS, FLOW_ACTION_TRAITS, FlowAction, flowChannels, type FlowActionConfig } from './src/models/flow-action.ts';
export {
  MODELS,
  MODEL_KINDS,
  configure,
  createModel,
  defaultConfig,
  modelSpec,
  modelTraits,
  parseModelConfig,
  type Model,
  type ModelConfig,
  type ModelKind,
  type ModelSpec,
  type SizeName,
} from './src/models/registry.ts';
export { Inference, maxDifference, sweep, type GroupLawResult, type ImageSource, type TraversalResult } from './src/inference.ts';
export {
  evalIndices,
  evaluate,
  evaluatePairs,
  lossTerms,
  pivotMode,
  reconstructLogits,
  reconstructionDifference,
  reconstructions,
  trainStep,
  uploadBatch,
  uploadPairs,
  type Batch,
  type EvalMetrics,
  type BucketMetrics,
  type EvalOptions,
  type PairEvalMetrics,
  type PairEvalOptions,
} from './src/training.ts';
// Data parallelism on the native CPU engine: a batch's shards on threads of their own (issue 25).
export { DataParallel, ShardThreads, shardRanges, type DataParallelOptions } from './src/parallel.ts';
