// The Slurm test cluster itself (test/support/slurm.ts): two clusters started at once share no port,
// socket or directory, each runs its own array job, and stop() leaves nothing running, not even a
// job that was still running. Skipped, with the reason printed, where Slurm is not installed.
import { afterAll, describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/index.ts';
import { leftovers, slurmUnavailable, startSlurm, type SlurmCluster } from './support/slurm.ts';

const unavailable = slurmUnavailable();
if (unavailable) console.log(`skipping the Slurm cluster tests: ${unavailable}`);

const conf = (c: SlurmCluster, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(fs.readFileSync(c.conf, 'utf8'))?.[1];

describe.skipIf(unavailable !== null)('a test Slurm cluster', () => {
  const clusters: SlurmCluster[] = [];
  const work = tempDir('slurm-jobs');
  afterAll(async () => {
    for (const c of clusters) await c.stop();
  });

  test('two clusters at once: their own ports, sockets, names and jobs; stop() leaves nothing running', async () => {
    clusters.push(...(await Promise.all([startSlurm({ killWait: 2 }), startSlurm({ killWait: 2 })])));
    const [a, b] = clusters;
    expect(a.dir).not.toBe(b.dir);
    for (const key of ['ClusterName', 'SlurmctldPort', 'SlurmdPort', 'AuthInfo']) expect(conf(a, key)).not.toBe(conf(b, key));

    // An array job on each: every task says which cluster ran it.
    const script = path.join(work, 'job.sh');
    fs.writeFileSync(script, '#!/bin/bash\necho "$SLURM_CLUSTER_NAME $SLURM_ARRAY_TASK_ID"\n');
    for (const [i, c] of [a, b].entries()) {
      const out = path.join(work, `c${i}`);
      fs.mkdirSync(out);
      const submitted = await c.run(['sbatch', '--parsable', '--array=0-1', `--output=${out}/%a.out`, script]);
      expect(submitted.stderr).toBe('');
      expect(submitted.code).toBe(0);
    }
    const finished = async (c: SlurmCluster) => (await c.run(['squeue', '--noheader'])).stdout.trim() === '';
    for (let i = 0; i < 300 && !((await finished(a)) && (await finished(b))); i++) await Bun.sleep(200);
    for (const [i, c] of [a, b].entries()) {
      for (const task of [0, 1]) expect(fs.readFileSync(path.join(work, `c${i}`, `${task}.out`), 'utf8').trim()).toBe(`${conf(c, 'ClusterName')} ${task}`);
    }

    // A job still running when the cluster stops is cancelled, and its step daemon goes with it.
    const sleeping = await a.run(['sbatch', '--parsable', `--output=${work}/sleep.out`, '--job-name=sleeper', '--job-name=sleeper', '--wrap', 'sleep 300']);
    expect(sleeping.code).toBe(0);
    for (let i = 0; i < 100 && !(await a.run(['squeue', '--noheader', '--states=RUNNING'])).stdout.trim(); i++) await Bun.sleep(200);
    expect((await a.run(['squeue', '--noheader', '--states=RUNNING'])).stdout).toContain('sleeper');
    expect(leftovers(a).length).toBeGreaterThan(a.pids.length); // the daemons and the job's step daemon
    await a.stop();
    expect(leftovers(a)).toEqual([]);
    expect(fs.existsSync(a.dir)).toBe(false);
    // The other cluster did not notice.
    expect((await b.run(['sinfo', '--noheader', '--format=%t'])).stdout.trim()).toBe('idle');
    await b.stop();
    expect(leftovers(b)).toEqual([]);
  }, 180_000);
});
