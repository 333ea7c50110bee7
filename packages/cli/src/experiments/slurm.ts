// An experiment as a Slurm job array: one task a run. This module writes the job scripts (into the
// experiment's directory, where a user can read, edit and resubmit them), submits them with sbatch,
// records each submission, and reads the queue back for --status. The scripts call the project's own
// CLI for one run (`experiment NAME --only RUN`), so a task does exactly what a local run does: it
// takes the run's lock, resumes it from its checkpoint if it has one, skips it if it is done.
//
// Why the signal goes to the batch shell (`--signal=B:TERM@120`): without `B:`, Slurm signals only
// job steps started with srun, and the CLI runs in the batch shell itself (the script ends in
// `exec`), so it would hear nothing before its time limit and lose everything since its last
// checkpoint. Measured on Slurm 22.05: with `TERM@45` the batch job was never signalled; with
// `B:TERM@45` it was, and saved.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the user asked of the scheduler (experiment flags mapped to sbatch's). */
export interface SlurmRequest {
  partition?: string;
  account?: string;
  /** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time?: string;
  cpusPerTask?: number;
  /** sbatch --mem, e.g. 16G. */
  mem?: string;
  /** GPUs per task (--gres=gpu:N). */
  gpus?: number;
  /** At most this many tasks at once (--array=…%M). */
  maxRunning?: number;
  /** Anything else, one sbatch flag per item (e.g. --qos=long). */
  sbatchArgs: string[];
  /** The signal and its lead time before the time limit, sbatch's syntax without the B: (TERM@120). */
  signal: string;
  requeue: boolean;
}

export const DEFAULT_SIGNAL = 'TERM@120';
/** The signals the CLI treats as "save a checkpoint and stop" (the job script's --signal must be one). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2'] as const;
const SIGNAL_NUMBERS: Record<string, string> = { '15': 'TERM', '2': 'INT', '10': 'USR1', '12': 'USR2' };

/** Why a value cannot go to sbatch, naming the flag; null when it can. */
export function checkSlurmRequest(r: SlurmRequest): string | null {
  if (r.time !== undefined && !/^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/i.test(r.time)) {
    return `--time ${JSON.stringify(r.time)} is not a Slurm time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 2:00:00 or 1-12)`;
  }
  if (r.mem !== undefined && !/^\d+[KMGT]?$/i.test(r.mem)) return `--mem ${JSON.stringify(r.mem)} is not a Slurm memory size: a number of megabytes, or with K, M, G or T (e.g. 16G)`;
  for (const [flag, value] of [['--partition', r.partition], ['--account', r.account]] as const) {
    if (value !== undefined && !/^[A-Za-z0-9_.,+-]+$/.test(value)) return `${flag} ${JSON.stringify(value)}: expected letters, digits and _ . , + -`;
  }
  if (signalName(r.signal) === null) {
    return `--signal ${JSON.stringify(r.signal)}: expected SIG@SECONDS with SIG one of TERM, INT, USR1, USR2 (what the CLI answers by saving a checkpoint), e.g. TERM@120`;
  }
  for (const arg of r.sbatchArgs) {
    if (!arg.startsWith('-')) return `--sbatch-arg: ${JSON.stringify(arg)} is not an sbatch flag (each item starts with -, e.g. --qos=long)`;
    if (/^--?(array|output|error|open-mode|job-name|dependency|J|o|e|a|d)\b/.test(arg)) return `--sbatch-arg ${arg}: the experiment sets this itself (it is how tasks map to runs, logs and the report)`;
  }
  return null;
}

/** Seconds of a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS); Infinity for UNLIMITED. */
export function slurmSeconds(time: string): number {
  if (/^(UNLIMITED|INFINITE)$/i.test(time)) return Infinity;
  const [days, rest] = time.includes('-') ? [Number(time.split('-')[0]), time.split('-')[1]] : [0, time];
  const parts = rest.split(':').map(Number);
  if (time.includes('-')) {
    const [h = 0, m = 0, sec = 0] = parts;
    return ((days * 24 + h) * 60 + m) * 60 + sec;
  }
  if (parts.length === 1) return parts[0] * 60;
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];
}

/** TERM for `TERM@120`, `B:SIGTERM@120` or `15@120`; null for a signal the CLI does not answer. */
function signalName(spec: string): string | null {
  const m = /^(?:[BR]{1,2}:)?(?:SIG)?([A-Z0-9]+)(?:@(\d+))?$/i.exec(spec);
  if (!m) return null;
  const name = SIGNAL_NUMBERS[m[1]] ?? m[1].toUpperCase();
  return STOP_SIGNALS.includes(`SIG${name}` as (typeof STOP_SIGNALS)[number]) ? name : null;
}

/** sbatch's --signal value: to the batch shell (B:), where the CLI runs. */
export function batchSignal(spec: string): string {
  const m = /^(?:[BR]{1,2}:)?(?:SIG)?([A-Z0-9]+)(@\d+)?$/i.exec(spec)!;
  return `B:${SIGNAL_NUMBERS[m[1]] ?? m[1].toUpperCase()}${m[2] ?? ''}`;
}

/** `0-3,5,7-9%4`: the task ids, ranges compressed, with the limit on tasks running at once. */
export function arraySpec(indices: readonly number[], maxRunning?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return `${parts.join(',')}${maxRunning ? `%${maxRunning}` : ''}`;
}

/** A word for a bash script, single-quoted where it needs to be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptInput {
  experiment: string;
  /** The experiment's directory (absolute): runs/NAME. */
  root: string;
  /** Every planned run, in plan order: task k trains runNames[k]. */
  runNames: string[];
  /** The tasks to submit (indices into runNames). */
  indices: number[];
  /** The experiment flags that make the same plan (--runs, --preset, --seeds, --table, --backend), absolute paths. */
  planArgs: string[];
  /** Where the CLI runs from, and how it is started (bun, main.ts), absolute. */
  projectRoot: string;
  cli: string[];
  /** The submitting command, for the script's header. */
  command: string;
  request: SlurmRequest;
}

export const slurmDir = (root: string) => path.join(root, 'slurm');
export const ARRAY_SCRIPT = 'array.sh';
export const REPORT_SCRIPT = 'report.sh';
/** A task's log: runs/NAME/slurm/logs/<array job>_<task>.log (Slurm's %A_%a). */
export const taskLog = (root: string, job: string, task: number) => path.join(slurmDir(root), 'logs', `${job}_${task}.log`);

function resourceLines(r: SlurmRequest): string[] {
  return [
    ...(r.partition ? [`--partition=${r.partition}`] : []),
    ...(r.account ? [`--account=${r.account}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(r.cpusPerTask ? [`--cpus-per-task=${r.cpusPerTask}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(r.gpus ? [`--gres=gpu:${r.gpus}`] : []),
    ...r.sbatchArgs,
  ];
}

const cliLines = (cli: string[]) => [
  '# The CLI to run. In a container, set MAGA_CLI before sbatch, e.g.',
  '#   MAGA_CLI="apptainer exec maga.sif bun /opt/maga/packages/cli/main.ts" sbatch …',
  `if [ -n "\${MAGA_CLI:-}" ]; then read -r -a CLI <<< "$MAGA_CLI"; else CLI=(${cli.map(shellWord).join(' ')}); fi`,
];

/** The job array's script: task k trains run k of the plan, and nothing else. */
/**
 * The task computes on the CPUs Slurm gave it, no more: the native engine shards each batch over
 * MAGA_THREADS threads and tells BLAS and oneDNN their counts through their APIs (one thread a
 * shard). Setting OPENBLAS_NUM_THREADS/OMP_NUM_THREADS instead would make the engine leave the
 * libraries as set and train on one shard. Whatever the user's environment already sets wins.
 */
const THREAD_LINES = [
  '# The CPUs Slurm gave the task: the native engine\'s threads (MAGA_THREADS), unless the environment',
  '# already sets them or the BLAS/OpenMP threads (then those are as you set them).',
  'if [ -n "${SLURM_CPUS_PER_TASK:-}" ] && [ -z "${MAGA_THREADS:-}${OPENBLAS_NUM_THREADS:-}${OMP_NUM_THREADS:-}" ]; then',
  '  export MAGA_THREADS="$SLURM_CPUS_PER_TASK"',
  'fi',
];

export function arrayScript(input: ScriptInput): string {
  const r = input.request;
  const logs = path.join(slurmDir(input.root), 'logs');
  const header = [
    `--job-name=maga-${input.experiment}`,
    `--array=${arraySpec(input.indices, r.maxRunning)}`,
    `--output=${logs}/%A_%a.log`,
    // A requeued task appends to its log instead of overwriting the first session's.
    '--open-mode=append',
    ...(r.requeue ? ['--requeue'] : ['--no-requeue']),
    `--signal=${batchSignal(r.signal)}`,
    ...resourceLines(r),
  ];
  return [
    '#!/bin/bash',
    `# Experiment ${input.experiment} as a Slurm job array: task k trains RUNS[k] (${input.runNames.length} runs), one task a run.`,
    `# Written by: ${input.command}`,
    `# Yours to read, edit and submit again: sbatch ${path.join(slurmDir(input.root), ARRAY_SCRIPT)}`,
    '# A task that is stopped (preemption, scontrol requeue, the signal before its time limit) saves a',
    '# checkpoint and exits; when Slurm runs it again it resumes there, with the same data order. A',
    '# finished run is never retrained: resubmitting the whole array only trains what is not done.',
    ...header.map((h) => `#SBATCH ${h}`),
    'set -uo pipefail',
    '',
    `RUNS=(${input.runNames.map(shellWord).join(' ')})`,
    ...cliLines(input.cli),
    ...THREAD_LINES,
    `cd ${shellWord(input.projectRoot)}`,
    'run="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
    'echo "task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID}: ${run} on $(hostname), restart ${SLURM_RESTART_COUNT:-0}, $(date -u +%FT%TZ)"',
    `exec "\${CLI[@]}" experiment ${shellWord(input.experiment)} --only "$run" ${input.planArgs.map(shellWord).join(' ')}`,
    '',
  ].join('\n');
}

/** The report's script: `--report` once the array is over (the submission adds --dependency=afterany:JOB). */
export function reportScript(input: ScriptInput & { reportArgs: string[] }): string {
  const r = input.request;
  const header = [`--job-name=maga-${input.experiment}-report`, `--output=${path.join(slurmDir(input.root), 'logs')}/report-%j.log`, '--open-mode=append', ...resourceLines({ ...r, gpus: undefined })];
  return [
    '#!/bin/bash',
    `# The results of experiment ${input.experiment}, from its run directories (after its job array: sbatch --dependency=afterany:JOB).`,
    `# Written by: ${input.command}`,
    ...header.map((h) => `#SBATCH ${h}`),
    'set -uo pipefail',
    '',
    ...cliLines(input.cli),
    ...THREAD_LINES,
    `cd ${shellWord(input.projectRoot)}`,
    `exec "\${CLI[@]}" experiment ${shellWord(input.experiment)} --report ${[...input.planArgs, ...input.reportArgs].map(shellWord).join(' ')}`,
    '',
  ].join('\n');
}

/** One submission of an experiment, as recorded in runs/NAME/slurm/submissions.json. */
export interface Submission {
  arrayJob: string;
  reportJob: string | null;
  /** Task ids submitted, and the run each trains. */
  tasks: Record<string, string>;
  script: string;
  submittedAt: string;
  command: string;
}

export const SUBMISSIONS = 'submissions.json';

export function readSubmissions(root: string): Submission[] {
  const file = path.join(slurmDir(root), SUBMISSIONS);
  if (!fs.existsSync(file)) return [];
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(value) ? (value as Submission[]) : [];
  } catch {
    return [];
  }
}

/** The sbatch, squeue and scontrol to call, and their environment (tests point SLURM_CONF at their own cluster). */
export interface SlurmClient {
  env?: Record<string, string | undefined>;
}

async function exec(args: string[], client: SlurmClient): Promise<{ code: number; stdout: string; stderr: string }> {
  let child;
  try {
    child = Bun.spawn(args, { env: { ...process.env, ...client.env }, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  } catch (e) {
    return { code: 127, stdout: '', stderr: `${args[0]}: ${(e as Error).message}` };
  }
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code: await child.exited, stdout, stderr };
}

/** Whether sbatch is on this machine's PATH. */
export const hasSlurm = () => Bun.which('sbatch') !== null;

/** Submits a script; returns the job id (sbatch --parsable prints `id` or `id;cluster`). */
export async function sbatch(script: string, extra: string[], client: SlurmClient): Promise<string> {
  const result = await exec(['sbatch', '--parsable', ...extra, script], client);
  const id = result.stdout.trim().split(';')[0];
  if (result.code !== 0 || !/^\d+$/.test(id)) throw new Error(`sbatch ${[...extra, script].join(' ')} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  return id;
}

export interface QueuedTask {
  /** Slurm's id of the task: `<array job>_<task>`, or the job id. */
  id: string;
  state: string;
  reason: string;
}

/** The queue's tasks of the jobs named maga-NAME (submitted by --slurm or by hand from its script), or null when squeue cannot be asked. */
export async function queuedTasks(experiment: string, client: SlurmClient): Promise<{ tasks: QueuedTask[] } | { error: string }> {
  const result = await exec(['squeue', '--noheader', '--array', `--name=maga-${experiment}`, '--format=%i|%T|%r'], client);
  if (result.code !== 0) return { error: (result.stderr || result.stdout).trim() || `squeue exited with ${result.code}` };
  const tasks = result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [id, state, reason] = l.split('|');
      return { id, state, reason: reason === 'None' ? '' : reason };
    });
  return { tasks };
}

/** Finished tasks' states from sacct, where the cluster keeps accounting (many test clusters do not). */
export async function accountedTasks(jobs: string[], client: SlurmClient): Promise<{ tasks: Map<string, { state: string; exitCode: string }> } | { error: string }> {
  if (jobs.length === 0) return { tasks: new Map() };
  const result = await exec(['sacct', '--noheader', '--parsable2', `--jobs=${jobs.join(',')}`, '--format=JobID,State,ExitCode'], client);
  if (result.code !== 0) return { error: (result.stderr || result.stdout).trim() || `sacct exited with ${result.code}` };
  const tasks = new Map<string, { state: string; exitCode: string }>();
  for (const line of result.stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    if (id && !id.includes('.')) tasks.set(id, { state, exitCode });
  }
  return { tasks };
}
