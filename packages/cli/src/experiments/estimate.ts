// How long a planned run should take, and what it costs in core-hours: measured training rates per
// model, preset and kind of data (or a run's own logged rate once it has one), the seconds a run
// spends outside its steps, and its test-curve evaluations. For --dry-run, the experiment's ETA
// and the Slurm submission's hint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetEntry } from '@maga/model';
import type { PresetName } from '../train/presets.ts';
import { FILES, readLog, type RunConfig, type RunData } from '../run/rundir.ts';

export interface MeasuredRate {
  /** Training images (pairs) per second, evaluation excluded. */
  imagesPerSecond: number;
  /** The host cores the measurement kept busy (its BLAS/OpenMP threads): core-hours = hours × cores. */
  cores: number;
  /** Where the figure comes from. */
  source: string;
}

// Measured on the 2-core AMD EPYC machine with the native backend (OpenBLAS + oneDNN). A run that
// has logged replaces these with its own rate. Tiny: test-sized guesses.
export const MEASURED_RATES: Record<string, MeasuredRate> = {
  'maganet/quick': { imagesPerSecond: 229, cores: 2, source: 'docs/cli.md: 2000 steps of 32 in 7 min 8 s with its evaluation, quiet machine, 2 threads' },
  'vae/quick': { imagesPerSecond: 270, cores: 2, source: 'blog-table, quiet machine, 2026-12-02, 2 threads' },
  'latent-action/quick': { imagesPerSecond: 140, cores: 1, source: "docs/latent-action.md's quick runs: 64,000 pairs in 376–499 s, one thread, shared machine at load 7–10" },
  'latent-action/quick/rendered': { imagesPerSecond: 190, cores: 1, source: 'docs/objects3d.md: 800 steps of 32 in 2 min 17 s, rendering included, one thread, quiet machine' },
  'flow-action/quick': { imagesPerSecond: 215, cores: 1, source: "docs/latent-action.md's quick runs: 64,000 pairs in 263–330 s, one thread, shared machine at load 7–10" },
  // MAGANet and the VAE have the quick architecture at the paper size (batch 64 instead of 32): the
  // quick rate per image, until a paper run logs its own.
  'maganet/paper': { imagesPerSecond: 229, cores: 2, source: "maganet/quick's rate (the same architecture)" },
  'vae/paper': { imagesPerSecond: 270, cores: 2, source: "vae/quick's rate (the same architecture)" },
  'maganet/tiny': { imagesPerSecond: 200, cores: 1, source: 'a guess for test-sized runs' },
  'vae/tiny': { imagesPerSecond: 200, cores: 1, source: 'a guess for test-sized runs' },
};

/** When nothing is measured: said in --dry-run's output, never silently. */
export const UNMEASURED_RATE: MeasuredRate = { imagesPerSecond: 100, cores: 1, source: 'no measurement for this model and preset: 100 images/s assumed' };

/** Seconds a run spends outside its steps (start, data-dependent init, the final evaluation), measured on quick runs. */
const OVERHEAD_SECONDS: Record<PresetName, number> = { tiny: 3, quick: 30, paper: 120 };
/** Evaluating an image costs about a third of training on it (a forward pass, no backward, no update). */
const EVAL_COST = 1 / 3;

/** The rate table's key for a run's data, from its DATASETS entry (the rendered 3-D sets: `rendered`, they render as they train). */
function dataRateKey(data: RunData): string {
  const key = datasetEntry(data.dataset).rateKey;
  return key ? `/${key}` : '';
}

export function measuredRate(config: RunConfig, preset: PresetName): MeasuredRate {
  const key = `${config.model.model}/${preset}`;
  const rendered = dataRateKey(config.data);
  return (rendered ? MEASURED_RATES[key + rendered] : undefined) ?? MEASURED_RATES[key] ?? UNMEASURED_RATE;
}

export interface Estimate {
  /** Wall seconds still to go on this machine's measured rate. */
  seconds: number;
  /** Core-hours of those seconds: seconds × the cores of the rate's measurement / 3600. */
  coreHours: number;
  rate: MeasuredRate;
  /** Whether the rate is the run's own (from its log). */
  own: boolean;
}

/** What a run still costs: its own logged rate when it has one, else the measured rate of its model and preset. */
export function estimateRun(config: RunConfig, preset: PresetName, dir?: string): Estimate {
  const { steps, batchSize } = config.training;
  let rate = measuredRate(config, preset);
  let own = false;
  let done = 0;
  if (dir && fs.existsSync(path.join(dir, FILES.log))) {
    const log = readLog(dir);
    const rates = log.map((l) => l.imagesPerSecond).filter((r) => Number.isFinite(r) && r > 0);
    // The first interval holds the start-up (kernel compilation, ActNorm's data pass): the median of the rest.
    if (rates.length > 2) {
      rate = { ...rate, imagesPerSecond: rates.slice(1).sort((a, b) => a - b)[Math.floor((rates.length - 1) / 2)], source: `${dir}'s own log` };
      own = true;
    }
    done = log.at(-1)?.step ?? 0;
  }
  const left = Math.max(0, steps - done);
  const evalEvery = config.training.evalEvery ?? 0;
  const evaluations = evalEvery > 0 ? Math.floor(steps / evalEvery) - Math.floor(done / evalEvery) : 0;
  const evalImages = evaluations * 2 * (config.training.evalSample ?? 0) * EVAL_COST;
  const seconds = (left * batchSize + evalImages) / rate.imagesPerSecond + (left > 0 ? OVERHEAD_SECONDS[preset] : 0);
  return { seconds, coreHours: (seconds * rate.cores) / 3600, rate, own };
}

/** Seconds only (the ETA's unit). */
export const estimateSeconds = (config: RunConfig, preset: PresetName, dir?: string) => estimateRun(config, preset, dir).seconds;
