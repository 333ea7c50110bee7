// Which Python runs python/maga_torch for the benchmarks and tests: MAGA_PYTHON when set (an
// interpreter that cannot import torch is then an error, never passed over), else the first
// `python3` on PATH that imports torch and numpy, else /usr/bin/python3 (where Debian's
// `apt-get install python3-torch python3-numpy` puts them). Every run puts this checkout's
// python/ first on PYTHONPATH, so `pip install -e python/` is not needed here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';

export const PYTHON_DIR = path.resolve(import.meta.dir, '..', '..', 'python');
export const TWIN_MAIN = path.join(import.meta.dir, 'main.py');
export const TORCH_HELP = 'on Debian: apt-get install python3-torch python3-numpy; or MAGA_PYTHON=/path/to/python with torch';

export type TorchProbe = { ok: true; python: string; version: string; chosenBy: string } | { ok: false; reason: string };

const env = () => ({ ...process.env, PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) });

/** torch's version from `python`, or why it cannot be imported (the last line of the error). */
function probe(python: string): { version: string } | { error: string } {
  const r = spawnSync(python, ['-B', '-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}` };
  return { version: r.stdout.trim() };
}

/** Every `python3` on PATH (in order), then /usr/bin/python3. */
function candidates(): string[] {
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'python3');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (!found.includes(file)) found.push(file);
    } catch {}
  }
  if (!found.includes('/usr/bin/python3')) found.push('/usr/bin/python3');
  return found;
}

let cached: TorchProbe | undefined;

/** The interpreter to use (probed once per process); the reason says what was tried and how to get torch. */
export function probeTorch(): TorchProbe {
  if (cached) return cached;
  const forced = process.env.MAGA_PYTHON;
  if (forced) {
    const r = probe(forced);
    cached = 'version' in r ? { ok: true, python: forced, version: r.version, chosenBy: 'MAGA_PYTHON' } : { ok: false, reason: `MAGA_PYTHON=${forced} cannot import torch and numpy (${r.error})` };
    return cached;
  }
  const tried: string[] = [];
  for (const python of candidates()) {
    const r = probe(python);
    if ('version' in r) return (cached = { ok: true, python, version: r.version, chosenBy: tried.length ? `the first python3 that imports torch (${tried.length} before it do not)` : 'the first python3 on PATH' });
    tried.push(`${python}: ${r.error}`);
  }
  return (cached = { ok: false, reason: `no python3 imports torch and numpy (tried ${tried.join('; ')}); ${TORCH_HELP}` });
}

function python(): string {
  const p = probeTorch();
  if (!p.ok) throw new Error(p.reason);
  return p.python;
}

/** Runs `python -B <args>` with this checkout's python/ on PYTHONPATH and returns its stdout; a failure throws with its stderr. */
export function runPython(args: string[], options: { timeoutMs?: number } = {}): string {
  const interpreter = python();
  const r = spawnSync(interpreter, ['-B', ...args], { encoding: 'utf8', timeout: options.timeoutMs, maxBuffer: 64 * 2 ** 20, env: env() });
  if (r.error) throw new Error(`${interpreter} ${args.join(' ')} failed to run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${interpreter} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr.trim()}`);
  return r.stdout;
}

/** `python -m maga_torch <args>`. */
export const runMagaTorch = (args: string[], options: { timeoutMs?: number } = {}) => runPython(['-m', 'maga_torch', ...args], options);

/** bench/torch/main.py <args> (the PyTorch side of bench:torch). */
export const runTwin = (args: string[], options: { timeoutMs?: number } = {}) => runPython([TWIN_MAIN, ...args], options);
