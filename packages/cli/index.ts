// @maga/cli: `bun run cli train | eval | render | serve` and the Hono HTTP app behind `serve`.
// This file is the package's whole public API (tests and the viewer's dev server use it).
export { runCli, usage } from './src/commands/cli.ts';
// A usage error (exit code 2) is @maga/model's ValidationError: a flag, a value, a table or a plan refused.
export { ValidationError as UsageError } from '@maga/model';
export { PRESETS, PRESET_NAMES, type Preset, type PresetName } from './src/train/presets.ts';
export { planRun, type RunChoices } from './src/train/plan.ts';
export { createRunDir, evaluateRun, learningRate, train, type StopSignal, type TrainOptions, type TrainResult } from './src/train/train.ts';
export { createReporter, type Progress, type Reporter } from './src/train/progress.ts';
export { openCheckpoint, restoreCheckpoint, saveCheckpoint, inspectSafetensors, type CheckpointFiles, type TrainingState } from './src/run/checkpoint.ts';
export { DivergenceError, checkedModeFailure, nonFiniteInCheckpoint, nonFiniteTerm } from './src/train/divergence.ts';
export { FILES, RUN_ID_PATTERN, RunError, dataLabel, isPairData, parseRunConfig, readLog, readMetrics, readRunConfig, readRunState, type DspritesData, type EvalLine, type LogLine, type PairData, type RunConfig, type RunData, type RunMetrics, type RunState, type RunStatus, type Divergence } from './src/run/rundir.ts';
export { loadTrainedModel, type TrainedModel } from './src/inference/load.ts';
export { evaluateRuns, formatReport, type EvalReport, type RunEvaluation, type ToDiff } from './src/evaluate/evaluate.ts';
export { renderRun, RENDER_DEFAULTS, type RenderOptions, type RenderResult } from './src/figures/render.ts';
export { encodeGif, encodePng, grid, imageJson, type ImageJson, type Raster } from './src/figures/images.ts';
export { createApp, MAX_BODY_BYTES, type ServerContext } from './src/server/app.ts';
export { createContext, startServer, VIEWER_DIST, type RunningServer, type ServeOptions } from './src/server/serve.ts';
export { initBackend, type BackendInfo } from './src/run/backend.ts';
export { modelGroup, openRunDataset, openTrainingData, type TrainingData } from './src/train/data.ts';
export { RenderAhead } from './src/train/render-ahead.ts';
export { EventWriter, FILE_VERSION, crc32c, encodeEvent, encodeRecord, eventFileName, maskedCrc32c, pngInfo, scanEventFile, type EventFileScan, type ImageSummary, type SummaryValue, type TensorBoardEvent } from './src/export/tensorboard.ts';
export { LiveTensorBoard, configText, exportRun, figureImages, liveDir, logScalars, metricScalars, type ExportResult } from './src/export/tensorboard-run.ts';
// The HTTP API's request and response types (the viewer imports them type-only).
export type * from './src/server/contract.ts';
