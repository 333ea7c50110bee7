// `bun run cli …` in a child process, for the tests that run the real entry point (exit codes and
// output are part of what they test). The backend is MAGA_BACKEND unless a test names one.
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dir, '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { backend?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const backend = options.backend ?? process.env.MAGA_BACKEND;
  const child = Bun.spawn([process.execPath, 'packages/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...(backend ? { MAGA_BACKEND: backend } : {}), ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  return { code: child.exitCode, stdout, stderr };
}

/** Runs the CLI and throws with its output unless it exits 0. */
export async function cliOk(args: string[], options: { backend?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await runCli(args, options);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${r.code}:\n${r.stderr || r.stdout}`);
  return r;
}
