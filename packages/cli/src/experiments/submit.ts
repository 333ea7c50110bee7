// `experiments NAME --slurm`: the runs not done, as one Slurm job array (task k trains run k of the
// plan), and with --report-after a dependent job that writes the results when the array is over.
// The scripts are written into runs/NAME/slurm/ first, so a user can read, edit and resubmit them;
// each submission is recorded in runs/NAME/slurm/submissions.json for --status.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { withLock } from '../run/lock.ts';
import { runProgress, selectRuns, type PlannedRun, type Selection } from './plan.ts';
import { readRecord, RECORD_FILE, type ExperimentRecord } from './runner.ts';
import { ARRAY_SCRIPT, arrayScript, arraySpec, checkSlurmRequest, hasSlurm, readSubmissions, REPORT_SCRIPT, reportScript, sbatch, slurmDir, slurmSeconds, SUBMISSIONS, type ScriptInput, type SlurmClient, type SlurmRequest, type Submission } from './slurm.ts';
import type { Experiment } from './table.ts';

export interface SubmitOptions extends Selection {
  experiment: Experiment;
  planned: PlannedRun[];
  /** The runs directory, the seeds and the preset of the plan (made absolute for the scripts). */
  runs: string;
  seeds: number;
  preset: PlannedRun['preset'];
  /** --table FILE, --backend, --results FILE: passed on to the tasks and the report. */
  table?: string;
  backend?: string;
  results?: string;
  request: SlurmRequest;
  reportAfter: boolean;
  /** How the CLI is started on the nodes (bun and main.ts), and where from. */
  cli: string[];
  projectRoot: string;
  command: string;
  /** Write and show, but do not submit (--dry-run). */
  dryRun: boolean;
  print: (text: string) => void;
  client?: SlurmClient;
}

export interface Submitted {
  arrayJob: string | null;
  reportJob: string | null;
  tasks: number[];
  script: string;
}

export async function submitExperiment(o: SubmitOptions): Promise<Submitted> {
  const problem = checkSlurmRequest(o.request);
  if (problem) throw new ValidationError(problem, problem.split(' ')[0]);
  const e = o.experiment;
  const root = path.resolve(o.runs, e.name);
  const chosen = new Set(selectRuns(o.planned, o).map((r) => r.name));
  const tasks = o.planned.flatMap((run, k) => (chosen.has(run.name) && runProgress(run) !== 'done' ? [k] : []));
  const planArgs = [
    '--runs', path.resolve(o.runs), '--preset', o.preset, '--seeds', String(o.seeds),
    ...(o.table ? ['--table', path.resolve(o.table)] : []),
    ...(o.backend ? ['--backend', o.backend] : []),
  ];
  const input: ScriptInput = { experiment: e.name, root, runNames: o.planned.map((r) => r.name), indices: tasks, planArgs, projectRoot: o.projectRoot, cli: o.cli, command: o.command, request: o.request };
  const dir = slurmDir(root);
  const script = path.join(dir, ARRAY_SCRIPT);
  const report = path.join(dir, REPORT_SCRIPT);
  const reportArgs = o.results ? ['--results', path.resolve(o.results)] : [];
  if (tasks.length === 0) {
    o.print(`experiment ${e.name}: every run${o.only ? ' named' : ''} is done: nothing to submit (bun run experiments ${e.name} --report writes the results)`);
    return { arrayJob: null, reportJob: null, tasks, script };
  }
  const longest = Math.max(...tasks.map((k) => o.planned[k].estimate.seconds));
  const limit = o.request.time ? slurmSeconds(o.request.time) : null;
  const over = limit !== null && longest > limit ? tasks.filter((k) => o.planned[k].estimate.seconds > limit).length : 0;
  const hint =
    `tasks: ${tasks.length} (${arraySpec(tasks, o.request.maxRunning)}); the longest is estimated at ${(longest / 3600).toFixed(1)} h on the measured rates` +
    (limit === null ? " (no --time given: the partition's default limit applies)" : '') +
    (over > 0 ? `; ${over} of them outlast --time ${o.request.time}: each stops at its limit after saving a checkpoint, and submitting the same command again continues them (finished runs are skipped)` : '');
  if (o.dryRun) {
    o.print(`would write ${script}${o.reportAfter ? ` and ${report}` : ''} and submit: sbatch --parsable ${script}${o.reportAfter ? `; then sbatch --parsable --dependency=afterany:JOB ${report}` : ''}`);
    o.print(hint);
    o.print(`--- ${script} ---\n${arrayScript(input)}`);
    if (o.reportAfter) o.print(`--- ${report} ---\n${reportScript({ ...input, reportArgs })}`);
    return { arrayJob: null, reportJob: null, tasks, script };
  }
  if (!hasSlurm()) throw new Error(`--slurm needs sbatch on the PATH: run it on the cluster's login node (--dry-run shows what it would submit; --shard i/n shares the runs without a scheduler)`);
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileAtomic(script, arrayScript(input));
  fs.chmodSync(script, 0o755);
  if (o.reportAfter) {
    writeFileAtomic(report, reportScript({ ...input, reportArgs }));
    fs.chmodSync(report, 0o755);
  }
  // The record names the submitting command (the tasks' own are `--only RUN`).
  await withLock(path.join(root, `${RECORD_FILE}.lock`), () => {
    const record: ExperimentRecord = readRecord(root) ?? { experiment: e.name, command: o.command, preset: o.preset, seeds: o.seeds, startedAt: new Date().toISOString(), finishedAt: null, wallSeconds: 0, runs: {} };
    record.command = o.command;
    record.finishedAt = null;
    writeFileAtomic(path.join(root, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  });
  const client = o.client ?? {};
  const arrayJob = await sbatch(script, [], client);
  const reportJob = o.reportAfter ? await sbatch(report, [`--dependency=afterany:${arrayJob}`], client) : null;
  const submission: Submission = { arrayJob, reportJob, tasks: Object.fromEntries(tasks.map((k) => [String(k), o.planned[k].name])), script, submittedAt: new Date().toISOString(), command: o.command };
  await withLock(path.join(dir, `${SUBMISSIONS}.lock`), () => writeFileAtomic(path.join(dir, SUBMISSIONS), `${JSON.stringify([...readSubmissions(root), submission], null, 2)}\n`));
  o.print(`submitted experiment ${e.name}: Slurm job array ${arrayJob}, ${hint}`);
  if (reportJob) o.print(`the results: job ${reportJob} runs --report when the array is over (afterany:${arrayJob})${o.results ? `, into ${o.results}` : `, into ${path.join(o.runs, e.name, 'results.md')}`}`);
  o.print(`watch: squeue -j ${arrayJob}   or   bun run experiments ${e.name} --status${o.runs !== 'runs' ? ` --runs ${o.runs}` : ''}`);
  o.print(`logs: ${path.join(dir, 'logs')}/${arrayJob}_<task>.log; the script: ${script} (edit and resubmit it with sbatch; finished runs are never retrained)`);
  return { arrayJob, reportJob, tasks, script };
}
