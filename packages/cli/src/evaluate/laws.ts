// The group laws of a trained run, measured: max |Δpixel| of identity D(e, x) = x, composition
// D(z₂, D(z₁, x)) = D(z₂·z₁, x) and inverse D(z₁⁻¹, D(z₁, x)) = x over a fixed set of test pivots
// and pairs, once on the float32 backend in use and once on the float64 cpu reference backend, so
// that a law that fails only in float32 shows as rounding and one that fails in both as a bug.
import { dsprites, evalIndices, type Model } from '@maga/model';
import * as T from '@maga/tensor';
import { openRunDataset } from '../train/data.ts';
import { IMAGE } from '../inference/adapters.ts';
import { loadTrainedModel } from '../inference/load.ts';
import { readRunConfig, splitOf, type RunConfig } from '../run/rundir.ts';

export interface LawErrors {
  identity: number;
  composition: number;
  inverse: number;
}

export interface RunLaws {
  /** What was measured: the pivots and pairs, in words. */
  sample: string;
  triples: number;
  float32: LawErrors;
  float64: LawErrors;
  /** The float32 backend's description. */
  backend: string;
}

/** Pivots and code pairs: the fixed pivot and 3 test images as pivots, × 4 pairs (z₁, z₂) of test images' codes from the fixed pivot. */
export const LAW_PIVOTS = 4;
export const LAW_PAIRS = 4;

/** The dSprites indices of the law sample: each triple (pivot, a, b) with z₁ = code(a), z₂ = code(b). */
export function lawSample(model: Model, split: Parameters<typeof evalIndices>[1]['split']): { pivots: number[]; a: number[]; b: number[] } {
  const { varying } = evalIndices(model, { split, part: 'test', count: LAW_PIVOTS - 1 + 2 * LAW_PAIRS, seed: 0 });
  const test = Array.from(varying);
  const pivotImages = [dsprites.FIXED_PIVOT.index, ...test.slice(0, LAW_PIVOTS - 1)];
  const as = test.slice(LAW_PIVOTS - 1, LAW_PIVOTS - 1 + LAW_PAIRS);
  const bs = test.slice(LAW_PIVOTS - 1 + LAW_PAIRS);
  const pivots: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (const p of pivotImages) {
    for (let k = 0; k < LAW_PAIRS; k++) {
      pivots.push(p);
      a.push(as[k]);
      b.push(bs[k]);
    }
  }
  return { pivots, a, b };
}

const images = (indices: number[]) => T.tensor(dsprites.renderBatch(indices), [indices.length, 1, IMAGE, IMAGE]);

async function maxAbs(a: T.Tensor, b: T.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data64(), b.data64()]); // float64 values on the reference backend, not rounded to float32
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** The three laws' max |Δpixel| on the current backend (raw decodes, unclamped), dSprites pivots and learned codes. */
export function lawErrors(model: Model, sample: { pivots: number[]; a: number[]; b: number[] }): Promise<LawErrors> {
  return lawErrorsOf(model, () => {
    // The codes are the transformations from the fixed pivot to a and to b (the viewer's choice),
    // applied to each pivot of the sample.
    const fixed = images([dsprites.FIXED_PIVOT.index]);
    return { pivot: images(sample.pivots), z1: model.code(images(sample.a), fixed), z2: model.code(images(sample.b), fixed) };
  });
}

/** A known-group run's law sample: test images x of its evaluation set, with g₁ the pair's own element and g₂ the next pair's. */
export interface PairLawSample {
  x: Float32Array;
  shape: readonly [number, number, number];
  /** Elements, `size` numbers each (1, or 4 for SO(3)). */
  g1: Float32Array;
  g2: Float32Array;
  size: number;
}

export const PAIR_LAW_IMAGES = 8;

export function pairLawErrors(model: Model, sample: PairLawSample): Promise<LawErrors> {
  const k = sample.size;
  const n = sample.g1.length / k;
  return lawErrorsOf(model, () => ({ pivot: T.tensor(sample.x, [n, ...sample.shape]), z1: T.tensor(sample.g1, [n, k]), z2: T.tensor(sample.g2, [n, k]) }));
}

async function lawErrorsOf(model: Model, build: () => { pivot: T.Tensor; z1: T.Tensor; z2: T.Tensor }): Promise<LawErrors> {
  const laws = model.groupLaws?.bind(model);
  if (!model.traits.groupLaws || !laws) throw new Error(`group laws: a ${model.traits.label} has no group action`);
  const out = T.noGrad(() =>
    T.tidy(() => {
      const { pivot, z1, z2 } = build();
      const l = laws(pivot, z1, z2);
      return [l.input, l.identity, l.sequential, l.combined, l.roundTrip];
    }),
  );
  const [input, identity, sequential, combined, roundTrip] = out;
  const result = { identity: await maxAbs(identity, input), composition: await maxAbs(sequential, combined), inverse: await maxAbs(roundTrip, input) };
  for (const t of out) t.dispose();
  return result;
}

/** The split of a run whose model infers its code from dSprites images. */
function dsSplit(config: RunConfig) {
  const split = splitOf(config.data);
  if (split === null) throw new Error(`group laws: a ${config.model.model} run on ${config.data.dataset} has no dSprites split to draw its codes from`);
  return split;
}

/** The laws of the run in `dir`, in float32 on the current backend and in float64 on the reference backend. */
export async function runLaws(dir: string): Promise<RunLaws | null> {
  const config = readRunConfig(dir);
  const trained = await loadTrainedModel(dir, undefined, config);
  if (!trained.model.traits.groupLaws) {
    trained.model.dispose();
    return null;
  }
  let measure: (model: Model) => Promise<LawErrors>;
  let described: string;
  let triples: number;
  // A known g comes with the data: the laws are measured on its evaluation set's elements; a learned
  // z is inferred from images: on codes between the split's test images (ModelTraits.element).
  if (trained.model.traits.element === 'known') {
    const dataset = await openRunDataset(config);
    const specs = dataset.evaluationSet({ pairs: PAIR_LAW_IMAGES, seed: 0 }).specs;
    const elements = specs.map((s) => dataset.element(s));
    const g1 = Float32Array.from(elements.flat());
    const g2 = Float32Array.from(elements.map((_, i) => elements[(i + 1) % elements.length]).flat());
    const sample: PairLawSample = { x: dataset.renderPairs(specs).x, shape: dataset.imageShape, g1, g2, size: dataset.elementSize };
    measure = (model) => pairLawErrors(model, sample);
    described = `the first ${PAIR_LAW_IMAGES} test images x of the evaluation set, g₁ each pair's element and g₂ the next pair's`;
    triples = PAIR_LAW_IMAGES;
  } else {
    const sample = lawSample(trained.model, dsSplit(config));
    measure = (model) => lawErrors(model, sample);
    described = `the fixed pivot and ${LAW_PIVOTS - 1} test images as pivots × ${LAW_PAIRS} pairs of test images' codes (z₁, z₂) from the fixed pivot`;
    triples = sample.pivots.length;
  }
  const backend = T.backend().description;
  let float32: LawErrors;
  try {
    float32 = await measure(trained.model);
  } finally {
    trained.model.dispose();
  }
  const float64 = await T.withBackend(new T.CpuBackend({ float64: true }), async () => {
    const reference = await loadTrainedModel(dir, undefined, config);
    try {
      return await measure(reference.model);
    } finally {
      reference.model.dispose();
    }
  });
  return { sample: described, triples, float32, float64, backend };
}
