// `cli experiment NAME` (= `bun run experiments NAME`): runs an experiment's table of runs under
// runs/NAME/, resumable, then writes docs/results.md from the run directories.
import { ValidationError } from '@maga/model';
import { choice, flagHelp, int, parseArgs, text, toggle } from './args.ts';
import { BACKEND_CHOICES, initBackend } from '../run/backend.ts';
import { describePlan, EXPERIMENTS, findExperiment, planExperiment, readExperimentTable, runExperiment, type Experiment } from '../experiments/experiments.ts';
import { PRESET_NAMES } from '../train/presets.ts';
import { createReporter } from '../train/progress.ts';
import { writeResults } from '../experiments/results.ts';
import type { StopSignal } from '../train/train.ts';

export const EXPERIMENT_FLAGS = {
  list: toggle('list the experiments and what they reproduce'),
  'dry-run': toggle('print every run it would make, with its flags and estimated time, and run nothing'),
  seeds: int('seeds per model and data set (default: the experiment\'s)', { min: 1, max: 100 }),
  preset: choice(PRESET_NAMES, "the preset of every run (default: the experiment's)"),
  resume: toggle('continue an experiment: finished runs are kept, stopped ones resumed, missing ones trained'),
  report: toggle('write the results from the run directories that exist, training nothing'),
  table: text('experiments from a JSON file (a list of tables like those in src/experiments/experiments.ts) instead of the built-in ones', 'FILE'),
  runs: text('directory of the experiments\' run directories (default runs)', 'DIR'),
  results: text('the results file written at the end (default docs/results.md; figures beside it)', 'FILE'),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  quiet: toggle("print only the experiment's lines, not each run's progress"),
  help: toggle('show this help'),
};

export function experimentHelp(experiments: readonly Experiment[] = EXPERIMENTS): string {
  return `usage: bun run experiments NAME [flags]      (= bun run cli experiment NAME)

Runs an experiment: a table of runs (model × data × seed × preset), each an ordinary run
directory under runs/NAME/ (cli eval, render and serve work on them), then writes the results
file from the run directories. Ctrl-C stops after a checkpoint; --resume continues.

experiments: ${experiments.map((e) => e.name).join(', ')}

flags:
${flagHelp(EXPERIMENT_FLAGS)}`;
}

function listing(experiments: readonly Experiment[]): string {
  return experiments
    .map((e) => `${e.name}\n  ${e.title}\n  ${e.models.join(', ')} × ${e.data.length} data × ${e.seeds} seeds, preset ${e.preset}\n  sizing: ${e.sizing}`)
    .join('\n\n');
}

export async function experimentCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, EXPERIMENT_FLAGS);
  const experiments = flags.table !== undefined ? readExperimentTable(flags.table) : EXPERIMENTS;
  if (flags.help) {
    console.log(experimentHelp(experiments));
    return 0;
  }
  if (flags.list) {
    console.log(listing(experiments));
    return 0;
  }
  const runs = flags.runs ?? 'runs';
  const out = flags.results ?? 'docs/results.md';
  if (flags.report) {
    if (positionals.length > 0) throw new ValidationError(`--report writes the results of every experiment; it takes no name (got ${JSON.stringify(positionals[0])})`);
    return report(experiments, runs, out, flags.backend);
  }
  if (positionals.length !== 1) throw new ValidationError(`experiment takes one experiment name, got ${positionals.length}: expected one of ${experiments.map((e) => e.name).join(', ')}`);
  const experiment = findExperiment(positionals[0], experiments);
  const plan = { runs, seeds: flags.seeds, preset: flags.preset };
  if (flags['dry-run']) {
    console.log(describePlan(experiment, planExperiment(experiment, plan)));
    return 0;
  }
  const stop: StopSignal = { requested: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    stop.requested = true;
    console.log(`${signal}: stopping the current run after this step (it saves a checkpoint); continue with --resume`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const command = ['bun run experiments', ...argv].join(' ');
    const result = await runExperiment(experiment, { ...plan, resume: flags.resume, backend: flags.backend, print: (t) => console.log(t), reporter: createReporter({ quiet: flags.quiet }), stop, command });
    if (result.status === 'stopped') return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return report(experiments, runs, out, flags.backend);
}

async function report(experiments: readonly Experiment[], runs: string, out: string, backendChoice: Parameters<typeof initBackend>[0]): Promise<number> {
  const backend = await initBackend(backendChoice);
  const written = await writeResults({ runs, out, experiments, backend: backend.description, note: (t) => console.log(t) });
  console.log(`results: ${written.file}${written.figures.length ? ` and ${written.figures.join(', ')}` : ''} (${written.reported.length ? written.reported.join(', ') : 'no finished runs yet'})`);
  return 0;
}
