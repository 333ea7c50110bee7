// The runs directory as the server sees it: resolving a run id to its directory without ever
// leaving the runs directory, and the summaries and details the API lists. A run whose files are
// corrupt is reported with status 'error' and the reason, never allowed to break the listing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelSpec, modelTraits, ValidationError, type GroupId, type ModelConfig, type ModelTraits, type SplitName } from '@maga/model';
import { inspectSafetensors } from '../run/checkpoint.ts';
import { filePath, readEvalLog, readLog, splitOf, readMetrics, readRunConfig, readRunState, RUN_ID_PATTERN, type Divergence, type EvalLine, type LogLine, type RunConfig, type RunMetrics, type RunStatus } from '../run/rundir.ts';
import { modelGroup } from './dataset.ts';
import { HttpError } from './validate.ts';

export interface RunRef {
  id: string;
  dir: string;
}

export interface RunSummary {
  id: string;
  model: string | null;
  /** What the model's decoder does (packages/model's registry), so clients need not know models by name. */
  traits: ModelTraits | null;
  /** Numbers per code z or group element g its decoder takes (the rows of /decode); null when the config cannot be read. */
  codeDim: number | null;
  dataset: string | null;
  /** A dSprites run's split; null for a pair run. */
  split: SplitName | null;
  /**
   * The known group a pair run's model takes, as the group registry names it: its id (kind, and C_n's
   * n), its label ('so2', 'c4', 'so3', as --group writes it) and its name ('SO(2)'); null for a learned z.
   */
  group: RunGroupJson | null;
  step: number;
  steps: number | null;
  status: RunStatus;
  metrics: RunMetrics | null;
  updatedAt: string;
  error?: string;
  /** Where a run with status 'diverged' went non-finite. */
  divergence?: Divergence;
}

export type RunGroupJson = GroupId & { label: string; name: string };

/** A model's known group for the API (asking the group registry, not naming kinds), or null for a learned z. */
function runGroup(model: ModelConfig): RunGroupJson | null {
  const group = modelGroup(model);
  if (!group) return null;
  return { ...group.id, label: group.label, name: group.name };
}

/** The real path of the runs directory (created if missing, so an empty server still starts). */
export function openRunsDir(runsDir: string): string {
  fs.mkdirSync(runsDir, { recursive: true });
  return fs.realpathSync(runsDir);
}

/**
 * The run called `id`: 400 for anything that is not a plain directory name, 404 for a name that is
 * not a run. Symbolic links are not followed, so nothing outside the runs directory is reachable.
 */
export function resolveRun(root: string, id: string): RunRef {
  if (!RUN_ID_PATTERN.test(id)) throw new ValidationError(`run id ${JSON.stringify(id.slice(0, 140))} is not valid: expected a directory name matching ${RUN_ID_PATTERN.source}`, 'id');
  const dir = path.join(root, id);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    throw new HttpError(404, `no run '${id}' in the runs directory`);
  }
  if (!stat.isDirectory() || !fs.existsSync(path.join(dir, 'config.json'))) throw new HttpError(404, `no run '${id}' in the runs directory`);
  return { id, dir };
}

/**
 * Refuses a run that holds symbolic links: our runs never do, and following one could read a file
 * outside the runs directory.
 */
export function assertNoLinks(run: RunRef): void {
  const link = fs.readdirSync(run.dir, { withFileTypes: true }).find((entry) => entry.isSymbolicLink());
  if (link) throw new HttpError(404, `run '${run.id}' holds a symbolic link (${link.name}), which the server does not follow`);
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export function summarize(run: RunRef): RunSummary & { config: RunConfig | null; createdAt: string } {
  const updated = Math.max(...(['config', 'log', 'state', 'metrics', 'model'] as const).map((f) => mtime(filePath(run.dir, f))));
  const base = { id: run.id, updatedAt: new Date(updated || Date.now()).toISOString() };
  let config: RunConfig;
  try {
    assertNoLinks(run);
    config = readRunConfig(run.dir);
  } catch (e) {
    return { ...base, model: null, traits: null, codeDim: null, dataset: null, split: null, group: null, step: 0, steps: null, status: 'error', metrics: null, error: message(e, run), config: null, createdAt: '' };
  }
  const summary: RunSummary = {
    ...base,
    model: config.model.model,
    traits: modelTraits(config.model.model),
    codeDim: modelSpec(config.model.model).codeDim(config.model),
    dataset: config.data.dataset,
    split: splitOf(config.data),
    group: runGroup(config.model),
    step: 0,
    steps: config.training.steps,
    status: config.status,
    metrics: null,
    ...(config.error ? { error: config.error } : {}),
    ...(config.divergence ? { divergence: config.divergence } : {}),
  };
  try {
    const state = readRunState(run.dir);
    if (state) {
      summary.step = state.step;
      inspectSafetensors(filePath(run.dir, 'model'));
    }
    summary.metrics = readMetrics(run.dir);
  } catch (e) {
    summary.status = 'error';
    summary.error = message(e, run);
  }
  return { ...summary, config, createdAt: config.createdAt };
}

function message(e: unknown, run: RunRef): string {
  // Paths in messages are shown relative to the run, never as server paths.
  return (e instanceof Error ? e.message : String(e)).split(run.dir + path.sep).join('').split(run.dir).join(run.id);
}

/** Every run in the directory, newest first. */
export function listRuns(root: string): RunSummary[] {
  const runs: (RunSummary & { createdAt: string })[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !RUN_ID_PATTERN.test(entry.name)) continue;
    if (!fs.existsSync(path.join(root, entry.name, 'config.json'))) continue;
    const { config: _config, ...summary } = summarize({ id: entry.name, dir: path.join(root, entry.name) });
    runs.push(summary);
  }
  runs.sort((a, b) => (b.createdAt || b.updatedAt).localeCompare(a.createdAt || a.updatedAt) || a.id.localeCompare(b.id));
  return runs.map(({ createdAt: _createdAt, ...summary }) => summary);
}

export function runDetail(run: RunRef): { summary: RunSummary; config: RunConfig | null; metrics: RunMetrics | null; log: LogLine[]; eval: EvalLine[] } {
  const { config, createdAt: _createdAt, ...summary } = summarize(run);
  return { summary, config, metrics: summary.metrics, log: readLog(run.dir), eval: readEvalLog(run.dir) };
}
