// Running an experiment's runs: each not done is trained (or resumed) in plan order, holding its run
// directory's lock, so that several processes — `--shard i/n` on machines sharing a file system,
// Slurm tasks (`--only RUN`), a second terminal — never train one run twice or at once. The record
// beside the runs (experiment.json: the command, preset, seeds, each run's wall time) is updated
// under a lock of its own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '@maga/model';
import { describeHolder, tryLock, withLock, type Lock } from '../run/lock.ts';
import { writeFileAtomic } from '../run/atomic.ts';
import { FILES, readMetrics, readRunConfig, readRunState, writeRunConfig, type RunConfig } from '../run/rundir.ts';
import { formatDuration, type Reporter } from '../train/progress.ts';
import { RUN_LOCK, train, type StopSignal, type TrainOptions } from '../train/train.ts';
import { planExperiment, runProgress, selectRuns, type PlannedRun, type PlanOptions, type Selection } from './plan.ts';
import type { Experiment } from './table.ts';

/** The experiment's own record beside its runs: what was asked, when, and each run's wall time. */
export interface ExperimentRecord {
  experiment: string;
  command: string;
  preset: PlannedRun['preset'];
  seeds: number;
  startedAt: string;
  finishedAt: string | null;
  /** Wall seconds of this experiment's sessions, summed (over every process). */
  wallSeconds: number;
  runs: Record<string, { wallSeconds: number; finishedAt: string; sessions?: number }>;
}

export const RECORD_FILE = 'experiment.json';

export function readRecord(root: string): ExperimentRecord | null {
  const file = path.join(root, RECORD_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentRecord;
  } catch (e) {
    throw new ValidationError(`${file} is not readable JSON (${(e as Error).message}): move it away to start the experiment again`, file);
  }
}

/** Read, change and write experiment.json under its lock (shards and tasks share it). */
async function updateRecord(root: string, fresh: () => ExperimentRecord, change: (r: ExperimentRecord) => void): Promise<void> {
  await withLock(path.join(root, `${RECORD_FILE}.lock`), () => {
    const record = readRecord(root) ?? fresh();
    change(record);
    writeFileAtomic(path.join(root, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  });
}

export interface RunExperimentOptions extends PlanOptions, Selection {
  resume?: boolean;
  backend?: TrainOptions['backend'];
  /** The experiment's own lines: the plan, "run k of n", the ETA. */
  print: (text: string) => void;
  /** The reporter handed to each run's training (its progress bar or lines). */
  reporter: Reporter;
  stop?: StopSignal;
  /** The command line, recorded in experiment.json and the results. */
  command: string;
}

export interface ExperimentResult {
  status: 'done' | 'stopped';
  ran: string[];
  skipped: string[];
  /** Runs another process held (their names and holders). */
  busy: { name: string; holder: string }[];
  /** Whether every planned run is now done (not only this process's share). */
  complete: boolean;
  root: string;
}

/** Takes a run: its lock, then a fresh look at whether it is still to do (another process may have just finished it). */
function claim(run: PlannedRun, print: (t: string) => void): { lock: Lock } | { busy: string } | 'done' {
  fs.mkdirSync(run.dir, { recursive: true });
  const lock = tryLock(path.join(run.dir, RUN_LOCK), (why) => print(`${run.name}: taking over a stale lock (${why})`));
  if (!('release' in lock)) return { busy: describeHolder(lock.heldBy) };
  try {
    if (runProgress(run) === 'done') {
      lock.release();
      return 'done';
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  return { lock };
}

/**
 * Runs this process's share of the plan (all of it, `only` or `shard`), each run not done, in
 * order; stops cleanly (status 'stopped') when asked. A share (--only, --shard) resumes without
 * --resume: its runs are meant to be found half done.
 */
export async function runExperiment(e: Experiment, options: RunExperimentOptions): Promise<ExperimentResult> {
  const planned = planExperiment(e, options);
  const mine = selectRuns(planned, options);
  const share = options.only !== undefined || options.shard !== undefined;
  const root = path.join(options.runs, e.name);
  const stop = options.stop ?? { requested: false };
  const existing = fs.existsSync(root) ? fs.readdirSync(root).filter((f) => fs.existsSync(path.join(root, f, FILES.config))) : [];
  if (existing.length > 0 && !options.resume && !share) {
    throw new ValidationError(`${root} already holds ${existing.length} run${existing.length === 1 ? '' : 's'} of this experiment: continue with --resume, or choose another --runs`, '--resume');
  }
  // Checked before anything trains: a run on disk that is not the planned one stops the experiment here.
  const progress = new Map(mine.map((r) => [r, runProgress(r)]));
  fs.mkdirSync(root, { recursive: true });
  const now = () => new Date().toISOString();
  const fresh = (): ExperimentRecord => ({ experiment: e.name, command: options.command, preset: planned[0].preset, seeds: options.seeds ?? e.seeds, startedAt: now(), finishedAt: null, wallSeconds: 0, runs: {} });
  await updateRecord(root, fresh, (r) => {
    // A share records the command of the whole (its own only when it is the first).
    if (!share) r.command = options.command;
    r.finishedAt = null;
  });

  const ran: string[] = [];
  const skipped: string[] = [];
  const busy: ExperimentResult['busy'] = [];
  const sessionStart = performance.now();
  let spent = 0; // wall seconds of the runs trained in this session
  let estimatedSpent = 0; // what they were estimated to take
  const label = share ? `${options.shard ? `shard ${options.shard.index}/${options.shard.count}` : 'only'}: ` : '';
  for (const [i, run] of mine.entries()) {
    const k = `${label}run ${i + 1} of ${mine.length}`;
    if (progress.get(run) === 'done') {
      skipped.push(run.name);
      options.print(`${k}: ${run.name} is done, skipped`);
      continue;
    }
    const claimed = claim(run, options.print);
    if (claimed === 'done') {
      skipped.push(run.name);
      options.print(`${k}: ${run.name} was finished by another process, skipped`);
      continue;
    }
    if ('busy' in claimed) {
      busy.push({ name: run.name, holder: claimed.busy });
      options.print(`${k}: ${run.name} is being trained by ${claimed.busy}, skipped (if that process is gone, delete ${path.join(run.dir, RUN_LOCK)})`);
      continue;
    }
    const { lock } = claimed;
    let result;
    const began = performance.now();
    try {
      const resuming = readRunState(run.dir) !== null;
      // The ETA: the estimates of what is left, scaled by how this session's runs compared with theirs.
      const remaining = mine.slice(i).reduce((s, r) => s + (progress.get(r) === 'done' ? 0 : r.estimate.seconds), 0);
      const eta = estimatedSpent > 0 ? (remaining * spent) / estimatedSpent : remaining;
      options.print(`${k}: ${run.name}${resuming ? ' (resuming)' : ''}, ETA ${share ? 'of this share' : 'of the experiment'} ${formatDuration(eta)}`);
      if (!fs.existsSync(path.join(run.dir, FILES.config))) writeRunConfig(run.dir, { ...run.config, createdAt: now() } satisfies RunConfig);
      result = await train(run.dir, { backend: options.backend, reporter: options.reporter, stop, lock });
    } finally {
      lock.release();
    }
    const seconds = (performance.now() - began) / 1000;
    await updateRecord(root, fresh, (r) => {
      const previous = r.runs[run.name];
      r.runs[run.name] = { wallSeconds: (previous?.wallSeconds ?? 0) + seconds, finishedAt: now(), sessions: (previous?.sessions ?? 0) + 1 };
      r.wallSeconds += seconds;
    });
    if (result.status === 'stopped') {
      options.print(`${k}: ${run.name} stopped at step ${result.step}; ${share ? 'run this share again to continue' : 'continue the experiment with --resume'}`);
      return { status: 'stopped', ran, skipped, busy, complete: false, root };
    }
    ran.push(run.name);
    spent += seconds;
    estimatedSpent += run.estimate.seconds;
  }
  const complete = planned.every((r) => runProgress(r) === 'done');
  if (complete) await updateRecord(root, fresh, (r) => (r.finishedAt ??= now()));
  const what = share ? `${mine.length} of its ${planned.length} runs` : `${planned.length} runs`;
  options.print(`experiment ${e.name}: ${what} done or held elsewhere (${ran.length} trained now, ${skipped.length} already done${busy.length ? `, ${busy.length} held by another process` : ''}) in ${formatDuration((performance.now() - sessionStart) / 1000)}`);
  return { status: 'done', ran, skipped, busy, complete, root };
}

/** The finished runs of a plan, with their config and metrics (results.ts reads them). */
export function finishedRuns(planned: PlannedRun[]): { run: PlannedRun; config: RunConfig; metrics: NonNullable<ReturnType<typeof readMetrics>>; trainingSeconds: number }[] {
  const out = [];
  for (const run of planned) {
    if (runProgress(run) !== 'done') continue;
    out.push({ run, config: readRunConfig(run.dir), metrics: readMetrics(run.dir)!, trainingSeconds: readRunState(run.dir)?.trainingSeconds ?? 0 });
  }
  return out;
}
