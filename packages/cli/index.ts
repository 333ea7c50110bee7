// @maga/cli: `bun run cli train | eval | render | serve` and the Hono HTTP app behind `serve`.
// This file is the package's whole public API (tests and the viewer's dev server use it).
export { runCli, usage } from './src/cli.ts';
export { UsageError } from './src/args.ts';
export { PRESETS, PRESET_NAMES, type Preset, type PresetName } from './src/presets.ts';
export { planRun, type RunChoices } from './src/plan.ts';
export { createRunDir, evaluateRun, learningRate, train, type StopSignal, type TrainOptions, type TrainResult } from './src/train.ts';
export { createReporter, type Progress, type Reporter } from './src/progress.ts';
export { openCheckpoint, restoreCheckpoint, saveCheckpoint, inspectSafetensors, type CheckpointFiles, type TrainingState } from './src/checkpoint.ts';
export { DivergenceError, checkedModeFailure, nonFiniteInCheckpoint, nonFiniteTerm } from './src/divergence.ts';
export { FILES, RUN_ID_PATTERN, RunError, dataLabel, isPairData, parseRunConfig, readLog, readMetrics, readRunConfig, readRunState, type DspritesData, type LogLine, type PairData, type RunConfig, type RunData, type RunMetrics, type RunState, type RunStatus, type Divergence } from './src/rundir.ts';
export { loadTrainedModel, type TrainedModel } from './src/load.ts';
export { evaluateRuns, formatReport, type EvalReport, type RunEvaluation, type ToDiff } from './src/evaluate.ts';
export { renderRun, RENDER_DEFAULTS, type RenderOptions, type RenderResult } from './src/render.ts';
export { encodeGif, encodePng, grid, imageJson, type ImageJson, type Raster } from './src/images.ts';
export { createApp, MAX_BODY_BYTES, type ServerContext } from './src/app.ts';
export { createContext, startServer, VIEWER_DIST, type RunningServer, type ServeOptions } from './src/serve.ts';
export { initBackend, type BackendInfo } from './src/backend.ts';
export { modelGroup, openRunDataset, openTrainingData, type TrainingData } from './src/data.ts';
export { RenderAhead } from './src/render-ahead.ts';
// The HTTP API's request and response types (the viewer imports them type-only).
export type * from './src/server/contract.ts';
