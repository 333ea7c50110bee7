// Training presets: named starting points for `cli train`, kept in one small table so their
// numbers are easy to find, compare and tune. Explicit flags override any value here.
// docs/cli.md lists them; change both together.
import type { DatasetEntry, ModelKind, SizeName } from '@maga/model';
import type { LrSchedule } from '../run/rundir.ts';

export interface Preset {
  description: string;
  /** Model trained when --model is not given. */
  model: ModelKind;
  steps: number;
  batchSize: number;
  lr: number;
  /** Learning-rate schedule: constant, or a cosine decay from lr to lr/10 over the steps. */
  schedule: LrSchedule;
  /** Global gradient-norm clip (0 = none). */
  clipNorm: number;
  /** Train on only this many images of the split's train part (a fixed subset), or all of it. */
  limit: number | null;
  logEvery: number;
  checkpointEvery: number;
  /** Images evaluated on each of the test and train parts after training. */
  evalCount: number;
  // Each model's architecture at this preset's size is its registry entry's (packages/model
  // MODELS[kind].sizes[preset name]); what a data set changes of the training (the pair models'
  // lengths and rates, the rendered 3-D sets' own) is its entry's (DATASETS[name].presets).
}

export const PRESETS = {
  // For tests and smoke checks: seconds, not a useful model.
  tiny: {
    description: 'a few steps of a small model on a 256-image subset (tests, smoke checks)',
    model: 'maganet',
    steps: 4,
    batchSize: 8,
    lr: 1e-3,
    schedule: 'constant',
    clipNorm: 1,
    limit: 256,
    logEvery: 1,
    checkpointEvery: 2,
    evalCount: 16,
  },
  // The README's main job: the blog's architecture and loss weights, sized to finish within 10
  // minutes on a 2-core CPU with the native backend (OpenBLAS + oneDNN). Measured on an AMD EPYC
  // 2-core machine: 2000 steps of batch 32 took 7 min 8 s start to exit and reached test BCE 107.5
  // on to-range (train 85.3); see docs/cli.md.
  quick: {
    description: "the blog's MAGANet, 2000 steps of batch 32 with a cosine learning rate (≈ 7 minutes on 2 CPU cores with the native backend)",
    model: 'maganet',
    steps: 2000,
    batchSize: 32,
    lr: 1e-3,
    schedule: 'cosine',
    clipNorm: 1,
    limit: null,
    logEvery: 10,
    checkpointEvery: 100,
    evalCount: 256,
  },
  // The blog's settings at full length: meant for a real GPU (hours on lavapipe per thousand steps).
  paper: {
    description: "the blog's settings: batch 64, full architecture, 100,000 steps (a real GPU)",
    model: 'maganet',
    steps: 100_000,
    batchSize: 64,
    lr: 1e-4,
    schedule: 'constant',
    clipNorm: 1,
    limit: null,
    logEvery: 100,
    checkpointEvery: 1000,
    evalCount: 2048,
  },
} satisfies Record<SizeName, Preset>;

export type PresetName = keyof typeof PRESETS;

/** The preset's values for a run on data set `entry`: the preset's own, with what the set's entry changes at this size. */
export function presetFor(preset: Preset, size: PresetName, entry: DatasetEntry): Preset {
  return { ...preset, ...entry.presets[size as SizeName] };
}
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
