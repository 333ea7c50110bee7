// The images of a 3-D pair run (objects3d, planes-sky) for the API: each object under a grid of
// poses, addressed by one integer as the 2-D pair runs' images are (server/pairs.ts), so that every
// route that takes image indices works for these runs too:
//   index = object·360 + view
//   - group so2 (turns about the vertical axis): view k is the upright object turned by k degrees
//     about the vertical axis, as the MNIST sets' k is the digit turned by k degrees;
//   - group so3 (any rotation): view 0 is the upright object; view k ≥ 1 is the k-th of a fixed list
//     of 359 rotations drawn uniformly on SO(3) (Shoemake's method on @maga/model's UniformStream keyed
//     by k alone), the same list for every object, so a view number means one pose across objects.
// 360 views either way: one scheme to read, fine enough to pick a pose by the degree (so2), and for
// so3 a sample of poses as training draws them (uniform) rather than a grid that favours its poles.
// Samples come from the test objects (never seen in training in any pose) unless asked.
import { CAMERA_ELEVATION, Objects3dDataset, quaternion, UniformStream, type ImageSource, type Objects3dFactorValues, type Objects3dName } from '@maga/model';
import { seededSamples, type ApiGroup } from './pairs.ts';

/** Poses per object in the image grid. */
export const VIEWS = 360;

type Quaternion = readonly [number, number, number, number];

/** What config.json's `data` says for a 3-D pair run. */
export interface RotationRunData {
  dataset: Objects3dName;
  /** 'so3' or 'so2'. */
  group: 'so3' | 'so2';
  /** The seed of the split by object (0 unless the run says). */
  splitSeed: number;
}

const VIEW_KEY = 0x76696577; // "view"


/** The pose of view `view` under `group` (see the top of this file), float32, w ≥ 0. */
export function viewPose(group: 'so3' | 'so2', view: number): Quaternion {
  if (!Number.isInteger(view) || view < 0 || view >= VIEWS) throw new Error(`view ${view} is out of range: expected an integer in [0, ${VIEWS - 1}]`);
  if (group === 'so2') return quaternion.roundToFloat32(quaternion.aboutVertical((2 * Math.PI * view) / VIEWS));
  if (view === 0) return quaternion.IDENTITY_QUATERNION;
  return quaternion.roundToFloat32(quaternion.randomRotation(new UniformStream(VIEW_KEY, view)));
}

/** The camera's tilt as a quaternion (a rotation about x by the elevation): the viewer's arcball turns objects in the camera's frame. */
export const CAMERA_QUATERNION: Quaternion = [Math.cos(CAMERA_ELEVATION / 2), Math.sin(CAMERA_ELEVATION / 2), 0, 0];

export class RotationImages implements ImageSource {
  readonly shape: readonly [number, number, number];
  readonly count: number;
  readonly steps = VIEWS;
  readonly group: ApiGroup;
  private readonly testSources: Int32Array;
  private readonly trainSources: Int32Array;
  private readonly poses: Quaternion[];

  private constructor(
    readonly dataset: Objects3dDataset,
    readonly splitSeed: number,
  ) {
    this.shape = dataset.imageShape;
    this.count = dataset.count * VIEWS;
    this.group = { kind: dataset.group };
    this.testSources = dataset.part('test', splitSeed);
    this.trainSources = dataset.part('train', splitSeed);
    this.poses = Array.from({ length: VIEWS }, (_, k) => viewPose(dataset.group, k));
  }

  private static readonly opened = new Map<string, RotationImages>();

  static open(data: RotationRunData): RotationImages {
    const key = `${data.dataset}|${data.group}|${data.splitSeed}`;
    let images = RotationImages.opened.get(key);
    if (!images) {
      images = new RotationImages(Objects3dDataset.open(data.dataset, data.group), data.splitSeed);
      RotationImages.opened.set(key, images);
    }
    return images;
  }

  /** The object and pose of an image index. */
  private at(index: number): { object: number; pose: Quaternion } {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new Error(`image index ${index} is out of range: expected an integer in [0, ${this.count - 1}]`);
    return { object: Math.floor(index / VIEWS), pose: this.poses[index % VIEWS] };
  }

  indexOf(object: number, view: number): number {
    return object * VIEWS + view;
  }

  factorsOf(index: number): Objects3dFactorValues & { view: number } {
    const { object, pose } = this.at(index);
    return { ...this.dataset.imageFactors(object, pose), view: index % VIEWS };
  }

  render(indices: readonly number[]): Float32Array {
    const values = this.shape[0] * this.shape[1] * this.shape[2];
    const out = new Float32Array(indices.length * values);
    indices.forEach((index, i) => {
      const { object, pose } = this.at(index);
      this.dataset.renderImage(object, pose, out, i * values);
    });
    return out;
  }

  /** The first test object, upright: the default image to act on. */
  get defaultPivot(): number {
    return this.indexOf(this.testSources[0], 0);
  }

  /** `count` images of a part: seeded distinct objects, each in a seeded view. */
  samples(part: 'train' | 'test', count: number, seed: number): number[] {
    return seededSamples(part === 'test' ? this.testSources : this.trainSources, count, [seed, part === 'test' ? 3 : 4], VIEWS, (object, view) => this.indexOf(object, view));
  }

  info() {
    return {
      kind: 'pairs' as const,
      dataset: this.dataset.name,
      group: this.group,
      imageSize: this.shape[1],
      channels: this.shape[0],
      count: this.count,
      sources: this.dataset.count,
      testSources: this.testSources.length,
      steps: VIEWS,
      index: this.dataset.group === 'so2' ? `object·${VIEWS} + degrees about the vertical axis` : `object·${VIEWS} + view (0: upright; 1–${VIEWS - 1}: fixed uniform rotations)`,
      factors: [...this.dataset.factors, { name: 'view', kind: 'id', description: `the view of the image grid, 0–${VIEWS - 1}` }],
      fixedPivot: this.defaultPivot,
      camera: CAMERA_QUATERNION,
    };
  }
}

/** `data` of a run's config when it is a 3-D pair run, else null. */
export function rotationData(data: unknown): RotationRunData | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (d.dataset !== 'objects3d' && d.dataset !== 'planes-sky') return null;
  if (d.group !== 'so3' && d.group !== 'so2') throw new Error(`a ${d.dataset} run's data.group must be 'so3' or 'so2', got ${JSON.stringify(d.group)}`);
  const splitSeed = d.splitSeed ?? 0;
  if (typeof splitSeed !== 'number' || !Number.isInteger(splitSeed) || splitSeed < 0) throw new Error(`data.splitSeed must be a non-negative integer, got ${JSON.stringify(d.splitSeed)}`);
  return { dataset: d.dataset, group: d.group, splitSeed };
}
