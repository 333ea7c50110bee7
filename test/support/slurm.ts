// A real one-node Slurm cluster for the tests, started in a temporary directory and stopped by pid.
// It installs nothing: `.ci/run` installs Debian's `slurm-wlm` and `munge` (users bring their own
// cluster, so setup.sh does not). Where the daemons are absent, or the tests do not run as root
// (slurmd launches jobs as their user; munged runs as the munge user), `slurmUnavailable()` says why
// and the Slurm tests are skipped with that reason printed.
//
// Each cluster is its own: a munged on its own socket with its own key, slurmctld and slurmd on two
// free ports, a unique ClusterName, state and spool directories under the temporary directory, and
// the daemons started with that directory as their working directory. So two clusters (two test
// files, or two engineers' tests on one machine) never share a port, a socket or a state file, and
// `stop()` can find what is its own: the daemons by the pids it spawned, and any job step daemon
// (slurmstepd, started by slurmd, not by us) by its working directory or its SLURM_CONF.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const DAEMONS = ['munged', 'slurmctld', 'slurmd'];
const CLIENTS = ['sbatch', 'squeue', 'scontrol', 'sinfo', 'scancel', 'setpriv'];

/** Why no test cluster can start here, or null when one can. */
export function slurmUnavailable(): string | null {
  const missing = [...DAEMONS, ...CLIENTS].filter((p) => !Bun.which(p, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }));
  if (missing.length > 0) return `Slurm is not installed here (missing ${missing.join(', ')}): apt-get install slurm-wlm munge (.ci/run does)`;
  if (process.getuid?.() !== 0) return `the Slurm test cluster runs slurmd as root (SlurmUser=root) and munged as the munge user; these tests run as uid ${process.getuid?.()}`;
  if (!userIds('munge')) return 'there is no munge user (the munge package creates it)';
  return null;
}

export interface SlurmCluster {
  /** The temporary directory holding the configuration, state, spool and logs. */
  dir: string;
  /** slurm.conf; clients find it through SLURM_CONF. */
  conf: string;
  /** The environment for client commands and jobs: this process's, with SLURM_CONF. */
  env: Record<string, string>;
  /** The node's name (this host's short name) and its CPUs. */
  node: string;
  cpus: number;
  /** Runs a client command (sbatch, squeue, …) against this cluster. */
  run(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The daemons' logs, for a failing test's message. */
  logs(): string;
  /** The pids of the daemons this helper started (munged, slurmctld, slurmd). */
  pids: number[];
  /** Cancels every job, stops the daemons by pid, kills any step daemon left, removes the directory. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Seconds Slurm waits between SIGTERM and SIGKILL when it stops a job (default 30, Slurm's own). */
  killWait?: number;
}

const sbin = (name: string) => Bun.which(name, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }) ?? name;

function userIds(name: string): { uid: number; gid: number } | null {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A port nothing listens on now (the kernel's choice); the daemons bind it a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, seconds: number, failed?: () => string | null): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await ok()) return;
    const reason = failed?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    await Bun.sleep(100);
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

async function exec(args: string[], env: Record<string, string>, cwd?: string) {
  const child = Bun.spawn(args, { env, cwd, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code: await child.exited, stdout, stderr };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Processes of this cluster that no daemon pid covers: step daemons (slurmstepd, started by its
 * slurmd in `dir`) and the jobs' own processes (they carry its SLURM_CONF in their environment).
 */
function strayProcesses(dir: string, conf: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const stepDaemon = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('slurmstepd');
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, '');
      if (environ.includes(`SLURM_CONF=${conf}`) || (stepDaemon && (cwd === dir || cwd.startsWith(`${dir}/`)))) found.push(Number(entry));
    } catch {
      // Gone, a zombie, or not ours to read.
    }
  }
  return found;
}

/** The node line `slurmd -C` prints for this machine (its CPUs, sockets, cores, memory). */
async function nodeLine(): Promise<{ name: string; line: string; cpus: number }> {
  const { stdout } = await exec([sbin('slurmd'), '-C'], process.env as Record<string, string>);
  const line = stdout.split('\n').find((l) => l.startsWith('NodeName='));
  if (!line) throw new Error(`slurmd -C printed no NodeName line: ${stdout}`);
  const name = /NodeName=(\S+)/.exec(line)![1];
  const cpus = Number(/CPUs=(\d+)/.exec(line)?.[1] ?? os.cpus().length);
  // Slurm drains a node whose configured memory exceeds what it finds: stay a little under.
  const memory = Number(/RealMemory=(\d+)/.exec(line)?.[1] ?? 1024);
  return { name, cpus, line: `${line.replace(/RealMemory=\d+/, `RealMemory=${Math.max(1, Math.floor(memory * 0.9))}`)} NodeAddr=127.0.0.1 State=UNKNOWN` };
}

/**
 * Starts a one-node cluster and waits until `sinfo` shows its node idle. Throws (after stopping
 * whatever it started) when a daemon exits or the node does not come up; retries once on other
 * ports if a port was taken between choosing and binding it.
 */
export async function startSlurm(options: StartOptions = {}): Promise<SlurmCluster> {
  const reason = slurmUnavailable();
  if (reason) throw new Error(reason);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt >= 2 || !/Address already in use|port/i.test(String((e as Error).message))) throw e;
    }
  }
}

async function startOnce(options: StartOptions): Promise<SlurmCluster> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'maga-slurm-')));
  fs.chmodSync(dir, 0o755);
  const munge = userIds('munge')!;
  const children: { name: string; proc: ReturnType<typeof Bun.spawn> }[] = [];
  const conf = path.join(dir, 'slurm.conf');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), SLURM_CONF: conf };
  let stopped = false;
  const killAll = () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  };
  // A test process that dies without calling stop() still takes its daemons with it.
  process.once('exit', killAll);

  const logs = () =>
    ['munged.log', 'slurmctld.log', 'slurmd.log', 'munged.out', 'slurmctld.out', 'slurmd.out']
      .map((f) => path.join(dir, f))
      .filter((f) => fs.existsSync(f))
      .map((f) => `==> ${f} <==\n${fs.readFileSync(f, 'utf8').split('\n').slice(-40).join('\n')}`)
      .join('\n');

  const spawn = (name: string, args: string[]) => {
    const out = fs.openSync(path.join(dir, `${name}.out`), 'w');
    const proc = Bun.spawn(args, { cwd: dir, env, stdout: out, stderr: out, stdin: 'ignore' });
    fs.closeSync(out);
    children.push({ name, proc });
    return proc;
  };
  const exited = () => {
    const dead = children.find((c) => c.proc.exitCode !== null);
    return dead ? `${dead.name} exited with code ${dead.proc.exitCode}:\n${logs()}` : null;
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (children.some((c) => c.name === 'slurmctld' && c.proc.exitCode === null)) {
      const jobs = (await exec(['squeue', '--noheader', '--format=%A'], env)).stdout.split('\n').filter((j) => /^\d+$/.test(j.trim()));
      if (jobs.length > 0) await exec(['scancel', ...jobs.map((j) => j.trim())], env);
      // Jobs end within KillWait of their SIGTERM; then their step daemons exit.
      await waitFor('jobs to end', async () => (await exec(['squeue', '--noheader'], env)).stdout.trim() === '', (options.killWait ?? 30) + 30).catch(() => {});
    }
    for (const name of ['slurmd', 'slurmctld', 'munged']) {
      const c = children.find((x) => x.name === name);
      if (!c || c.proc.exitCode !== null) continue;
      c.proc.kill('SIGTERM');
      const done = await Promise.race([c.proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!done) {
        c.proc.kill('SIGKILL');
        await c.proc.exited;
      }
    }
    for (const pid of strayProcesses(dir, conf)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    process.off('exit', killAll);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // munged: its key and pid in a directory only it reads; its socket in one every user can enter.
    const mungeEtc = path.join(dir, 'munge-etc');
    const mungeRun = path.join(dir, 'munge-run');
    fs.mkdirSync(mungeEtc, { mode: 0o700 });
    fs.mkdirSync(mungeRun, { mode: 0o755 });
    const key = path.join(mungeEtc, 'munge.key');
    fs.writeFileSync(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o600 });
    for (const f of [mungeEtc, mungeRun, key]) fs.chownSync(f, munge.uid, munge.gid);
    const socket = path.join(mungeRun, 'munge.socket');
    spawn('munged', [
      sbin('setpriv'), `--reuid=${munge.uid}`, `--regid=${munge.gid}`, '--clear-groups',
      sbin('munged'), '--foreground', `--socket=${socket}`, `--key-file=${key}`,
      `--log-file=${path.join(mungeEtc, 'munged.log')}`, `--pid-file=${path.join(mungeEtc, 'munged.pid')}`, `--seed-file=${path.join(mungeEtc, 'munged.seed')}`,
    ]);
    await waitFor('munged to create its socket', () => fs.existsSync(socket), 20, exited);

    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const node = await nodeLine();
    const host = os.hostname().split('.')[0];
    const cluster = `maga${path.basename(dir).replace(/[^a-z0-9]/gi, '').toLowerCase().slice(-8)}`;
    fs.mkdirSync(path.join(dir, 'state'));
    fs.mkdirSync(path.join(dir, 'spool'));
    fs.writeFileSync(
      conf,
      [
        `ClusterName=${cluster}`,
        `SlurmctldHost=${host}(127.0.0.1)`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'MpiDefault=none',
        'ReturnToService=2',
        'MailProg=/bin/true',
        `KillWait=${options.killWait ?? 30}`,
        `StateSaveLocation=${path.join(dir, 'state')}`,
        `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
        `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
        `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
        node.line,
        `PartitionName=debug Nodes=${node.name} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    spawn('slurmctld', [sbin('slurmctld'), '-D', '-i', '-f', conf]);
    spawn('slurmd', [sbin('slurmd'), '-D', '-f', conf, '-N', node.name]);
    await waitFor(
      'the node to show idle in sinfo',
      async () => (await exec(['sinfo', '--noheader', '--format=%t'], env)).stdout.trim() === 'idle',
      60,
      exited,
    );
    return {
      dir,
      conf,
      env,
      node: node.name,
      cpus: node.cpus,
      run: (args, o = {}) => exec(args, { ...env, ...o.env }, o.cwd),
      logs,
      pids: children.map((c) => c.proc.pid),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The processes of a cluster still running: its daemons, and step daemons of its jobs (for tests of stop()). */
export function leftovers(cluster: Pick<SlurmCluster, 'dir' | 'conf' | 'pids'>): number[] {
  return [...cluster.pids.filter(alive), ...strayProcesses(cluster.dir, cluster.conf)];
}
