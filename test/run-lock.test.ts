// Locks on run directories (packages/cli/src/run/lock.ts): one holder at a time, even when eight
// processes race for a free lock or for a stale one; stale means a dead pid on this host, a reused
// pid, or an earlier run of the same Slurm task; a lock held on another host is reported, not broken.
import { afterAll, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { currentHolder, readHolder, staleReason, tryLock, type LockHolder } from '../packages/cli/src/run/lock.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pid that ran here and has exited. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(['true']);
  await child.exited;
  return child.pid;
}

const holder = (h: Partial<LockHolder>): LockHolder => ({ host: os.hostname(), pid: process.pid, started: null, since: new Date().toISOString(), slurmTask: null, slurmRestart: null, ...h });

test('a lock is held once; release frees it; a second taker in the same process is told who holds it', () => {
  const file = path.join(tmp, 'a.lock');
  const first = tryLock(file);
  expect('release' in first).toBe(true);
  const second = tryLock(file);
  expect('heldBy' in second && second.heldBy.pid).toBe(process.pid);
  if ('release' in first) first.release();
  expect(fs.existsSync(file)).toBe(false);
  const third = tryLock(file);
  expect('release' in third).toBe(true);
  if ('release' in third) third.release();
});

test('stale: a dead pid here, a reused pid, an earlier run of this Slurm task; not stale: a live holder, another host', async () => {
  const me = currentHolder();
  expect(staleReason(holder({ pid: await deadPid() }), me)).toMatch(/is no longer running/);
  expect(staleReason(holder({ started: (me.started ?? 0) + 1 }), me)).toMatch(/the pid was reused/);
  expect(staleReason(holder({}), me)).toBeNull();
  expect(staleReason(holder({ host: 'elsewhere', pid: await deadPid() }), me)).toBeNull();
  const task = currentHolder({ SLURM_ARRAY_JOB_ID: '7', SLURM_ARRAY_TASK_ID: '3', SLURM_RESTART_COUNT: '1' });
  expect(staleReason(holder({ host: 'node-a', slurmTask: '7_3', slurmRestart: 0 }), task)).toMatch(/earlier run of this Slurm task 7_3/);
  expect(staleReason(holder({ host: 'node-a', slurmTask: '7_4', slurmRestart: 0 }), task)).toBeNull();
  expect(staleReason(holder({ host: 'node-a', slurmTask: '7_3', slurmRestart: 1 }), task)).toBeNull();
});

test('a stale lock is taken over, saying why; one held on another host is left alone', async () => {
  const file = path.join(tmp, 'stale.lock');
  fs.writeFileSync(file, JSON.stringify(holder({ pid: await deadPid() })));
  const heard: string[] = [];
  const lock = tryLock(file, (why) => heard.push(why));
  expect('release' in lock).toBe(true);
  expect(heard).toHaveLength(1);
  expect(readHolder(file)!.pid).toBe(process.pid);
  if ('release' in lock) lock.release();

  fs.writeFileSync(file, JSON.stringify(holder({ host: 'elsewhere', pid: 1 })));
  const refused = tryLock(file);
  expect('heldBy' in refused && refused.heldBy.host).toBe('elsewhere');
  expect(readHolder(file)!.host).toBe('elsewhere');
});

/** Eight processes try the lock at once; each prints whether it got it, holding it a moment. */
async function race(file: string): Promise<boolean[]> {
  const script = `
    import { tryLock } from ${JSON.stringify(path.resolve(import.meta.dir, '../packages/cli/src/run/lock.ts'))};
    while (Date.now() < Number(process.argv[2])) {}
    const lock = tryLock(${JSON.stringify(file)});
    console.log('release' in lock ? 'got' : 'held');
    await Bun.sleep(800);
    if ('release' in lock) lock.release();`;
  const start = Date.now() + 1500;
  const children = Array.from({ length: 8 }, () => Bun.spawn([process.execPath, '-e', script, String(start)], { stdout: 'pipe', stderr: 'inherit' }));
  return Promise.all(children.map(async (c) => (await new Response(c.stdout).text()).trim() === 'got'));
}

test('eight processes racing for a free lock, then for a stale one: exactly one wins each time', async () => {
  const file = path.join(tmp, 'race.lock');
  expect((await race(file)).filter(Boolean)).toHaveLength(1);
  expect(fs.existsSync(file)).toBe(false);
  fs.writeFileSync(file, JSON.stringify(holder({ pid: await deadPid() })));
  expect((await race(file)).filter(Boolean)).toHaveLength(1);
  expect(fs.existsSync(file)).toBe(false);
}, 60_000);
