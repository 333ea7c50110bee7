// docs/results.md, written from the run directories of the experiments (never by hand): each
// experiment's table (means ± 95 % t intervals over seeds) beside the published numbers it
// reproduces, the group laws of every trained run in float32 and float64, the machine and backend,
// the wall time, the command, and figures (PNG) next to the file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dsprites, evalIndices, modelSpec, reconstructionDifference, reconstructions, ValidationError } from '@maga/model';
import { writeFileAtomic } from '../run/atomic.ts';
import { EXPERIMENTS, dataLabel, finishedRuns, planExperiment, readRecord, type Experiment, type ExperimentRecord, type PlannedRun } from './experiments.ts';
import { encodePng, grid, split, type Tiles } from '../figures/images.ts';
import { runLaws, type RunLaws } from '../evaluate/laws.ts';
import { latentMaps } from '../figures/latent-maps.ts';
import { PIXELS } from '../inference/adapters.ts';
import { loadTrainedModel } from '../inference/load.ts';
import { formatDuration } from '../train/progress.ts';
import { dataLabel as runDataLabel, splitOf as dataSplit, type RunConfig } from '../run/rundir.ts';
import { formatInterval, meanInterval } from './stats.ts';

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
  experiments?: readonly Experiment[];
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
}

type Finished = ReturnType<typeof finishedRuns>[number];

export async function writeResults(options: ResultsOptions): Promise<ResultsWritten> {
  const experiments = options.experiments ?? EXPERIMENTS;
  const note = options.note ?? (() => {});
  const figuresDir = path.join(path.dirname(options.out), 'figures');
  const figures: string[] = [];
  const reported: string[] = [];
  const cpus = os.cpus();
  const sections: string[] = [
    '# Results',
    '',
    `Written by \`bun run experiments\` (at the end of an experiment, or with \`--report\`) from the run directories under \`${options.runs}/\` on ${new Date().toISOString()}; do not edit by hand (rerun it).`,
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}. Summary computed on: ${options.backend}.`,
    'Intervals are 95 % intervals of the mean over seeds (Student t, n − 1 degrees of freedom).',
  ];
  for (const e of experiments) {
    const root = path.join(options.runs, e.name);
    const record = readRecord(root);
    sections.push('', `## ${e.name}: ${e.title}`, '', ...(e.description ? [`${e.description}.`, ''] : []));
    if (!record) {
      sections.push(`Not run yet: \`bun run experiments ${e.name}\` (\`--dry-run\` lists its runs and their estimated time).`);
      continue;
    }
    let planned: PlannedRun[];
    try {
      planned = planExperiment(e, { runs: options.runs, seeds: record.seeds, preset: record.preset });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      sections.push(`Cannot be summarised: ${err.message}`);
      continue;
    }
    const finished = finishedRuns(planned);
    sections.push(...provenance(e, record, planned, finished));
    if (finished.length === 0) continue;
    reported.push(e.name);
    if (e.table === 'blog') sections.push(...(await blogTable(e, finished, note)));
    else sections.push(...pairTable(e, finished));
    sections.push(...(await lawsTable(finished, note)));
    if (e.table === 'blog') {
      const figure = await recombinationFigure(e, finished, figuresDir, note);
      if (figure) {
        figures.push(figure.file);
        sections.push('', figure.markdown(path.relative(path.dirname(options.out), figure.file)));
      }
      const maps = await blogLatentMaps(e, finished, figuresDir, options.latentMapPoints ?? (record.preset === 'tiny' ? 200 : 2000), note);
      if (maps.length > 0) {
        sections.push('', '### Latent maps', '', "The blog's Figures 5–8: where each model puts the training images, seed 0. MAGANet's code is the transformation from its pivot, z = μ(E(x)) − μ(E(pivot)); the β-VAE's is μ(x).");
        for (const m of maps) {
          figures.push(m.file);
          sections.push('', `![${e.name}: latent map by ${m.factor}](${path.relative(path.dirname(options.out), m.file)})`, '', `${m.caption}.`);
        }
      }
    }
  }
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  writeFileAtomic(options.out, `${sections.join('\n')}\n`);
  return { file: options.out, figures, reported };
}

function provenance(e: Experiment, record: ExperimentRecord, planned: PlannedRun[], finished: Finished[]): string[] {
  const backends = [...new Set(finished.map((f) => f.config.backend))];
  const training = finished.reduce((s, f) => s + f.trainingSeconds, 0);
  const steps = [...new Set(finished.map((f) => f.config.training.steps))].join(', ');
  return [
    `- Command: \`${record.command}\``,
    `- Runs: ${finished.length} of ${planned.length} finished (${e.models.join(', ')}${e.variants ? ` × ${e.variants.map((v) => v.label).join(', ')}` : ''} × ${e.data.map(dataLabel).join(', ')} × ${record.seeds} seeds, preset ${record.preset}, ${steps} steps each), in \`${path.join(path.dirname(planned[0].dir))}/\``,
    `- Sizing: ${e.sizing}`,
    `- Backend${backends.length === 1 ? '' : 's'}: ${backends.join('; ') || 'none yet'}`,
    `- Wall time: ${formatDuration(record.wallSeconds)} for the experiment's runs (${formatDuration(training)} of it training steps); started ${record.startedAt}${record.finishedAt ? `, finished ${record.finishedAt}` : ', not finished'}`,
  ];
}

const byKey = (finished: Finished[], model: string, label: string, variant: string | null = null) =>
  finished.filter((f) => f.run.model === model && f.run.variant === variant && dataLabel(f.run.data) === label).sort((a, b) => a.run.seed - b.run.seed);

const cell = (values: number[], digits = 2) => (values.length === 0 ? '—' : formatInterval(meanInterval(values), digits));

async function blogTable(e: Experiment, finished: Finished[], note: (text: string) => void): Promise<string[]> {
  const [element, range] = e.data.map(dataLabel);
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

/** PSNR and SSIM of the pair runs (and MS-SSIM where the runs report it: colour images), a row per model and ablation arm. */
function pairTable(e: Experiment, finished: Finished[]): string[] {
  const labels = e.data.map(dataLabel);
  const ms = finished.some((f) => f.metrics.test.msssim !== undefined);
  const metrics = ['PSNR', 'SSIM', ...(ms ? ['MS-SSIM'] : [])];
  const lines = [
    '',
    `${metrics.join(', ')} (PSNR in dB) of g·x predicted from x and g, on each data set's test pairs.`,
    '',
    `| model | ${labels.map((l) => metrics.map((m) => `${l} ${m}`).join(' | ')).join(' | ')} | seeds |`,
    `| --- | ${labels.map(() => metrics.map(() => '---').join(' | ')).join(' | ')} | --- |`,
  ];
  for (const model of e.models) {
    for (const variant of e.variants?.map((v) => v.label) ?? [null]) {
      let seeds = 0;
      const cells = labels.map((label) => {
        const runs = byKey(finished, model, label, variant);
        seeds = Math.max(seeds, runs.length);
        const msssim = runs.map((f) => f.metrics.test.msssim).filter((v): v is number => v !== undefined);
        return [cell(runs.map((f) => f.metrics.test.psnr)), cell(runs.map((f) => f.metrics.test.ssim), 4), ...(ms ? [cell(msssim, 4)] : [])].join(' | ');
      });
      lines.push(`| ${variant ? `${model} (${variant})` : model} | ${cells.join(' | ')} | ${seeds} |`);
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
