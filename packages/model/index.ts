// @maga/model: layers, flows, group actions, models, losses, datasets, metrics and checkpoints.
// This file is the package's whole public API.
export * as dsprites from './src/data/dsprites.ts';
export type { FactorClasses, FactorName, Factors, LatentValues, ShapeName } from './src/data/dsprites.ts';
export { SPLITS, isTest, parseSplit, splitIndices, splitSize, type SplitName, type SplitPart } from './src/data/splits.ts';
export { Sampler, renderImages, type IndexBatch, type PivotMode, type SamplerOptions, type SamplerState } from './src/data/sampler.ts';
// The data sets: one registry (DATASETS) of entries that say everything the CLI, the server and the
// viewer need of a set (src/data/entry.ts); config.json's `data` is read by parseRunData. The MNIST
// digits are read only when a set is opened (a dynamic import in src/data/mnist.ts), never by
// importing this.
export {
  DATASETS,
  checkGroupKind,
  checkGroupLabel,
  datasetEntry,
  datasetNames,
  openDataset,
  openGroupDataset,
  parseRunData,
  registerDataset,
} from './src/data/registry.ts';
export type {
  DataImages,
  DataInfo,
  DatasetEntry,
  DspritesData,
  DspritesInfo,
  EvaluationOptions as DataEvaluationOptions,
  PairData,
  PresetChanges,
  RunData,
  TrainingStream,
} from './src/data/entry.ts';
export { PAIR_PRESETS, modelGroupConfig, pairEntry, presetsWith, type PairDatasetEntry, type PairEntrySpec } from './src/data/pair-entry.ts';
// The outline every pair set follows (split, sampler, evaluation set, batches, the API's grid).
export {
  ImageGrid,
  PairDataset,
  PairSampler,
  checkPart,
  heldOutSplit,
  type FactorInfo,
  type ImageGridScheme,
  type PairGridExtras,
  type PairSetInfo,
  type PairBatch as HostPairBatch,
  type PairBatchSampler,
  type PairEvaluationOptions,
  type PairEvaluationSet,
  type PairStreams,
  type SourceSamplerOptions,
} from './src/data/pair-set.ts';
export { DSPRITES_IMAGES, DSPRITES_SET, dspritesFactorsJson, dspritesImages, dspritesInfo, dspritesSamples, type DspritesFactorsJson } from './src/data/dsprites-set.ts';
// The 2-D pair sets (rotated-mnist, rotated-blocked-mnist, contrast).
export {
  ANGLE_STEPS,
  BLOCK,
  CONTRAST,
  DigitPairs,
  GROUP_IMAGE_SHAPE,
  GROUP_IMAGE_SIZE,
  GROUP_TEST_COUNT,
  GroupDataset,
  PhantomPairs,
  ROTATED_BLOCKED_MNIST,
  ROTATED_MNIST,
  evaluationSet,
  type EvaluationOptions,
  type EvaluationSet,
  type FactorColumns,
  type FactorValues,
  type GroupFactorInfo,
  type GroupFactorName,
  type GroupPairBatch as SampledPairBatch,
  type PairSamplerOptions,
  type PairSpec,
} from './src/data/groupdata.ts';
export * as contrast from './src/data/contrast.ts';
export { UniformStream } from './src/data/random.ts';
export { padImage, quarterTurns, rotateImage } from './src/data/rotation.ts';
export { MNIST_COUNT, loadMnist, type MnistDigits } from './src/data/mnist.ts';
// The 3-D pair sets (objects3d, planes-sky: issue 12), their renderer and rotations in space.
export * as render3d from './src/data/render3d.ts';
export * as quaternion from './src/data/quaternion.ts';
export {
  CAMERA_ELEVATION,
  CAMERA_QUATERNION,
  OBJECTS3D,
  OBJECTS3D_COUNT,
  OBJECTS3D_FACTORS,
  OBJECTS3D_IMAGE_SHAPE,
  OBJECTS3D_NAMES,
  OBJECTS3D_TEST_COUNT,
  OBJECT_CLASSES,
  Objects3dDataset,
  PLANES_SKY,
  VIEWS,
  objectClass,
  objectMesh,
  parseObjects3d,
  parseRotationGroup,
  skyImage,
  verticalAngle,
  viewPose,
  type ObjectClass,
  type Objects3dFactorColumns,
  type Objects3dFactorInfo,
  type Objects3dFactorName,
  type Objects3dFactorValues,
  type Objects3dName,
  type RotationPairBatch,
  type RotationPairSpec,
} from './src/data/objects3d.ts';
export { DEGREE2_BASIS, SO3Action, type SO3Layout } from './src/so3-action.ts';
// The known groups: one Group interface (src/groups/group.ts), one file per kind, one registry.
export type { Group, GroupConfigBase, GroupId, GroupKind, Uniforms, VectorAction } from './src/groups/group.ts';
export { ANGLE_BUCKETS, SO2, SO2_KIND, angleBucket, type SO2Config } from './src/groups/so2.ts';
export { CYCLIC_KIND, Cyclic, MAX_CYCLIC_ORDER, type CyclicConfig } from './src/groups/cyclic.ts';
export { DEFAULT_SO3_DEGREES, SO3, SO3_ANGLE_BUCKETS, SO3_DEGREES, SO3_KIND, type SO3Config } from './src/groups/so3.ts';
export {
  blockSizes,
  checkElements,
  elementSize,
  elements,
  groupConfigFromLabel,
  groupFromLabel,
  groupFromName,
  groupKind,
  groupKinds,
  groupLabelOf,
  groupName,
  groupOf,
  kindOfLabel,
  parseGroup,
  registerGroupKind,
  varyingSize,
  vectorAction,
  type GroupConfig,
} from './src/groups/registry.ts';
export { ChannelAction } from './src/groups/channel-action.ts';
export { checkQuaternions } from './src/data/quaternion.ts';
export * as metrics from './src/metrics.ts';
export { CheckpointError, checkParameters, decodeSafetensors, encodeSafetensors, type CheckpointTensor } from './src/checkpoint.ts';
export { encodeModule, encodeOptimizer, loadModule, loadOptimizer, type LoadOptions } from './src/state.ts';
export { CHECKSUM_KEY, NonFiniteError, crc32, crcTable, describeNonFinite, findNonFinite, tensorsChecksum, type NonFinite } from './src/integrity.ts';
export { Module } from './src/nn/module.ts';
export { Conv2d, ConvTranspose2d, Linear } from './src/nn/layers.ts';
export { ActNorm, Coupling, FlowStep, Glow, InvConv1x1, type CouplingKind, type FlowOutput, type GlowConfig } from './src/flow/glow.ts';
export { CyclicAction, RotationAction, TranslationAction, type GroupAction, type RotationLayout } from './src/actions.ts';
export { FlowDecoder, logitsToPixels, pixelsToLogits } from './src/decoder.ts';
export { ConvEncoder, type EncoderConfig, type Gaussian } from './src/models/encoder.ts';
export { MAGANET_DEFAULTS, MAGANET_TRAITS, Maganet, type MaganetConfig, type MaganetLosses, type Pairing } from './src/models/maganet.ts';
export { VAE_DEFAULTS, VAE_TRAITS, Vae, type VaeConfig, type VaeLosses } from './src/models/vae.ts';
export {
  BATCH_DATA,
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
export { SelfAttention, softmax } from './src/nn/attention.ts';
export {
  LATENT_ACTION_DEFAULTS,
  LATENT_ACTION_TRAITS,
  LatentAction,
  SKIP_MODES,
  SkipAction,
  SkipDecoder,
  planeAngles,
  squaredError,
  type LatentActionConfig,
  type LatentCode,
  type SkipMode,
} from './src/models/latent-action.ts';
export { FLOW_ACTION_DEFAULTS, FLOW_ACTION_TRAITS, FlowAction, flowChannels, type FlowActionConfig } from './src/models/flow-action.ts';
export { arctan, atan2, Winter, WINTER_DEFAULTS, WINTER_TRAITS, type WinterCode, type WinterConfig } from './src/models/winter.ts';
export { ROTATE_X_ACTION, RotateX, type RotateXConfig } from './src/models/rotate-x.ts';
export { COPY_X_ACTION, CopyX, type CopyXConfig } from './src/models/copy-x.ts';
export { ImageBaseline, PixelActionModel, type ImageAction, type PixelActionConfig } from './src/models/pixel-action.ts';
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
  isIdentityElement,
  predictPixels,
  psnrOfMse,
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
