// The settings of a new run, as `cli train` takes them: one table of flags (name, what it accepts,
// its help) and the one mapping from their values to RunChoices. `cli train` parses its command
// line with it, and an experiment table sets or sweeps any of them by the same name with the same
// checks — so a setting added here is at once a train flag and a sweepable one.
import { datasetNames, MODEL_KINDS, SKIP_MODES, SPLITS, type SplitName } from '@maga/model';
import { choice, int, number, text, type Flag, type Parsed } from '../commands/args.ts';
import type { RunChoices } from './plan.ts';
import { PRESET_NAMES } from './presets.ts';
import { LR_SCHEDULES } from '../run/rundir.ts';

const hidden: Flag<number | 'half'> = {
  help: "hidden channels of the Glow coupling networks, or half of each level's channels (maganet)",
  placeholder: 'N|half',
  parse(raw: string, name: string): number | 'half' {
    if (raw === 'half') return 'half';
    return int('', { min: 1, max: 4096 }).parse(raw, name);
  },
};

export const RUN_FLAGS = {
  model: choice(MODEL_KINDS, 'model to train (latent-action and flow-action train on pairs with a known g)'),
  split: choice(Object.keys(SPLITS) as SplitName[], 'dSprites split (default to-range; maganet, vae)'),
  dataset: choice(datasetNames(), 'data set (default dsprites; rotated-mnist for latent-action, flow-action)'),
  group: text('known group of a pair data set: so2, c<n> (e.g. c4) or so3 (default so2; c4 for contrast; so3 for objects3d, planes-sky)', 'G'),
  preset: choice(PRESET_NAMES, 'starting values for everything below (default quick)'),
  steps: int('optimisation steps in total', { min: 1 }),
  batch: int('images per batch', { min: 1, max: 4096 }),
  lr: number('Adam learning rate (the peak, with a schedule)', { positive: true }),
  schedule: choice(LR_SCHEDULES, 'learning-rate schedule: constant, or cosine decay to lr/10'),
  clip: number('clip the global gradient norm to this (0 = off)', { min: 0 }),
  'beta-kl': number('weight of the KL term (maganet)', { min: 0 }),
  'beta-latent': number('weight of the latent reconstruction term (maganet)', { min: 0 }),
  beta: number('weight of the KL term (vae)', { min: 0 }),
  pairing: choice(['fixed', 'random'] as const, "pivots: the blog's fixed pivot or random images (maganet)"),
  hidden,
  skips: choice(SKIP_MODES, 'how g reaches the skip connections (latent-action): spatial (turned in the image plane), invariant (only the invariant channels), channels (channel pairs, positions unmoved), none (the paper\'s ablation)'),
  'beta-identity': number('weight of the reconstruction at g = e (latent-action)', { min: 0 }),
  'beta-equivariance': number('weight of the latent equivariance term (latent-action)', { min: 0 }),
  equivariance: choice(['relative', 'absolute'] as const, 'the equivariance term relative to ‖z(g·x)‖² (rescaling z cannot lower it) or absolute (latent-action)'),
  'beta-skip': number('weight of the skip maps\' consistency ‖ρ(g)s(x) − s(g·x)‖² / ‖s(g·x)‖² (latent-action)', { min: 0 }),
  frequencies: int('K: the group acts on the latent\'s blocks at frequencies 1…K, cycled (latent-action, flow-action; so2, c<n>)', { min: 1, max: 64 }),
  'latent-dim': int('latent dimension', { min: 1, max: 1024 }),
  seed: int('seed of initialisation, data order and noise', { min: 0, max: 2 ** 31 - 1 }),
  limit: int('train on a fixed subset of this many images', { min: 1 }),
  'checkpoint-every': int('save a checkpoint every N steps', { min: 1 }),
  'log-every': int('read and log the loss every N steps', { min: 1 }),
  'eval-count': int('images evaluated on each of test and train at the end', { min: 1, max: 737_280 }),
  'eval-every': int('evaluate a fixed test sample and train sample every N steps into eval.jsonl (the test curve; 0 = off)', { min: 0 }),
  'eval-sample': int('images of each of test and train in every --eval-every evaluation (default: --eval-count, at most 256)', { min: 1, max: 737_280 }),
};

export type RunFlagValues = Parsed<typeof RUN_FLAGS>;

/** The run flags that name what a run is rather than how it trains: an experiment's axes, not its settings. */
export const RUN_AXES = ['model', 'split', 'dataset', 'group', 'preset', 'seed'] as const;

/** The flags an experiment table may set or sweep: every run flag but the axes. */
export const SETTING_NAMES = Object.keys(RUN_FLAGS).filter((k) => !(RUN_AXES as readonly string[]).includes(k)) as (keyof typeof RUN_FLAGS)[];

/** The choices of a run from its flags' values. */
export function runChoices(flags: RunFlagValues): RunChoices {
  return {
    preset: flags.preset,
    model: flags.model,
    split: flags.split,
    dataset: flags.dataset,
    group: flags.group,
    steps: flags.steps,
    batch: flags.batch,
    lr: flags.lr,
    schedule: flags.schedule,
    clipNorm: flags.clip,
    betaKl: flags['beta-kl'],
    betaLatent: flags['beta-latent'],
    beta: flags.beta,
    pairing: flags.pairing,
    hidden: flags.hidden,
    latentDim: flags['latent-dim'],
    skips: flags.skips,
    betaIdentity: flags['beta-identity'],
    betaEquivariance: flags['beta-equivariance'],
    equivarianceScale: flags.equivariance,
    betaSkip: flags['beta-skip'],
    frequencies: flags.frequencies,
    seed: flags.seed,
    limit: flags.limit,
    checkpointEvery: flags['checkpoint-every'],
    logEvery: flags['log-every'],
    evalCount: flags['eval-count'],
    evalEvery: flags['eval-every'],
    evalSample: flags['eval-sample'],
  };
}
