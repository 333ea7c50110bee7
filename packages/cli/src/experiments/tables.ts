// The built-in experiments: tables of runs as data (table.ts says what a table may hold; the
// runner, the estimates and the results read them). A new experiment is one entry here, or a JSON
// file of the same shape given with --table.
import type { Experiment } from './table.ts';

/**
 * blog-table: the MAGANet blog's recombination table (BCE per image on to-element, to-range and
 * to-diff). Its to-range is the blog's own (ellipses with posX ≥ 0.5 held out: our split
 * to-range-ellipse), because to-diff compares the two trainings' reconstructions of the to-element
 * test images, which must be held out of both. Its runs log a test curve (--eval-every), so the
 * results show where each model's to-range error stops falling.
 */
export const EXPERIMENTS: Experiment[] = [
  {
    name: 'blog-table',
    title: "MAGANet vs β-VAE on dSprites recombination (the blog's table)",
    description: "BCE per image on recombination-to-element, to-range (the blog's ellipse variant) and to-diff, MAGANet against the β-VAE, mean ± 95 % interval over seeds, beside the blog's numbers",
    models: ['maganet', 'vae'],
    data: [{ split: 'to-element' }, { split: 'to-range-ellipse' }],
    seeds: 3,
    preset: 'quick',
    training: {
      quick: { steps: 2000, 'eval-count': 1024, 'eval-every': 200, 'eval-sample': 256 },
      // The blog's budget: 100 epochs of batch 64 on 70 % of dSprites' 737,280 images ≈ 51.6 M images.
      paper: { steps: 806_400, 'eval-every': 20_160, 'eval-sample': 1024 },
      tiny: { 'eval-count': 16, 'eval-every': 2, 'eval-sample': 16 },
    },
    sizing:
      '2000 steps of batch 32 for every run (the quick preset, the same for both models): a MAGANet run is 64,000 images at ≈ 229 images/s, ≈ 5 min ' +
      'with its evaluation, 30 min for the 6; a β-VAE run trains at ≈ 270 images/s (measured on a quiet machine, 2026-12-02), ≈ 4.5 min, ' +
      '27 min for the 6: ≈ 1 h in all, inside the 2 h budget, so both models get the quick preset unchanged. ' +
      'The summary (to-diff, group laws in float64) adds minutes. 1024 test images per evaluation; a test curve of 256 test and 256 train images every 200 steps. ' +
      "--preset paper gives each run the blog's budget (806,400 steps of batch 64, ≈ 51.6 M images: 100 epochs of 70 % of dSprites) — a cluster's work: --slurm",
    table: 'blog',
  },
  {
    name: 'latent-action-table',
    title: 'Latent group actions vs the flow baseline on known-group pairs (Jin et al.)',
    description: 'PSNR and SSIM of g·x predicted from x and a known g, latent-action against flow-action, on rotated-mnist, rotated-blocked-mnist and contrast, mean ± 95 % interval over seeds',
    models: ['latent-action', 'flow-action'],
    data: [
      { dataset: 'rotated-mnist', group: 'so2' },
      { dataset: 'rotated-blocked-mnist', group: 'so2' },
      { dataset: 'contrast', group: 'c4' },
    ],
    seeds: 3,
    preset: 'quick',
    training: {},
    sizing:
      "the quick preset's pair settings for both models (2000 steps of batch 32, the same pairs and steps for either): on a quiet 2-core machine ≈ 2.5 min a latent-action run " +
      'and ≈ 1.5 min a flow-action run, 18 runs ≈ 40 min (measured 2026-12-02: 59 min with one thread per run, two experiments side by side); --preset paper (50,000 steps of batch 64) for a GPU',
    table: 'latent-action',
  },
  {
    name: 'objects3d-skips',
    title: 'The skip-connection ablation of latent-action on rendered 3-D objects (Jin et al.)',
    description:
      'PSNR, SSIM and MS-SSIM of R·x predicted from x and a known rotation R ∈ SO(3), latent-action with and without its skip connections through the action, on the procedural objects3d renders (3×64×64), mean ± 95 % interval over seeds',
    models: ['latent-action'],
    variants: [
      { label: 'skips-on', skips: 'channels' },
      { label: 'skips-off', skips: 'none' },
    ],
    data: [{ dataset: 'objects3d', group: 'so3' }],
    seeds: 3,
    preset: 'quick',
    training: {},
    sizing:
      "the quick preset's 3-D lengths for both arms (3200 steps of batch 32 on 3×64×64 renders, 102,400 pairs, 240 test pairs): ≈ 9–10 min a run on a quiet machine, " +
      '6 runs ≈ 1 h; --preset paper (50,000 steps of batch 64) for a GPU',
    table: 'latent-action',
  },
];
