// The real CLI in a child process, as a user runs it (`bun packages/cli/main.ts …`): its exit code,
// signal and both output streams; `cli serve` on a free port; `cli train` into a directory.
import * as path from 'node:path';
import { tempDir } from './tmp.ts';

export const ROOT = path.resolve(import.meta.dir, '../..');
const CLI = [process.execPath, path.join(ROOT, 'packages/cli/main.ts')];

export type Env = Record<string, string | undefined>;

export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Starts `cli ARGS…` in the repository root, with `env` over this process's environment. */
export function spawnCli(args: string[], env: Env = {}) {
  return Bun.spawn([...CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
}

export type CliProcess = ReturnType<typeof spawnCli>;

/** Waits for a started CLI, reading both pipes to their end (so that it never blocks on a full one). */
export async function finished(child: CliProcess): Promise<CliResult> {
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  return { code: child.exitCode, signal: child.signalCode === null ? null : String(child.signalCode), stdout, stderr };
}

/** Runs `cli ARGS…` to its end. */
export const cli = (args: string[], env: Env = {}): Promise<CliResult> => finished(spawnCli(args, env));

/** `cli`, throwing with its output unless it exits 0. */
export const cliOk = (args: string[], env: Env = {}): Promise<CliResult> => exitedZero(args, cli(args, env));

async function exitedZero(args: string[], running: Promise<CliResult>): Promise<CliResult> {
  const result = await running;
  if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr || result.stdout}`);
  return result;
}

/**
 * `eval DIR --json --count N` through `run` (a suite's cli): the report of the one run it
 * evaluated; throws with the output unless it exits 0 and reports one run.
 */
export async function evalJson(run: (args: string[]) => Promise<CliResult>, dir: string, count: number) {
  const args = ['eval', dir, '--json', '--count', String(count)];
  const { runs } = JSON.parse((await exitedZero(args, run(args))).stdout);
  if (runs.length !== 1) throw new Error(`cli ${args.join(' ')} reported ${runs.length} runs, expected 1`);
  return runs[0];
}

/** `cli` with a fixed environment underneath (a suite's MAGA_BACKEND), which a call's own `env` may extend. */
export const cliWith =
  (base: Env) =>
  (args: string[], env: Env = {}): Promise<CliResult> =>
    cli(args, { ...base, ...env });

/** A suite's CLI on `backend` (MAGA_BACKEND), and run directories under a temporary directory removed after the suite. */
export function cliSuite(name: string, backend: string) {
  const tmp = tempDir(name);
  return { tmp, cli: cliWith({ MAGA_BACKEND: backend }), runDir: (run: string) => path.join(tmp, 'runs', run) };
}

/** Runs a command to its end; its output, or an error holding all of it when it fails. */
export async function run(cmd: string[], cwd = ROOT): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited with ${code}:\n${out}\n${err}`);
  return out + err;
}

/** `bun run cli train --quiet FLAGS… --out OUT`; throws with the output when it fails. */
export function train(out: string, ...flags: string[]): Promise<string> {
  return run([...CLI, 'train', '--quiet', ...flags, '--out', out]);
}

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `bun run cli serve --runs DIR --port 0` on 127.0.0.1 (a free port); resolves with its URL once it listens. */
export async function serveRuns(runsDir: string, env: Env = {}): Promise<Server> {
  // --no-build: the tests build the viewer themselves, alongside the server's start.
  const proc = spawnCli(['serve', '--runs', runsDir, '--port', '0', '--host', '127.0.0.1', '--no-build'], env);
  const stderr = new Response(proc.stderr).text();
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    let found = false;
    const timer = setTimeout(() => reject(new Error(`cli serve did not start within 60 s:\n${seen}`)), 60_000);
    void (async () => {
      const reader = proc.stdout.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (found) continue;
        seen += new TextDecoder().decode(chunk.value);
        const match = /serving .* at (http:\/\/\S+)/.exec(seen);
        if (match) {
          found = true;
          clearTimeout(timer);
          resolve(match[1].replace(/\/$/, ''));
        }
      }
      if (!found) {
        clearTimeout(timer);
        reject(new Error(`cli serve exited: ${seen}${await stderr}`));
      }
    })();
  });
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
  };
}
