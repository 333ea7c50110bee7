// `experiments NAME --status`: where each run stands — pending, queued, running at step k, stopped,
// done, failed — from the run directories (config, log, lock) and, where Slurm is here, its queue
// (squeue: a task's id is `<array job>_<k>` for run k of the plan, however it was submitted) and its
// accounting (sacct, when the cluster keeps it). A failed run is reported with its task's log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeHolder, readHolder, staleReason } from '../run/lock.ts';
import { readLog, readMetrics, readRunConfig, readRunState } from '../run/rundir.ts';
import { RUN_LOCK } from '../train/train.ts';
import type { PlannedRun } from './plan.ts';
import { accountedTasks, hasSlurm, queuedTasks, readSubmissions, slurmDir, type QueuedTask, type SlurmClient } from './slurm.ts';
import type { Experiment } from './table.ts';

export type RunState = 'pending' | 'queued' | 'running' | 'stopped' | 'interrupted' | 'done' | 'failed';

export interface RunStatusLine {
  name: string;
  state: RunState;
  text: string;
  /** The Slurm log of its task, when one exists. */
  log: string | null;
}

export interface ExperimentStatus {
  runs: RunStatusLine[];
  /** What could not be asked (squeue, sacct), said once. */
  notes: string[];
}

/** The newest log of task k in runs/NAME/slurm/logs (any submission, by --slurm or by hand). */
function taskLogFile(root: string, task: number): string | null {
  const dir = path.join(slurmDir(root), 'logs');
  if (!fs.existsSync(dir)) return null;
  const logs = fs
    .readdirSync(dir)
    .filter((f) => new RegExp(`^\\d+_${task}\\.log$`).test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return logs[0] ?? null;
}

const headline = (m: NonNullable<ReturnType<typeof readMetrics>>) => `test BCE ${m.test.bce.toFixed(2)}, PSNR ${m.test.psnr.toFixed(2)} dB, SSIM ${m.test.ssim.toFixed(4)}`;

export async function experimentStatus(e: Experiment, planned: PlannedRun[], root: string, client: SlurmClient = {}): Promise<ExperimentStatus> {
  const notes: string[] = [];
  const queue = new Map<number, QueuedTask>();
  const submissions = readSubmissions(root);
  if (hasSlurm()) {
    const queued = await queuedTasks(e.name, client);
    if ('error' in queued) notes.push(`squeue: ${queued.error}`);
    else for (const t of queued.tasks) if (/^\d+_\d+$/.test(t.id)) queue.set(Number(t.id.split('_')[1]), t);
    if (submissions.length > 0) {
      const accounted = await accountedTasks([...new Set(submissions.map((s) => s.arrayJob))], client);
      if ('error' in accounted) notes.push(`sacct: ${accounted.error} (states come from the run directories and squeue)`);
    }
  } else if (submissions.length > 0) {
    notes.push('no squeue on this machine: states come from the run directories alone');
  }
  const runs = planned.map((run, k): RunStatusLine => {
    const q = queue.get(k);
    const slurm = q ? `Slurm ${q.id} ${q.state}${q.reason ? `: ${q.reason}` : ''}` : null;
    const log = taskLogFile(root, k);
    const line = (state: RunState, text: string): RunStatusLine => ({ name: run.name, state, text, log });
    if (!fs.existsSync(path.join(run.dir, 'config.json'))) {
      if (q) return line(q.state === 'RUNNING' ? 'running' : 'queued', q.state === 'RUNNING' ? `starting (${slurm})` : `queued (${slurm})`);
      if (log) return line('failed', `its task ended without making the run (log: ${log})`);
      return line('pending', 'pending (not started)');
    }
    const config = readRunConfig(run.dir);
    const steps = config.training.steps;
    const step = readLog(run.dir).at(-1)?.step ?? readRunState(run.dir)?.step ?? 0;
    if (config.status === 'done') {
      const metrics = readMetrics(run.dir);
      return metrics ? line('done', `done (${steps} steps; ${headline(metrics)})`) : line('interrupted', `trained ${steps} steps, not evaluated (the next run of the experiment evaluates it)`);
    }
    if (config.status === 'error' || config.status === 'diverged') {
      return line('failed', `${config.status === 'diverged' ? 'diverged' : 'failed'} at step ${step}/${steps}: ${config.error ?? 'no message'}${log ? ` (log: ${log})` : ''}`);
    }
    const holder = readHolder(path.join(run.dir, RUN_LOCK));
    const live = holder !== null && staleReason(holder) === null;
    if (config.status === 'training' && live) return line('running', `running at step ${step}/${steps} (${describeHolder(holder!)}${q ? `; ${slurm}` : ''})`);
    if (q?.state === 'RUNNING') return line('running', `running at step ${step}/${steps} (${slurm})`);
    if (q) return line('stopped', `stopped at step ${step}/${steps}, requeued (${slurm}): it resumes there`);
    if (config.status === 'stopped') return line('stopped', `stopped at step ${step}/${steps} (its checkpoint is kept: rerun the experiment, or resubmit with --slurm, to resume it)`);
    return line('interrupted', `interrupted at step ${step}/${steps}: no process holds it (it resumes from its last checkpoint when the experiment runs again)`);
  });
  return { runs, notes };
}

/** The status as lines: one per run, then the counts. */
export function formatStatus(e: Experiment, status: ExperimentStatus): string {
  const width = Math.max(...status.runs.map((r) => r.name.length));
  const counts = new Map<RunState, number>();
  for (const r of status.runs) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return [
    `experiment ${e.name}: ${status.runs.length} runs`,
    ...status.runs.map((r) => `  ${r.name.padEnd(width)}  ${r.text}`),
    ...status.notes.map((n) => `(${n})`),
    [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(', '),
  ].join('\n');
}
