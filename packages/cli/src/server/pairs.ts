// The images of a known-group (pair) run for the API: its data set's sources at a grid of base
// values, addressed by one integer so that every route that takes image indices (pivot, indices,
// targets) works for these runs as it does for dSprites:
//   rotated-mnist, rotated-blocked-mnist: index = source·360 + k, the digit `source` turned by k°;
//   contrast (C_n):                       index = phantom·n + k, the phantom under setting k.
// A 1° grid because the viewer picks angles by the degree; the models are trained on any angle.
// Samples come from the test sources (digits or phantoms never seen in training) unless asked.
import { groupFactors, modelSpec, openGroupDataset, parseDataGroup, parseGroupDataset, type FactorValues, type GroupDataset, type GroupDatasetName, type GroupFactorInfo, type GroupSpec, type ImageSource, type ModelConfig } from '@maga/model';
import { threefry2x32 as threefry } from '@maga/tensor';

/** Base angles per turn in the MNIST sets' image grid. */
export const ANGLE_STEPS = 360;

/** What config.json's `data` says for a pair run (schema: { dataset, group, limit }). */
export interface PairRunData {
  dataset: GroupDatasetName;
  /** The data set's group label, 'so2' or 'c<n>'. */
  group: string;
  limit: number | null;
}

/**
 * The group a run takes as the API shows it: SO(2) (elements: an angle in radians), C_n (an
 * integer j ∈ [0, n)) or SO(3) (a unit quaternion [w, x, y, z]).
 */
export type ApiGroup = { kind: 'so2' } | { kind: 'cyclic'; n: number } | { kind: 'so3' };

/** `data` of a run's config when it is a pair run, else null (a dSprites run). */
export function pairData(data: unknown): PairRunData | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (d.dataset === 'dsprites' || typeof d.dataset !== 'string' || typeof d.group !== 'string') return null;
  return { dataset: parseGroupDataset(d.dataset), group: d.group, limit: typeof d.limit === 'number' ? d.limit : null };
}

/** The known group a model takes (its elements g), as the API names it; null for a model with a learned z. */
export function modelGroup(config: ModelConfig): ApiGroup | null {
  const group = modelSpec(config.model).group(config);
  if (!group) return null;
  if (group.kind === 'so2') return { kind: 'so2' };
  if (group.kind === 'cyclic') return { kind: 'cyclic', n: group.n };
  return { kind: 'so3' };
}

/** A group's short label, as data set groups are named: 'so2', 'c4', 'so3'. */
export const apiGroupLabel = (group: ApiGroup) => (group.kind === 'cyclic' ? `c${group.n}` : group.kind);

export function apiGroup(spec: GroupSpec): ApiGroup {
  return spec.kind === 'so2' ? { kind: 'so2' } : { kind: 'cyclic', n: spec.order };
}

/**
 * One image's factors as the API sends them: the data set's factor values by name (digit, angle,
 * index; phantom, setting; or a 3-D object's class, object, pose and view).
 */
export type PairFactorsJson = FactorValues | Record<string, number>;

export class PairImages implements ImageSource {
  readonly shape = [1, 32, 32] as const;
  /** Base values per source: 360 angles, or the n contrast settings. */
  readonly steps: number;
  readonly count: number;
  readonly group: ApiGroup;
  readonly factors: readonly GroupFactorInfo[];
  private readonly testSources: Int32Array;
  private readonly trainSources: Int32Array;

  private constructor(readonly dataset: GroupDataset) {
    this.steps = dataset.name === 'contrast' ? (dataset.group.kind === 'cN' ? dataset.group.order : 1) : ANGLE_STEPS;
    this.count = dataset.count * this.steps;
    this.group = apiGroup(dataset.group);
    this.factors = groupFactors(dataset.name, dataset.group);
    this.testSources = dataset.part('test');
    this.trainSources = dataset.part('train');
  }

  private static readonly opened = new Map<string, Promise<PairImages>>();

  /** The images of a pair run's data set (opened once per data set and group per process). */
  static open(data: PairRunData): Promise<PairImages> {
    const key = `${data.dataset}|${data.group}`;
    let images = PairImages.opened.get(key);
    if (!images) {
      images = openGroupDataset(data.dataset, parseDataGroup(data.group)).then((d) => new PairImages(d));
      images.catch(() => PairImages.opened.delete(key));
      PairImages.opened.set(key, images);
    }
    return images;
  }

  /** The source and base value (angle in radians or setting) of an image index. */
  private base(index: number): { source: number; base: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new Error(`image index ${index} is out of range: expected an integer in [0, ${this.count - 1}]`);
    const source = Math.floor(index / this.steps);
    const k = index % this.steps;
    return { source, base: this.dataset.name === 'contrast' ? k : (2 * Math.PI * k) / ANGLE_STEPS };
  }

  /** The index of a source at step k (k degrees, or setting k). */
  indexOf(source: number, k: number): number {
    return source * this.steps + k;
  }

  factorsOf(index: number): PairFactorsJson {
    const { source, base } = this.base(index);
    return this.dataset.pairFactors({ source, base, g: 0 }).x;
  }

  render(indices: readonly number[]): Float32Array {
    const pixels = this.shape[1] * this.shape[2];
    const out = new Float32Array(indices.length * pixels);
    indices.forEach((index, i) => this.dataset.renderImage(this.factorsOf(index), out, i * pixels));
    return out;
  }

  /** The first test source, upright (or under the first setting): the default image to act on. */
  get defaultPivot(): number {
    return this.indexOf(this.testSources[0], 0);
  }

  /**
   * `count` images of a part (at most one per source, fewer when the part is smaller): seeded
   * distinct sources, each at a seeded base value.
   */
  samples(part: 'train' | 'test', count: number, seed: number): number[] {
    return seededSamples(part === 'test' ? this.testSources : this.trainSources, count, [seed, part === 'test' ? 1 : 2], this.steps, (source, k) => this.indexOf(source, k));
  }

  /** What `GET /api/runs/:id/dataset` says of a pair run's images. */
  info() {
    return {
      kind: 'pairs' as const,
      dataset: this.dataset.name,
      group: this.group,
      imageSize: this.shape[1],
      count: this.count,
      sources: this.dataset.count,
      testSources: this.testSources.length,
      steps: this.steps,
      index: this.dataset.name === 'contrast' ? 'phantom·n + setting' : `source·${ANGLE_STEPS} + degrees`,
      factors: this.factors,
      fixedPivot: this.defaultPivot,
    };
  }
}

/**
 * `count` images of a pair set's part (at most one per source, fewer when the part is smaller):
 * seeded distinct sources — a partial Fisher–Yates shuffle, the first n positions distinct — each at
 * a seeded step in [0, steps). `key` is Threefry's key: the seed and a word that keeps streams apart.
 */
export function seededSamples(sources: ArrayLike<number>, count: number, key: [number, number], steps: number, indexOf: (source: number, step: number) => number): number[] {
  const order = Array.from(sources);
  const n = Math.min(count, order.length);
  for (let i = 0; i < n; i++) {
    const [w0, w1] = threefry(key[0] >>> 0, key[1], i, 0);
    const j = i + (w0 % (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
    order[i] = indexOf(order[i], w1 % steps);
  }
  return order.slice(0, n);
}
