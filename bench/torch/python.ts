// Running the PyTorch twin (bench/torch/main.py) from TypeScript: whether Debian's python3-torch
// is there, and one twin command with its stdout. Shared by bench:torch and the twin test.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Debian's interpreter, where `apt-get install python3-torch python3-numpy` puts torch. */
export const PYTHON = '/usr/bin/python3';
export const TWIN_MAIN = path.join(import.meta.dir, 'main.py');
export const TORCH_HELP = 'on Debian: apt-get install python3-torch python3-numpy';

export type TorchProbe = { ok: true; version: string } | { ok: false; reason: string };

/** Imports torch and numpy once; the reason says what failed and how to get them. */
export function probeTorch(): TorchProbe {
  const r = spawnSync(PYTHON, ['-B', '-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run (${r.error.message}); ${TORCH_HELP}` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`;
    return { ok: false, reason: `${PYTHON} has no torch/numpy (${last}); ${TORCH_HELP}` };
  }
  return { ok: true, version: r.stdout.trim() };
}

/** Runs `main.py <args>` and returns its stdout; a failure throws with the twin's stderr. */
export function runTwin(args: string[], options: { timeoutMs?: number } = {}): string {
  // -B: no __pycache__ written next to the sources.
  const r = spawnSync(PYTHON, ['-B', TWIN_MAIN, ...args], { encoding: 'utf8', timeout: options.timeoutMs, maxBuffer: 64 * 2 ** 20 });
  if (r.error) throw new Error(`twin: ${PYTHON} ${args[0]} failed to run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`twin: ${PYTHON} main.py ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr.trim()}`);
  return r.stdout;
}
