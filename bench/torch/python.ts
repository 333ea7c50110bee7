// Which Python the benchmarks and tests run: MAGA_PYTHON when set (an interpreter that cannot import
// what is asked is then an error, never passed over), else the first `python3` on PATH that imports
// it, else /usr/bin/python3 (where Debian's `apt-get install python3-torch python3-numpy` puts
// torch). python/maga_torch needs torch and numpy; the TensorBoard test, tensorboard. Every run puts
// this checkout's python/ first on PYTHONPATH, so `pip install -e python/` is not needed here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';

export const PYTHON_DIR = path.resolve(import.meta.dir, '..', '..', 'python');
export const TWIN_MAIN = path.join(import.meta.dir, 'main.py');
export const TORCH_HELP = 'on Debian: apt-get install python3-torch python3-numpy; or MAGA_PYTHON=/path/to/python with torch';

export type PythonProbe = { ok: true; python: string; version: string; chosenBy: string } | { ok: false; reason: string };

const env = () => ({ ...process.env, PYTHONPATH: [PYTHON_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) });

/** Imports `modules` in `python` and prints the first one's version, or why it cannot (the last line of the error). */
function probe(python: string, modules: readonly string[]): { version: string } | { error: string } {
  const r = spawnSync(python, ['-B', '-c', `import ${modules.join(', ')}; print(getattr(${modules[0]}, '__version__', '?'))`], { encoding: 'utf8', timeout: 60_000 });
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

const cache = new Map<string, PythonProbe>();

/**
 * The interpreter that imports `modules` (probed once per process): MAGA_PYTHON when set (and then
 * only it), else the first python3 on PATH, then /usr/bin/python3. The reason says what was tried.
 */
export function findPython(modules: readonly string[], help: string): PythonProbe {
  const key = modules.join(',');
  const known = cache.get(key);
  if (known) return known;
  let found: PythonProbe;
  const forced = process.env.MAGA_PYTHON;
  if (forced) {
    const r = probe(forced, modules);
    found = 'version' in r ? { ok: true, python: forced, version: r.version, chosenBy: 'MAGA_PYTHON' } : { ok: false, reason: `MAGA_PYTHON=${forced} cannot import ${modules.join(', ')} (${r.error})` };
  } else {
    const tried: string[] = [];
    found = { ok: false, reason: '' };
    for (const python of candidates()) {
      const r = probe(python, modules);
      if ('version' in r) {
        found = { ok: true, python, version: r.version, chosenBy: tried.length ? `the first python3 that imports ${modules[0]} (${tried.length} before it do not)` : 'the first python3 on PATH' };
        break;
      }
      tried.push(`${python}: ${r.error}`);
    }
    if (!found.ok) found = { ok: false, reason: `no python3 imports ${modules.join(', ')} (tried ${tried.join('; ')}); ${help}` };
  }
  cache.set(key, found);
  return found;
}

/** The interpreter for python/maga_torch: one that imports torch and numpy. */
export const probeTorch = () => findPython(['torch', 'numpy'], TORCH_HELP);

/** Runs `python -B <args>` (the torch interpreter unless `python` names another) with this checkout's python/ on PYTHONPATH; returns its stdout, a failure throws with its stderr. */
export function runPython(args: string[], options: { timeoutMs?: number; python?: string } = {}): string {
  const torch = probeTorch();
  const interpreter = options.python ?? (torch.ok ? torch.python : undefined);
  if (!interpreter) throw new Error(torch.ok ? '' : torch.reason);
  const r = spawnSync(interpreter, ['-B', ...args], { encoding: 'utf8', timeout: options.timeoutMs, maxBuffer: 64 * 2 ** 20, env: env() });
  if (r.error) throw new Error(`${interpreter} ${args.join(' ')} failed to run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${interpreter} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr.trim()}`);
  return r.stdout;
}

/** `python -m maga_torch <args>`. */
export const runMagaTorch = (args: string[], options: { timeoutMs?: number } = {}) => runPython(['-m', 'maga_torch', ...args], options);

/** bench/torch/main.py <args> (the PyTorch side of bench:torch). */
export const runTwin = (args: string[], options: { timeoutMs?: number } = {}) => runPython([TWIN_MAIN, ...args], options);
