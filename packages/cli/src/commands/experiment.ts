// `cli experiment NAME` (= `bun run experiments NAME`): runs an experiment's table of runs under
// runs/NAME/ — here one after another, a share of them (--only, --shard), or as a Slurm job array
// (--slurm) — says where they stand (--status), and writes the results from the run directories.
import * as path from 'node:path';
import { ValidationError } from '@maga/model';
import { choice, flagHelp, int, parseArgs, text, toggle } from './args.ts';
import { BACKEND_CHOICES, initBackend } from '../run/backend.ts';
import { describePlan, parseShard, planExperiment, type Selection } from '../experiments/plan.ts';
import { writeResults } from '../experiments/results.ts';
import { readRecord, runExperiment } from '../experiments/runner.ts';
import { DEFAULT_SIGNAL, STOP_SIGNALS, taskLog, type SlurmRequest } from '../experiments/slurm.ts';
import { experimentStatus, formatStatus } from '../experiments/status.ts';
import { submitExperiment } from '../experiments/submit.ts';
import { findExperiment, readExperimentTable, type Experiment } from '../experiments/table.ts';
import { EXPERIMENTS } from '../experiments/tables.ts';
import { PRESET_NAMES } from '../train/presets.ts';
import { createReporter } from '../train/progress.ts';
import type { StopSignal } from '../train/train.ts';

export const EXPERIMENT_FLAGS = {
  list: toggle('list the experiments and what they reproduce'),
  'dry-run': toggle('print every run it would make, with its flags, estimated time and core-hours (with --slurm: the job script), and run nothing'),
  seeds: int("seeds per model and data set (default: the experiment's)", { min: 1, max: 100 }),
  preset: choice(PRESET_NAMES, "the preset of every run (default: the experiment's)"),
  resume: toggle('continue an experiment: finished runs are kept, stopped ones resumed, missing ones trained'),
  only: text('train only these runs (names as --dry-run lists them, comma-separated); resumes them', 'RUN[,RUN…]'),
  shard: text('train the i-th of n shares of the runs (0/2 and 1/2 on two machines sharing --runs); resumes them', 'i/n'),
  status: toggle("each run's state (pending, queued, running at step k, stopped, done, failed) from the run directories and Slurm's queue"),
  report: toggle('write the results from the run directories that exist, training nothing (NAME: that experiment; none: every experiment with runs)'),
  table: text('experiments from a JSON file (a list of tables like those in src/experiments/tables.ts) instead of the built-in ones', 'FILE'),
  runs: text("directory of the experiments' run directories (default runs)", 'DIR'),
  results: text('the results file (default <runs>/<experiment>/results.md, figures beside it); an existing file keeps the sections of other experiments', 'FILE'),
  backend: choice(BACKEND_CHOICES, 'compute backend (default: MAGA_BACKEND, else auto)'),
  quiet: toggle("print only the experiment's lines, not each run's progress"),
  slurm: toggle('submit the runs not done as one Slurm job array (one task a run) instead of training here'),
  partition: text('--slurm: sbatch --partition', 'NAME'),
  account: text('--slurm: sbatch --account', 'NAME'),
  time: text('--slurm: sbatch --time, each task\'s limit (e.g. 2:00:00 or 1-12)', 'TIME'),
  'cpus-per-task': int('--slurm: sbatch --cpus-per-task (the tasks run that many BLAS/OpenMP threads unless the environment says)', { min: 1, max: 4096 }),
  mem: text('--slurm: sbatch --mem (e.g. 16G)', 'SIZE'),
  gpus: int('--slurm: GPUs per task (sbatch --gres=gpu:N)', { min: 1, max: 64 }),
  'max-running': int('--slurm: at most M tasks at once (--array=…%M)', { min: 1 }),
  'sbatch-arg': text('--slurm: more sbatch flags, space-separated (e.g. "--qos=long --constraint=avx512")', 'ARGS'),
  signal: text(`--slurm: the signal a task gets before its time limit, and when (sbatch --signal; default ${DEFAULT_SIGNAL}, to the batch shell)`, 'SIG@SECONDS'),
  'no-requeue': toggle('--slurm: do not ask Slurm to requeue a preempted task (default: --requeue)'),
  'report-after': toggle('--slurm: submit a job that writes the results when the array is over (--dependency=afterany:JOB)'),
  help: toggle('show this help'),
};

const SLURM_ONLY = ['partition', 'account', 'time', 'cpus-per-task', 'mem', 'gpus', 'max-running', 'sbatch-arg', 'signal', 'no-requeue', 'report-after'] as const;

export function experimentHelp(experiments: readonly Experiment[] = EXPERIMENTS): string {
  return `usage: bun run experiments NAME [flags]      (= bun run cli experiment NAME)
       bun run experiments NAME --slurm [sbatch flags] [--report-after]
       bun run experiments NAME --status | --report | --dry-run

Runs an experiment: a table of runs (model × arm × data × seed at a preset), each an ordinary run
directory under runs/NAME/ (cli eval, render and serve work on them), then writes the results from
the run directories. Ctrl-C stops after a checkpoint; --resume continues. --only and --shard train
a share of the runs (several processes at once never train one run twice: each holds its run's
lock); --slurm submits them as a Slurm job array whose tasks survive preemption by resuming.

experiments: ${experiments.map((e) => e.name).join(', ')}

flags:
${flagHelp(EXPERIMENT_FLAGS)}`;
}

function listing(experiments: readonly Experiment[]): string {
  return experiments
    .map((e) => `${e.name}\n  ${e.title}\n  ${e.models.join(', ')} × ${e.data.length} data × ${e.seeds} seeds, preset ${e.preset}\n  sizing: ${e.sizing}`)
    .join('\n\n');
}

/** The command as typed, for records and scripts. */
const commandLine = (argv: string[]) => ['bun run experiments', ...argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ');

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
  if (!flags.slurm) {
    const stray = SLURM_ONLY.find((f) => flags[f] !== undefined);
    if (stray) throw new ValidationError(`--${stray} applies with --slurm only`, `--${stray}`);
  }
  if (flags.report) {
    const chosen = positionals.length === 0 ? experiments : positionals.map((name) => findExperiment(name, experiments));
    return report(chosen, runs, flags.results, flags.backend, positionals.length === 0);
  }
  if (positionals.length !== 1) throw new ValidationError(`experiment takes one experiment name, got ${positionals.length}: expected one of ${experiments.map((e) => e.name).join(', ')}`);
  const experiment = findExperiment(positionals[0], experiments);
  // --status and the tasks of a submission plan what the experiment's record says, unless told otherwise.
  const record = readRecord(path.join(runs, experiment.name));
  const plan = { runs, seeds: flags.seeds ?? (flags.status ? record?.seeds : undefined), preset: flags.preset ?? (flags.status ? record?.preset : undefined) };
  const selection: Selection = {
    ...(flags.only !== undefined ? { only: flags.only.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(flags.shard !== undefined ? { shard: parseShard(flags.shard) } : {}),
  };
  if (flags.status) {
    const planned = planExperiment(experiment, plan);
    console.log(formatStatus(experiment, await experimentStatus(experiment, planned, path.join(runs, experiment.name))));
    return 0;
  }
  if (flags.slurm) {
    if (selection.shard) throw new ValidationError('--shard shares runs between processes you start; with --slurm every run is its own task (use --only to submit some)', '--shard');
    const planned = planExperiment(experiment, plan);
    if (flags['dry-run']) console.log(describePlan(experiment, planned));
    const request: SlurmRequest = {
      partition: flags.partition,
      account: flags.account,
      time: flags.time,
      cpusPerTask: flags['cpus-per-task'],
      mem: flags.mem,
      gpus: flags.gpus,
      maxRunning: flags['max-running'],
      sbatchArgs: (flags['sbatch-arg'] ?? '').split(/\s+/).filter(Boolean),
      signal: flags.signal ?? DEFAULT_SIGNAL,
      requeue: !flags['no-requeue'],
    };
    if (flags['dry-run'] && request.cpusPerTask) {
      const todo = planned.reduce((s, r) => s + r.estimate.seconds, 0);
      console.log(`Slurm reserves --cpus-per-task ${request.cpusPerTask} for each task's wall time: ≈ ${((todo * request.cpusPerTask) / 3600).toFixed(1)} core-hours if the tasks ran at the measured rates (more threads usually make a run faster, but not in proportion)`);
    }
    await submitExperiment({
      ...selection,
      experiment,
      planned,
      runs,
      seeds: flags.seeds ?? experiment.seeds,
      preset: planned[0].preset,
      table: flags.table,
      backend: flags.backend,
      results: flags.results,
      request,
      reportAfter: flags['report-after'] === true,
      cli: [process.execPath, path.resolve(import.meta.dir, '../../main.ts')],
      projectRoot: path.resolve(import.meta.dir, '../../../..'),
      command: commandLine(argv),
      dryRun: flags['dry-run'] === true,
      print: (t) => console.log(t),
    });
    return 0;
  }
  if (flags['dry-run']) {
    console.log(describePlan(experiment, planExperiment(experiment, plan)));
    return 0;
  }
  const stop: StopSignal = { requested: false };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    stop.requested = true;
    console.log(`${signal}: stopping the current run after this step (it saves a checkpoint); ${selection.only || selection.shard ? 'run the same command again' : 'continue with --resume'} to continue`);
  };
  // SIGTERM: Ctrl-C's polite twin, and what Slurm sends before a time limit or on preemption (USR1/USR2 if --signal says so).
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    const result = await runExperiment(experiment, { ...plan, ...selection, resume: flags.resume, backend: flags.backend, print: (t) => console.log(t), reporter: createReporter({ quiet: flags.quiet }), stop, command: commandLine(argv) });
    if (result.status === 'stopped') return 130;
    if (!result.complete) {
      // Runs another process holds, or another share's: the results wait for them.
      const held = result.busy.length ? `${result.busy.length} run${result.busy.length === 1 ? ' is' : 's are'} held by another process; ` : '';
      if (!selection.only) console.log(`${held}not every run is done yet: bun run experiments ${experiment.name} --report writes the results when they are`);
      return result.busy.length > 0 && selection.only ? 75 : 0;
    }
    // A Slurm task (--only) leaves the results to the report job; the last share to finish writes them.
    if (selection.only) return 0;
  } catch (e) {
    const job = process.env.SLURM_ARRAY_JOB_ID;
    const task = process.env.SLURM_ARRAY_TASK_ID;
    if (job && task) console.error(`run ${selection.only?.join(',') ?? ''} failed: ${(e as Error).message}\nthis task's log: ${taskLog(path.resolve(runs, experiment.name), job, Number(task))}`);
    throw e;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  return report([experiment], runs, flags.results, flags.backend, false);
}

/** Each experiment's section from its runs: into --results (merged), else into <runs>/<experiment>/results.md. */
async function report(experiments: readonly Experiment[], runs: string, results: string | undefined, backendChoice: Parameters<typeof initBackend>[0], all: boolean): Promise<number> {
  const backend = await initBackend(backendChoice);
  const targets = results ? [{ out: results, experiments }] : experiments.map((e) => ({ out: path.join(runs, e.name, 'results.md'), experiments: [e] }));
  const absent: string[] = [];
  for (const target of targets) {
    const written = await writeResults({ runs, out: target.out, experiments: target.experiments, backend: backend.description, note: (t) => console.log(t) });
    absent.push(...written.absent);
    if (written.absent.length === target.experiments.length) continue;
    const kept = written.absent.length && results ? `; sections of ${written.absent.join(', ')} kept as they were (no runs under ${runs}/)` : '';
    console.log(`results: ${written.file}${written.figures.length ? ` and ${written.figures.length} figure${written.figures.length === 1 ? '' : 's'} in ${path.join(path.dirname(written.file), 'figures')}` : ''} (${written.reported.length ? `finished runs of ${written.reported.join(', ')}` : 'no finished runs yet'})${kept}`);
  }
  if (absent.length === experiments.length) {
    console.log(`no runs of ${all ? 'any experiment' : experiments.map((e) => e.name).join(', ')} under ${runs}/: nothing written`);
  }
  return 0;
}
