// `cli train`: flags → a new run (or --resume an old one) → the training loop. With no flags it
// trains the quick MAGANet on dSprites to-range into runs/; --model latent-action|flow-action (or
// --dataset rotated-mnist|rotated-blocked-mnist|contrast|objects3d|planes-sky) trains on pairs
// (x, g·x) with a known g.
import * as path from 'node:path';
import { datasetEntry, datasetNames, MODEL_KINDS, SKIP_MODES, SPLITS, ValidationError, type SplitName } from '@maga/model';
import { choice, command, flagHelp, int, number, text, toggle } from './args.ts';
import { BACKEND_CHOICES } from '../run/backend.ts';
import { renderAheadChoice } from '../train/data.ts';
import { planRun, type RunChoices } from '../train/plan.ts';
import { planFrom } from '../train/plan-from.ts';
import { presetFor, PRESET_NAMES, PRESETS, type Preset } from '../train/presets.ts';
import { createReporter } from '../train/progress.ts';
import { dataTag, defaultRunName, LR_SCHEDULES } from '../run/rundir.ts';
import { createRunDir, train, type StopSignal } from '../train/train.ts';

const hidden = {
  help: 'hidden channels of the Glow coupling networks, or half of each level\'s channels (maganet)',
  placeholder: 'N|half',
  parse(raw: string, name: string): number | 'half' {
    if (raw === 'half') return 'half';
    return int('', { min: 1, max: 4096 }).parse(raw, name);
  },
};

export const TRAIN_FLAGS = {
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
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  out: text('run directory (default runs/<model>-<split>-<timestamp>)', 'DIR'),
  'checkpoint-every': int('save a checkpoint every N steps', { min: 1 }),
  'log-every': int('read and log the loss every N steps', { min: 1 }),
  'eval-count': int('images evaluated on each of test and train at the end', { min: 1, max: 737_280 }),
  resume: text('continue the run in DIR from its last checkpoint', 'DIR'),
  from: text("a new run with DIR's config.json (model, data, training, seed); every flag given overrides its value", 'DIR'),
  tensorboard: toggle('write TensorBoard event files into the run directory\'s tensorboard/ as it trains'),
  'check-numerics': toggle('check every op for NaN/Inf and stop at the first, named (slow: for finding where a run blows up)'),
  quiet: toggle('print only the final summary'),
  help: toggle('show this help'),
};

/** Flags that may accompany --resume: everything else is fixed by the run's config.json. */
const RESUMABLE = new Set(['resume', 'steps', 'checkpoint-every', 'log-every', 'eval-count', 'lr', 'clip', 'check-numerics', 'backend', 'quiet', 'tensorboard', 'help']);

/** Flags that say where and how a run trains, not what: a --from run's config.json does not record them. */
const NOT_RECORDED = new Set(['from', 'out', 'backend', 'quiet', 'tensorboard', 'check-numerics']);

/** The flags that change a --from run, as typed (after parseArgs accepted argv: every --name is a flag of TRAIN_FLAGS). */
function originFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].slice(2).split(/=(.*)/s);
    const flag = (TRAIN_FLAGS as Record<string, { switch?: boolean }>)[name];
    const words = flag.switch || inline !== undefined ? [argv[i]] : [argv[i], argv[++i]];
    if (!NOT_RECORDED.has(name)) out.push(...words);
  }
  return out;
}

export function trainHelp(): string {
  const line = (p: Preset, what: string) => `${p.description}: ${p.steps} steps, batch ${p.batchSize}, lr ${p.lr}${p.limit ? `, ${p.limit} ${what}` : ''}`;
  // Each preset as it is, then as the data sets that change it (their entries' presets) have it, sets that change it alike on one line.
  const presets = PRESET_NAMES.map((name) => {
    const p = PRESETS[name];
    const changed = new Map<string, string[]>();
    for (const dataset of datasetNames()) {
      const entry = datasetEntry(dataset);
      if (!entry.presets[name]) continue;
      const text = line(presetFor(p, name, entry), entry.sources);
      changed.set(text, [...(changed.get(text) ?? []), dataset]);
    }
    return [`  ${name.padEnd(7)}${line(p, 'images')}`, ...[...changed].map(([text, sets]) => `    ${sets.join(', ')}: ${text}`)].join('\n');
  }).join('\n');
  return `usage: bun run cli train [flags]

Trains a model and writes a run directory (config.json, log.jsonl, checkpoints, metrics.json).
With no flags: the quick MAGANet on dSprites to-range, into runs/.
--model latent-action|flow-action trains on pairs (x, g·x) of --dataset rotated-mnist (default),
rotated-blocked-mnist or contrast, under --group so2 (default) or c<n> (contrast: c<n> only), or of
the rendered 3-D sets objects3d and planes-sky (3×64×64 colour) under --group so3 (default: any
rotation in space, latent-action only) or so2 (about the vertical axis).

flags:
${flagHelp(TRAIN_FLAGS)}

presets:
${presets}

--from DIR repeats a run: its config.json, with any flag given changing that value (not --preset or
another --model). --tensorboard writes the curves, metrics, figures and config as TensorBoard event
files into DIR/tensorboard/ while training (cli export tensorboard does it for finished runs).

Ctrl-C saves a checkpoint and stops; continue with --resume DIR (optionally with a larger --steps).
A loss or weight that turns NaN/Inf stops the run (exit 1, status diverged) before any checkpoint
is overwritten; continue from the last good one with --resume DIR and a lower --lr or a --clip.`;
}

export const trainCommand = command(TRAIN_FLAGS, trainHelp, async (flags, positionals, argv) => {
  if (positionals.length > 0) throw new ValidationError(`train takes no positional arguments, got ${JSON.stringify(positionals[0])} (did you mean --out ${positionals[0]}?)`);
  renderAheadChoice(); // a bad MAGA_RENDER_AHEAD is a usage error before anything is written
  const reporter = createReporter({ quiet: flags.quiet });
  const overrides = {
    ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
    ...(flags['log-every'] !== undefined ? { logEvery: flags['log-every'] } : {}),
    ...(flags['checkpoint-every'] !== undefined ? { checkpointEvery: flags['checkpoint-every'] } : {}),
    ...(flags['eval-count'] !== undefined ? { evalCount: flags['eval-count'] } : {}),
    ...(flags.lr !== undefined ? { lr: flags.lr } : {}),
    ...(flags.clip !== undefined ? { clipNorm: flags.clip } : {}),
  };

  let dir: string;
  if (flags.resume !== undefined) {
    const fixed = Object.keys(flags).filter((name) => !RESUMABLE.has(name));
    if (fixed.length > 0) throw new ValidationError(`--${fixed[0]} cannot change when resuming: the run's config.json fixes it (with --resume only ${[...RESUMABLE].filter((f) => f !== 'resume').map((f) => `--${f}`).join(', ')} are accepted)`, `--${fixed[0]}`);
    dir = flags.resume;
  } else {
    const choices: RunChoices = {
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
    };
    const config = flags.from !== undefined ? planFrom(flags.from, choices, originFlags(argv)) : planRun(choices);
    dir = flags.out ?? path.join('runs', defaultRunName(config.model.model, dataTag(config.data)));
    createRunDir(dir, config);
  }

  // Ctrl-C (or a polite kill) stops at the next step and saves; a second one quits at once.
  const stop: StopSignal = { requested: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    stop.requested = true;
    reporter.note(`${signal}: stopping after this step and saving a checkpoint (again to quit without saving)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await train(dir, { backend: flags.backend, reporter, stop, overrides: flags.resume !== undefined ? overrides : undefined, checkNumerics: flags['check-numerics'], tensorboard: flags.tensorboard });
    return result.status === 'stopped' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
});
