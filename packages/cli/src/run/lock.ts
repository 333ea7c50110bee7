// Locks on run directories, so that two processes — shards of an experiment, Slurm tasks, a second
// terminal — never train one run at once. A lock is a file created with O_EXCL (atomic on local file
// systems and on NFS v3+) that says who holds it: host, pid, the process's start time, and the Slurm
// task when there is one. A lock whose holder is gone is stale and is taken over:
//   - on the same host, when its pid no longer runs, or runs but started at another time (reused);
//   - under Slurm, when it was taken by this same array task in an earlier run of it (Slurm runs one
//     instance of a task at a time: a requeued task's old lock is its own, wherever it ran).
// A lock held on another host by anything else cannot be checked from here: it is reported with
// its holder, never broken silently.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockHolder {
  host: string;
  pid: number;
  /** The holder's start time as the kernel counts it (clock ticks since boot), where /proc has it. */
  started: number | null;
  since: string;
  /** `<array job>_<task>` (or the job id) when the holder ran under Slurm. */
  slurmTask: string | null;
  /** Slurm's restart count of that task (SLURM_RESTART_COUNT). */
  slurmRestart: number | null;
}

export interface Lock {
  file: string;
  holder: LockHolder;
  /** Removes the lock file if it is still this lock. */
  release(): void;
}

/** Who we are, as a lock records it. */
export function currentHolder(env: NodeJS.ProcessEnv = process.env, pid = process.pid): LockHolder {
  const task = env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : (env.SLURM_JOB_ID ?? null);
  return {
    host: os.hostname(),
    pid,
    started: processStart(pid),
    since: new Date().toISOString(),
    slurmTask: task,
    slurmRestart: task && env.SLURM_RESTART_COUNT !== undefined ? Number(env.SLURM_RESTART_COUNT) : task ? 0 : null,
  };
}

/** A process's start time in clock ticks since boot (/proc/PID/stat, field 22), or null. */
function processStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Why a holder is gone (the lock is stale), or null when it may still hold it. */
export function staleReason(holder: LockHolder, me: LockHolder = currentHolder()): string | null {
  if (holder.slurmTask !== null && holder.slurmTask === me.slurmTask && (me.slurmRestart ?? 0) > (holder.slurmRestart ?? 0)) {
    return `it was taken by an earlier run of this Slurm task ${holder.slurmTask}`;
  }
  if (holder.host !== me.host) return null;
  if (!running(holder.pid)) return `process ${holder.pid} on ${holder.host} is no longer running`;
  if (holder.started !== null) {
    const started = processStart(holder.pid);
    if (started !== null && started !== holder.started) return `process ${holder.pid} on ${holder.host} is another process now (the pid was reused)`;
  }
  return null;
}

export function describeHolder(h: LockHolder): string {
  return `${h.host} pid ${h.pid}${h.slurmTask ? ` (Slurm task ${h.slurmTask})` : ''} since ${h.since}`;
}

export function readHolder(file: string): LockHolder | null {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value?.host !== 'string' || !Number.isSafeInteger(value?.pid)) return null;
    return { started: null, since: '', slurmTask: null, slurmRestart: null, ...value } as LockHolder;
  } catch {
    return null;
  }
}

function create(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(holder)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

const held = new Set<string>();
process.once('exit', () => {
  // A process that ends without releasing (an uncaught error, process.exit) still leaves no lock.
  for (const file of held) if (readHolder(file)?.pid === process.pid && readHolder(file)?.host === os.hostname()) fs.rmSync(file, { force: true });
});

/**
 * Takes the lock `file`, taking over a stale one (`onStale` hears why); returns null with the
 * holder when someone else holds it.
 */
export function tryLock(file: string, onStale: (reason: string, holder: LockHolder) => void = () => {}): Lock | { heldBy: LockHolder } {
  const me = currentHolder();
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(file, me)) {
      held.add(file);
      return {
        file,
        holder: me,
        release() {
          const now = readHolder(file);
          if (now && now.pid === me.pid && now.host === me.host && now.since === me.since) fs.rmSync(file, { force: true });
          held.delete(file);
        },
      };
    }
    const holder = readHolder(file);
    if (holder === null) {
      // Being written this instant, or a torn file from a crash: look again shortly.
      Bun.sleepSync(50);
      if (readHolder(file) === null && fs.existsSync(file) && Date.now() - fs.statSync(file).mtimeMs > 5000) fs.rmSync(file, { force: true });
      continue;
    }
    const stale = staleReason(holder, me);
    if (!stale) return { heldBy: holder };
    // Breaking a stale lock: one process at a time (the breaker is itself an O_EXCL file), and only
    // if the lock still holds the stale holder (another process may have broken it and taken it).
    const breaker = `${file}.break`;
    if (!create(breaker, me)) {
      const other = readHolder(breaker);
      if (other && staleReason(other, me)) fs.rmSync(breaker, { force: true });
      Bun.sleepSync(50);
      continue;
    }
    try {
      const again = readHolder(file);
      if (again && again.pid === holder.pid && again.host === holder.host && again.since === holder.since) {
        onStale(stale, holder);
        fs.rmSync(file, { force: true });
      }
    } finally {
      fs.rmSync(breaker, { force: true });
    }
  }
  const holder = readHolder(file);
  if (holder) return { heldBy: holder };
  throw new Error(`could not take the lock ${file}: it keeps changing`);
}

/** Runs `fn` holding the lock `file`, waiting up to `seconds` for another holder to let go (a short critical section). */
export async function withLock<T>(file: string, fn: () => T | Promise<T>, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    const lock = tryLock(file);
    if ('release' in lock) {
      try {
        return await fn();
      } finally {
        lock.release();
      }
    }
    if (Date.now() > deadline) throw new Error(`${file} has been locked by ${describeHolder(lock.heldBy)} for over ${seconds} s: if that process is gone, delete the file`);
    await Bun.sleep(20 + Math.random() * 80);
  }
}
