// The results of experiments, written from their run directories (never by hand): per experiment a
// section with its table (means ± 95 % t intervals over seeds) beside the published numbers it
// reproduces, the test curves of its runs, the group laws of every trained run in float32 and
// float64, the machine and backend, the wall time, the command, and figures next to the file.
// Each experiment writes its own section from its own runs; the other sections of the file stay as
// they are (sections.ts), so a report where some experiments' runs are absent deletes nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dsprites, evalIndices, modelSpec, reconstructionDifference, reconstructions, ValidationError } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { encodePng, grid, split, type Tiles } from '../figures/images.ts';
import { runLaws, type RunLaws } from '../evaluate/laws.ts';
import { latentMaps } from '../figures/latent-maps.ts';
import { PIXELS } from '../inference/adapters.ts';
import { loadTrainedModel } from '../inference/load.ts';
import { formatDuration } from '../train/progress.ts';
import { dataLabel as runDataLabel, splitOf as dataSplit, type RunConfig } from '../run/rundir.ts';
import { curvesSection } from './curves.ts';
import { planExperiment, type PlannedRun } from './plan.ts';
import { finishedRuns, readRecord, type ExperimentRecord } from './runner.ts';
import { mergeResults } from './sections.ts';
import { formatInterval, meanInterval } from './stats.ts';
import { dataLabel, experimentArms, type Experiment, type SummaryKind } from './table.ts';

/** The dSprites split of a blog-table run (its table has no pair runs: checkExperiment sees to that). */
function splitOf(config: RunConfig) {
  const split = dataSplit(config.data);
  if (split === null) throw new Error(`the blog table compares dSprites runs, not ${runDataLabel(config.data)}`);
  return split;
}

/** The blog's table (../shared/papers/maganet-dsprites-blog.md, "Recombination losses of reimplementation"). */
export const BLOG_BCE: Record<'vae' | 'maganet', { 'to-element': number; 'to-range': number; 'to-diff': number }> = {
  vae: { 'to-element': 16.85, 'to-range': 55.42, 'to-diff': 108.82 },
  maganet: { 'to-element': 18.54, 'to-range': 38.62, 'to-diff': 68.86 },
};

export interface ResultsOptions {
  runs: string;
  /** The markdown file; figures go into `figures` beside it. */
  out: string;
  /** The experiments whose sections to write (each from its own runs under `runs`). */
  experiments: readonly Experiment[];
  note?: (text: string) => void;
  /** The backend the summary computes on (to-diff, float32 group laws). */
  backend: string;
  /** Training images in each latent map of a blog table (default 2000, the viewer's default; 200 for a tiny-preset experiment). */
  latentMapPoints?: number;
}

export interface ResultsWritten {
  file: string;
  figures: string[];
  /** Experiments with at least one finished run. */
  reported: string[];
  /** Experiments with no runs under `runs`: their sections in the file, if any, were left as they were. */
  absent: string[];
}

type Finished = ReturnType<typeof finishedRuns>[number];

/** What a summary of an experiment's finished runs writes: its lines (and figures, pushed to `figures`). */
interface SummaryContext {
  e: Experiment;
  finished: Finished[];
  record: ExperimentRecord;
  figuresDir: string;
  /** A figure's path as the results file links it. */
  link: (file: string) => string;
  figures: string[];
  note: (text: string) => void;
  latentMapPoints?: number;
}

/** The summaries, one per table kind: a new kind of table is one entry here. */
const SUMMARIES: Record<SummaryKind, { metric: { key: string; label: string; lowerIsBetter: boolean }; write: (c: SummaryContext) => Promise<string[]> }> = {
  blog: { metric: { key: 'bce', label: 'test BCE per image', lowerIsBetter: true }, write: blogSummary },
  'latent-action': { metric: { key: 'psnr', label: 'test PSNR (dB)', lowerIsBetter: false }, write: async (c) => pairTable(c.e, c.finished) },
};

const PREAMBLE = [
  '# Results',
  '',
  'Written by `bun run experiments` from the run directories of each experiment: a section per experiment, each saying when, from which runs, on which machine and backend it was written.',
  'Do not edit by hand: rerun `bun run experiments NAME --report --results FILE` (it rewrites that section only).',
  'Intervals are 95 % intervals of the mean over seeds (Student t, n − 1 degrees of freedom).',
].join('\n');

/** Writes (or rewrites) the sections of `experiments` that have runs under `runs`, keeping every other section of `out`. */
export async function writeResults(options: ResultsOptions): Promise<ResultsWritten> {
  const note = options.note ?? (() => {});
  const figuresDir = path.join(path.dirname(options.out), 'figures');
  const figures: string[] = [];
  const reported: string[] = [];
  const absent: string[] = [];
  const written = new Map<string, string>();
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}`;
  for (const e of options.experiments) {
    const root = path.join(options.runs, e.name);
    const record = readRecord(root);
    if (!record) {
      absent.push(e.name);
      continue;
    }
    const lines: string[] = [`## ${e.name}: ${e.title}`, '', ...(e.description ? [`${e.description}.`, ''] : [])];
    let planned: PlannedRun[];
    try {
      planned = planExperiment(e, { runs: options.runs, seeds: record.seeds, preset: record.preset });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      written.set(e.name, [...lines, `Cannot be summarised: ${err.message}`].join('\n'));
      continue;
    }
    const finished = finishedRuns(planned);
    lines.push(...provenance(e, record, planned, finished), `- Written ${new Date().toISOString()} from \`${root}/\` on ${machine}; summary computed on ${options.backend}`);
    if (finished.length > 0) {
      reported.push(e.name);
      const summary = SUMMARIES[e.table];
      const context: SummaryContext = { e, finished, record, figuresDir, link: (f) => path.relative(path.dirname(options.out), f), figures, note, latentMapPoints: options.latentMapPoints };
      lines.push(...(await summary.write(context)));
      lines.push(...curvesSection(e, finished, summary.metric, figuresDir, context.link, figures));
      lines.push(...(await lawsTable(finished, note)));
    }
    written.set(e.name, lines.join('\n'));
  }
  if (written.size > 0) {
    const existing = fs.existsSync(options.out) ? fs.readFileSync(options.out, 'utf8') : null;
    fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
    writeFileAtomic(options.out, mergeResults(existing, PREAMBLE, written));
  }
  return { file: options.out, figures, reported, absent };
}

function provenance(e: Experiment, record: ExperimentRecord, planned: PlannedRun[], finished: Finished[]): string[] {
  const backends = [...new Set(finished.map((f) => f.config.backend))];
  const training = finished.reduce((s, f) => s + f.trainingSeconds, 0);
  const steps = [...new Set(finished.map((f) => f.config.training.steps))].join(', ');
  const arms = [...new Set(planned.map((r) => r.variant).filter((v): v is string => v !== null))];
  return [
    `- Command: \`${record.command}\``,
    `- Runs: ${finished.length} of ${planned.length} finished (${e.models.join(', ')}${arms.length ? ` × ${arms.join(', ')}` : ''} × ${e.data.map(dataLabel).join(', ')} × ${record.seeds} seeds, preset ${record.preset}, ${steps || planned[0].config.training.steps} steps each), in \`${path.join(path.dirname(planned[0].dir))}/\``,
    ...(e.modelSettings && Object.keys(e.modelSettings).length > 0 ? [`- Settings: ${Object.entries(e.modelSettings).map(([model, settings]) => `${model} ${Object.entries(settings ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`).join('; ')}`] : []),
    `- Sizing: ${e.sizing}`,
    `- Backend${backends.length === 1 ? '' : 's'}: ${backends.join('; ') || 'none yet'}`,
    `- Wall time: ${formatDuration(record.wallSeconds)} for the experiment's runs (${formatDuration(training)} of it training steps); started ${record.startedAt}${record.finishedAt ? `, finished ${record.finishedAt}` : ', not finished'}`,
  ];
}

/** The blog's table, its recombination figure and its latent maps. */
async function blogSummary(c: SummaryContext): Promise<string[]> {
  const { e, finished, note } = c;
  const lines = await blogTable(e, finished, note);
  const figure = await recombinationFigure(e, finished, c.figuresDir, note);
  if (figure) {
    c.figures.push(figure.file);
    lines.push('', figure.markdown(c.link(figure.file)));
  }
  const maps = await blogLatentMaps(e, finished, c.figuresDir, c.latentMapPoints ?? (c.record.preset === 'tiny' ? 200 : 2000), note);
  if (maps.length > 0) {
    lines.push('', '### Latent maps', '', "The blog's Figures 5–8: where each model puts the training images, seed 0. MAGANet's code is the transformation from its pivot, z = μ(E(x)) − μ(E(pivot)); the β-VAE's is μ(x).");
    for (const m of maps) {
      c.figures.push(m.file);
      lines.push('', `![${e.name}: latent map by ${m.factor}](${c.link(m.file)})`, '', `${m.caption}.`);
    }
  }
  return lines;
}

const byKey = (finished: Finished[], model: string, label: string, variant: string | null = null) =>
  finished.filter((f) => f.run.model === model && f.run.variant === variant && dataLabel(f.run.data) === label).sort((a, b) => a.run.seed - b.run.seed);

const cell = (values: number[], digits = 2) => (values.length === 0 ? '—' : formatInterval(meanInterval(values), digits));

async function blogTable(e: Experiment, finished: Finished[], note: (text: string) => void): Promise<string[]> {
  // A table with one split has no second column to fill (and no to-diff): said, not `undefined`.
  const [element, range = 'a second split (none in this table)'] = e.data.map(dataLabel);
  const lines = [
    '',
    `BCE per image (summed over the 64×64 pixels) on each split's test images, and to-diff: the BCE between a model's reconstructions of the ${element} test images when trained on ${element} (the target) and when trained on ${range}, seed by seed. The blog's numbers are single runs.`,
    '',
    `| model | ${element} | blog | ${range} | blog | to-diff | blog | seeds |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const model of e.models) {
    const el = byKey(finished, model, element);
    const ra = byKey(finished, model, range);
    const diffs: number[] = [];
    for (const target of el) {
      const other = ra.find((r) => r.run.seed === target.run.seed);
      if (other) diffs.push(await toDiff(target, other, note));
    }
    const blog = BLOG_BCE[model as 'vae' | 'maganet'];
    const label = model === 'maganet' ? 'MAGANet' : model === 'vae' ? 'β-VAE' : model;
    lines.push(`| ${label} | ${cell(el.map((f) => f.metrics.test.bce))} | ${blog?.['to-element'] ?? '—'} | ${cell(ra.map((f) => f.metrics.test.bce))} | ${blog?.['to-range'] ?? '—'} | ${cell(diffs)} | ${blog?.['to-diff'] ?? '—'} | ${Math.max(el.length, ra.length)} |`);
  }
  const count = finished[0].metrics.count;
  lines.push('', `Each run evaluated on a fixed seeded sample of ${count} test images of its split (the same images for every run of a split).`);
  return lines;
}

/** The blog's to-diff for one seed: the same model trained on two splits, on the first split's test images. */
async function toDiff(target: Finished, other: Finished, note: (text: string) => void): Promise<number> {
  const a = await loadTrainedModel(target.run.dir);
  const b = await loadTrainedModel(other.run.dir);
  try {
    const options = { split: splitOf(target.config), part: 'test' as const, count: target.config.training.evalCount, seed: 0 };
    const ia = evalIndices(a.model, options);
    const ib = evalIndices(b.model, options);
    note(`to-diff: ${target.run.name} against ${other.run.name} on ${ia.varying.length} test images`);
    return reconstructionDifference(await reconstructions(a.model, ia.pivot, ia.varying), await reconstructions(b.model, ib.pivot, ib.varying));
  } finally {
    a.model.dispose();
    b.model.dispose();
  }
}

/** The set-level PSNR of a pair run (10·log10(1/MSE) of the whole test set), undefined for runs evaluated before it existed. */
const psnrSet = (f: Finished): number | undefined => (f.metrics.test as { psnrSet?: number }).psnrSet;

/** An experiment's arms: each model, once per arm (variant, grid combination). */
const armsOf = (e: Experiment) => e.models.flatMap((model) => experimentArms(e).map((a) => ({ model, variant: a.label })));
const armName = (arm: { model: string; variant: string | null }) => (arm.variant ? `${arm.model} (${arm.variant})` : arm.model);

/**
 * PSNR of the set (the headline), the mean of per-image PSNR and SSIM of the pair runs (and MS-SSIM
 * where the runs report it: colour images), a row per model and arm (variant, grid combination); then the paired differences.
 */
function pairTable(e: Experiment, finished: Finished[]): string[] {
  const labels = e.data.map(dataLabel);
  const ms = finished.some((f) => f.metrics.test.msssim !== undefined);
  const metrics = ['PSNR (set)', 'PSNR (per image)', 'SSIM', ...(ms ? ['MS-SSIM'] : [])];
  const lines = [
    '',
    `${metrics.join(', ')} of g·x predicted from x and g, on each data set's test pairs (the same pairs for every run). PSNR in dB: of the set, 10·log10(1/MSE) with the MSE over all its pixels; per image, the mean of each image's dB (capped at 100).`,
    '',
    `| model | ${labels.map((l) => metrics.map((m) => `${l} ${m}`).join(' | ')).join(' | ')} | seeds |`,
    `| --- | ${labels.map(() => metrics.map(() => '---').join(' | ')).join(' | ')} | --- |`,
  ];
  for (const model of e.models) {
    for (const variant of experimentArms(e).map((a) => a.label)) {
      let seeds = 0;
      const cells = labels.map((label) => {
        const runs = byKey(finished, model, label, variant);
        seeds = Math.max(seeds, runs.length);
        const msssim = runs.map((f) => f.metrics.test.msssim).filter((v): v is number => v !== undefined);
        const set = runs.map(psnrSet).filter((v): v is number => v !== undefined);
        return [cell(set), cell(runs.map((f) => f.metrics.test.psnr)), cell(runs.map((f) => f.metrics.test.ssim), 4), ...(ms ? [cell(msssim, 4)] : [])].join(' | ');
      });
      lines.push(`| ${armName({ model, variant })} | ${cells.join(' | ')} | ${seeds} |`);
    }
  }
  return [...lines, ...pairedTable(e, finished)];
}

/**
 * The first arm minus each other arm, seed by seed (runs of one seed share the data's order and the
 * test pairs), on PSNR of the set and SSIM: the mean difference with its 95 % t interval. Paired,
 * the seed-to-seed spread that both arms share drops out of the interval.
 */
function pairedTable(e: Experiment, finished: Finished[]): string[] {
  const [first, ...others] = armsOf(e);
  if (others.length === 0) return [];
  const interval = (d: number[], digits: number) => {
    if (d.length === 0) return '— | —';
    const i = meanInterval(d);
    return `${formatInterval(i, digits)} | ${i.halfWidth === null ? '—' : `[${(i.mean - i.halfWidth).toFixed(digits)}, ${(i.mean + i.halfWidth).toFixed(digits)}]`}`;
  };
  const lines = [
    '',
    `### Paired differences: ${armName(first)} minus each other arm`,
    '',
    `Seed by seed on the same test pairs: the mean difference ± its 95 % t interval (n − 1 degrees of freedom over the shared seeds), and the interval; an interval wholly above 0 says ${armName(first)} is ahead at that level.`,
    '',
    '| difference | data | Δ PSNR (set) dB | interval | Δ SSIM | interval | seeds |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const other of others) {
    for (const label of e.data.map(dataLabel)) {
      const mine = byKey(finished, first.model, label, first.variant);
      const theirs = byKey(finished, other.model, label, other.variant);
      const pairs = mine.flatMap((a) => theirs.filter((b) => b.run.seed === a.run.seed).map((b) => [a, b] as const));
      const psnr = pairs.filter(([a, b]) => psnrSet(a) !== undefined && psnrSet(b) !== undefined).map(([a, b]) => psnrSet(a)! - psnrSet(b)!);
      const ssim = pairs.map(([a, b]) => a.metrics.test.ssim - b.metrics.test.ssim);
      lines.push(`| ${armName(first)} − ${armName(other)} | ${label} | ${interval(psnr, 2)} | ${interval(ssim, 4)} | ${pairs.length} |`);
    }
  }
  return lines;
}

const sci = (x: number) => x.toExponential(1);

async function lawsTable(finished: Finished[], note: (text: string) => void): Promise<string[]> {
  const rows: string[] = [];
  let sample = '';
  let backend = '';
  for (const f of finished) {
    if (!modelSpec(f.run.model).traits.groupLaws) continue;
    note(`group laws: ${f.run.name} in float32 and float64`);
    const laws: RunLaws | null = await runLaws(f.run.dir);
    if (!laws) continue;
    sample = laws.sample;
    backend = laws.backend;
    const l32 = laws.float32;
    const l64 = laws.float64;
    rows.push(`| ${f.run.name} | ${sci(l32.identity)} | ${sci(l32.composition)} | ${sci(l32.inverse)} | ${sci(l64.identity)} | ${sci(l64.composition)} | ${sci(l64.inverse)} |`);
  }
  if (rows.length === 0) return [];
  return [
    '',
    '### Group laws of the trained runs',
    '',
    `max |Δpixel| over ${sample}: identity D(e, x) vs x, composition D(z₂, D(z₁, x)) vs D(z₂·z₁, x), inverse D(z₁⁻¹, D(z₁, x)) vs x; float32 on ${backend}, float64 on the cpu reference backend (same weights). Laws that hold in float64 and not in float32 are float32 rounding, not a flaw of the decoder (docs/group-laws.md).`,
    '',
    '| run | identity f32 | composition f32 | inverse f32 | identity f64 | composition f64 | inverse f64 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/**
 * The blog's Figure 4: test images of the first split, then each model's reconstructions of them
 * when trained on each split (seed 0), one row each.
 */
async function recombinationFigure(e: Experiment, finished: Finished[], dir: string, note: (text: string) => void): Promise<{ file: string; markdown: (relative: string) => string } | null> {
  const [element] = e.data.map(dataLabel);
  const first = finished.find((f) => f.run.seed === 0 && dataLabel(f.run.data) === element);
  if (!first) return null;
  const columns = 8;
  const rows: Tiles = [];
  const captions: string[] = [];
  let varying: Int32Array | null = null;
  for (const data of e.data) {
    for (const model of e.models) {
      const f = finished.find((r) => r.run.seed === 0 && r.run.model === model && dataLabel(r.run.data) === dataLabel(data));
      if (!f) continue;
      const trained = await loadTrainedModel(f.run.dir);
      try {
        const ix = evalIndices(trained.model, { split: splitOf(first.config), part: 'test', count: columns, seed: 0 });
        if (!varying) {
          varying = ix.varying;
          rows.push(split(dsprites.renderBatch(varying), PIXELS));
          captions.push(`the first ${columns} ${element} test images`);
        }
        note(`figure: ${f.run.name} reconstructs the ${element} test images`);
        rows.push(split(await reconstructions(trained.model, ix.pivot, varying), PIXELS));
        captions.push(`${model} trained on ${dataLabel(data)}`);
      } finally {
        trained.model.dispose();
      }
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${e.name}-recombination.png`);
  writeFileAtomic(file, encodePng(grid(rows, 1)));
  return { file, markdown: (relative) => `![${e.name}: recombination](${relative})\n\nRows, top to bottom: ${captions.join('; ')} (seed 0; the blog's Figure 4).` };
}

/** The blog's latent maps for the seed-0 runs of the first split, MAGANet left of the β-VAE. */
async function blogLatentMaps(e: Experiment, finished: Finished[], dir: string, count: number, note: (text: string) => void) {
  const [element] = e.data.map(dataLabel);
  const label = (model: string) => (model === 'maganet' ? 'MAGANet' : model === 'vae' ? 'β-VAE' : model);
  const runs = e.models
    .map((model) => finished.find((f) => f.run.seed === 0 && f.run.model === model && dataLabel(f.run.data) === element))
    .filter((f): f is Finished => f !== undefined);
  if (runs.length === 0) return [];
  return latentMaps(
    runs.map((f) => ({ label: label(f.run.model), dir: f.run.dir })),
    { split: splitOf(runs[0].config), count, nNeighbors: 50, seed: 0, dir, prefix: e.name, note },
  );
}
