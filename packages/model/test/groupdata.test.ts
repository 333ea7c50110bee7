// The known-group data sets: rotation (identity, exact quarter turns, a linear ramp against its
// analytic rotation, θ then −θ), the block, splits disjoint by source, factor round trips, the
// contrast phantoms' invariant anatomy and cyclic settings, sampler determinism and resumption,
// the evaluation set, and errors for bad input.
import { beforeAll, describe, expect, test } from 'bun:test';
import * as contrast from '../src/data/contrast.ts';
import { BLOCK, GROUP_IMAGE_SIZE, GroupDataset, PairSampler, evaluationSet, type GroupPairBatch } from '../src/data/groupdata.ts';
import { openDataset } from '../src/data/registry.ts';
import { ANGLE_BUCKETS, angleBucket } from '../src/groups/so2.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { padImage, quarterTurns, rotateImage } from '../src/data/rotation.ts';
import { seededRandom } from '../../../test/support/random.ts';

const S = GROUP_IMAGE_SIZE;
/** A 2-D set opened through the registry, as the CLI opens it. */
const openGroupDataset = async (name: string, group: string) => (await openDataset(name, group)) as GroupDataset;
const PIXELS = S * S;
const image = (batch: Float32Array, i: number) => batch.subarray(i * PIXELS, (i + 1) * PIXELS);
const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};
// Pixels whose centre lies within `radius` of the image centre: the part that stays in the frame
// under every rotation (a square's corners leave it).
const interior = (radius: number) =>
  Array.from({ length: PIXELS }, (_, i) => i).filter((i) => Math.hypot((i % S) + 0.5 - S / 2, Math.floor(i / S) + 0.5 - S / 2) <= radius);

// Seeded test images from the tests' generator, independent of the code under test.
const noise = (seed: number, n = PIXELS): Float32Array => Float32Array.from({ length: n }, seededRandom(seed));

describe('rotation', () => {
  const picture = noise(1);

  test('rotation by 0 and by 2π returns the image exactly', () => {
    expect(Array.from(rotateImage(picture, S, 0))).toEqual(Array.from(picture));
    expect(Array.from(rotateImage(picture, S, 2 * Math.PI))).toEqual(Array.from(picture));
  });

  test('four quarter turns return the image exactly, and a quarter turn is counter-clockwise', () => {
    let turned = picture;
    for (let t = 0; t < 4; t++) {
      turned = rotateImage(turned, S, Math.PI / 2);
      if (t < 3) expect(maxDifference(turned, picture)).toBeGreaterThan(0.5);
    }
    expect(Array.from(turned)).toEqual(Array.from(picture));
    // A dot right of the centre (row 15, column 28) moves above it (row 3, column 15).
    const dot = new Float32Array(PIXELS);
    dot[15 * S + 28] = 1;
    const moved = rotateImage(dot, S, Math.PI / 2);
    expect(moved[3 * S + 15]).toBe(1);
    expect(moved.reduce((a, b) => a + b, 0)).toBe(1);
    expect(quarterTurns(-Math.PI / 2)).toBe(3);
    expect(quarterTurns(1)).toBe(-1);
  });

  test('the exact quarter turns agree with bilinear resampling just off them', () => {
    for (const turns of [1, 2, 3]) {
      const exact = rotateImage(picture, S, (turns * Math.PI) / 2);
      const resampled = rotateImage(picture, S, (turns * Math.PI) / 2 + 1e-6);
      expect(maxDifference(exact, resampled)).toBeLessThan(1e-4);
    }
  });

  test('a linear ramp rotates into the analytically rotated ramp (bilinear is exact on linear images)', () => {
    const ramp = (x: number, y: number) => 0.5 + 0.02 * x - 0.013 * y; // x, y: offsets from the centre, y down
    const source = Float32Array.from({ length: PIXELS }, (_, i) => ramp((i % S) + 0.5 - S / 2, Math.floor(i / S) + 0.5 - S / 2));
    for (const theta of [0.3, 1.1, 2.9, -0.7]) {
      const rotated = rotateImage(source, S, theta);
      // Counter-clockwise on screen: the output at offset p shows the source at R(−θ)·p, with y up.
      for (const i of interior(13)) {
        const x = (i % S) + 0.5 - S / 2;
        const y = Math.floor(i / S) + 0.5 - S / 2;
        const [c, s] = [Math.cos(theta), Math.sin(theta)];
        const [xUp, yUp] = [x, -y];
        const expected = ramp(c * xUp + s * yUp, -(-s * xUp + c * yUp));
        expect(Math.abs(rotated[i] - expected)).toBeLessThan(1e-5);
      }
    }
  });

  test('rotating by θ then −θ returns a smooth image to within 0.04 and digits to a mean of 0.06 in the interior', async () => {
    const blob = Float32Array.from({ length: PIXELS }, (_, i) => Math.exp(-(((i % S) + 0.5 - 18) ** 2 + (Math.floor(i / S) + 0.5 - 13) ** 2) / 32));
    const inside = interior(14);
    for (const theta of [0.3, 1, 2.5, 4]) {
      const back = rotateImage(rotateImage(blob, S, theta), S, -theta);
      // Bilinear resampling blurs by up to a quarter pixel² per axis, twice: measured 0.025 at σ = 4 px.
      expect(maxDifference(inside.map((i) => back[i]), inside.map((i) => blob[i]))).toBeLessThan(0.04);
    }
    const { pixels } = await loadMnist();
    for (const [index, theta] of [[0, 0.7], [2500, 2.2], [9999, 5.1]]) {
      const digit = padImage(pixels, 28, S, undefined, 0, index * 784);
      const back = rotateImage(rotateImage(digit, S, theta), S, -theta);
      const mean = inside.reduce((sum, i) => sum + Math.abs(back[i] - digit[i]), 0) / inside.length;
      // Sharp strokes blur more; measured worst 0.044 over 64 test digits.
      expect(mean).toBeLessThan(0.06);
      expect(mean).toBeGreaterThan(0); // it is resampled, not copied
    }
  });

  test('bad input: a non-finite angle, a short array', () => {
    expect(() => rotateImage(picture, S, NaN)).toThrow(/angle must be a finite number.*NaN/);
    expect(() => rotateImage(picture, S, Infinity)).toThrow(/Infinity/);
    expect(() => rotateImage(picture.subarray(0, 100), S, 1)).toThrow(/32×32 image in an array of length 100/);
    expect(() => padImage(picture, 28, 31)).toThrow(/padded size 31/);
  });
});

// The registry's checks of names, groups and factors: registries.test.ts.

describe('data sets', () => {
  const sets: Record<string, GroupDataset> = {};
  beforeAll(async () => {
    sets['rotated-mnist/so2'] = await openGroupDataset('rotated-mnist', 'so2');
    sets['rotated-mnist/c4'] = await openGroupDataset('rotated-mnist', 'c4');
    sets['rotated-blocked-mnist/so2'] = await openGroupDataset('rotated-blocked-mnist', 'so2');
    sets['rotated-blocked-mnist/c3'] = await openGroupDataset('rotated-blocked-mnist', 'c3');
    sets['contrast/c4'] = await openGroupDataset('contrast', 'c4');
    sets['contrast/c7'] = await openGroupDataset('contrast', 'c7');
  });
  const batchOf = (key: string, seed = 5, batchSize = 16, part: 'train' | 'test' = 'train') => new PairSampler(sets[key], { part, batchSize, seed }).next();

  test('the mnist package holds 10,000 digits in [0, 1], class by class', async () => {
    const { pixels, labels, count } = await loadMnist();
    expect(count).toBe(10_000);
    expect(pixels.length).toBe(10_000 * 784);
    expect(Math.min(...pixels.subarray(0, 78400))).toBe(0);
    expect(Math.max(...pixels.subarray(0, 78400))).toBe(1);
    expect(labels[0]).toBe(0);
    expect(labels[9999]).toBe(9);
    expect(new Set(labels).size).toBe(10);
  });

  test('batches have the documented shape, pixels in [0, 1] and group elements of the group', () => {
    for (const key of Object.keys(sets)) {
      const batch = batchOf(key);
      expect(batch.size).toBe(16);
      expect(batch.imageShape).toEqual([1, 32, 32]);
      expect(batch.x.length).toBe(16 * PIXELS);
      expect(batch.gx.length).toBe(16 * PIXELS);
      expect(batch.g.length).toBe(16);
      for (const pixels of [batch.x, batch.gx]) {
        expect(Math.min(...pixels)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...pixels)).toBeLessThanOrEqual(1);
      }
      const group = sets[key].group;
      for (const g of batch.g) {
        if (group.kind === 'so2') expect(g >= 0 && g < 2 * Math.PI).toBe(true);
        else expect(Number.isInteger(g) && g >= 0 && g < group.order).toBe(true);
      }
      expect(maxDifference(batch.x, batch.gx)).toBeGreaterThan(0.1); // pairs are not copies (some g may be e)
    }
  });

  test('C₄ pairs are exact quarter turns of x (up to float rounding), SO(2) pairs rotations of x', () => {
    const quarter = batchOf('rotated-mnist/c4', 9, 32);
    for (let i = 0; i < quarter.size; i++) {
      expect(maxDifference(rotateImage(image(quarter.x, i), S, (quarter.g[i] * Math.PI) / 2), image(quarter.gx, i))).toBeLessThan(1e-5);
    }
    const free = batchOf('rotated-mnist/so2', 9, 32);
    for (let i = 0; i < free.size; i++) {
      const rotated = rotateImage(image(free.x, i), S, free.g[i]);
      const gx = image(free.gx, i);
      const inside = interior(13);
      // x resampled again against g·x resampled once: measured mean 0.016 over a batch of 64.
      expect(inside.reduce((sum, p) => sum + Math.abs(rotated[p] - gx[p]), 0) / inside.length).toBeLessThan(0.04);
    }
  });

  test("the block's pixels are identical in x and g·x, and the rest is rotated-mnist", () => {
    const blocked = batchOf('rotated-blocked-mnist/so2', 11, 32);
    const plain = batchOf('rotated-mnist/so2', 11, 32);
    expect(blocked.pairs).toEqual(plain.pairs);
    let hidden = 0;
    for (let i = 0; i < blocked.size; i++) {
      for (let row = 0; row < S; row++) {
        for (let col = 0; col < S; col++) {
          const p = i * PIXELS + row * S + col;
          const inBlock = row >= BLOCK.top && row < BLOCK.top + BLOCK.size && col >= BLOCK.left && col < BLOCK.left + BLOCK.size;
          if (inBlock) {
            expect(blocked.x[p]).toBe(BLOCK.value);
            expect(blocked.gx[p]).toBe(BLOCK.value);
            if (plain.x[p] > 0.5) hidden++;
          } else {
            expect(blocked.x[p]).toBe(plain.x[p]);
            expect(blocked.gx[p]).toBe(plain.gx[p]);
          }
        }
      }
    }
    expect(hidden).toBeGreaterThan(32 * 5); // the block does hide ink: on average several pixels per digit
  });

  test('splits: 9,000 / 1,000 sources, disjoint, covering every source; the sampler stays inside its part', () => {
    for (const key of ['rotated-mnist/so2', 'contrast/c4']) {
      const set = sets[key];
      const train = set.part('train');
      const test = set.part('test');
      expect(train.length).toBe(9_000);
      expect(test.length).toBe(1_000);
      const all = new Set([...train, ...test]);
      expect(all.size).toBe(10_000);
      expect(Math.min(...all)).toBe(0);
      expect(Math.max(...all)).toBe(9_999);
      expect(Array.from(set.part('test'))).toEqual(Array.from(test)); // fixed
      expect(Array.from(set.part('test', 1))).not.toEqual(Array.from(test)); // seeded
      const testSet = new Set(test);
      const sampler = new PairSampler(set, { part: 'train', batchSize: 500, seed: 2 });
      for (let b = 0; b < 20; b++) for (const spec of sampler.nextSpecs()) expect(testSet.has(spec.source)).toBe(false);
      for (const spec of new PairSampler(set, { part: 'test', batchSize: 100, seed: 2 }).nextSpecs()) expect(testSet.has(spec.source)).toBe(true);
      for (const spec of evaluationSet(set).specs) expect(testSet.has(spec.source)).toBe(true);
    }
    // Both MNIST sets split the same digits, so their test digits agree.
    expect(Array.from(sets['rotated-blocked-mnist/so2'].part('test'))).toEqual(Array.from(sets['rotated-mnist/so2'].part('test')));
  });

  test('factor values round-trip: rendering an image from its factors gives the batch image exactly', async () => {
    const { labels } = await loadMnist();
    for (const key of Object.keys(sets)) {
      const set = sets[key];
      const batch = batchOf(key, 13, 8);
      for (let i = 0; i < batch.size; i++) {
        for (const side of ['x', 'gx'] as const) {
          const values = Object.fromEntries(Object.entries(batch.factors[side]).map(([name, column]) => [name, column![i]]));
          expect(Array.from(set.renderImage(values))).toEqual(Array.from(image(batch[side], i)));
        }
        const spec = batch.pairs[i];
        if (key.startsWith('contrast')) {
          expect(batch.factors.x.phantom![i]).toBe(spec.source);
          expect(batch.factors.x.setting![i]).toBe(spec.base);
          expect(batch.factors.gx.setting![i]).toBe(contrast.moveSetting(spec.base, spec.g, (set.group as { order: number }).order));
        } else {
          expect(batch.factors.x.digit![i]).toBe(labels[spec.source]);
          expect(batch.factors.gx.digit![i]).toBe(labels[spec.source]);
          expect(batch.factors.x.angle![i]).toBe(spec.base);
          const theta = set.group.kind === 'so2' ? spec.g : (2 * Math.PI * spec.g) / set.group.order;
          const wrapped = (spec.base + theta) % (2 * Math.PI);
          expect(Math.abs(batch.factors.gx.angle![i] - wrapped)).toBeLessThan(1e-6);
        }
      }
    }
  });

  test('determinism: same seed, same batches; another seed, other batches; state() and restore() resume exactly', () => {
    for (const key of ['rotated-blocked-mnist/c3', 'contrast/c7', 'rotated-mnist/so2']) {
      const options = { part: 'train' as const, batchSize: 7, seed: 21, limit: 20 };
      const a = new PairSampler(sets[key], options);
      const b = new PairSampler(sets[key], options);
      const first: GroupPairBatch[] = [];
      for (let i = 0; i < 4; i++) {
        const [ba, bb] = [a.next(), b.next()];
        expect(Array.from(ba.x)).toEqual(Array.from(bb.x));
        expect(Array.from(ba.gx)).toEqual(Array.from(bb.gx));
        expect(Array.from(ba.g)).toEqual(Array.from(bb.g));
        first.push(ba);
      }
      // 20 sources, batches of 7: batch 3 began a second epoch with a new shuffle and new elements.
      expect(a.state()).toEqual({ epoch: 1, position: 14 });
      const other = new PairSampler(sets[key], { ...options, seed: 22 }).next();
      expect(Array.from(other.g)).not.toEqual(Array.from(first[0].g));
      const resumed = new PairSampler(sets[key], options);
      resumed.restore({ epoch: 1, position: 7 });
      expect(resumed.next().pairs).toEqual(first[3].pairs);
      const next = a.next();
      const again = new PairSampler(sets[key], options);
      again.restore(a.state());
      again.restore({ epoch: 1, position: 14 });
      expect(again.next().pairs).toEqual(next.pairs);
    }
  });

  test('the evaluation set is fixed, covers every angle bucket (or element) equally, from test sources', () => {
    const so2 = evaluationSet(sets['rotated-mnist/so2']);
    expect(so2.specs).toHaveLength(1000);
    expect(evaluationSet(sets['rotated-mnist/so2']).specs).toEqual(so2.specs);
    expect(evaluationSet(sets['rotated-mnist/so2'], { seed: 1 }).specs).not.toEqual(so2.specs);
    expect(new Set(so2.specs.map((s) => s.source)).size).toBe(1000); // each test digit once
    const counts = new Array(ANGLE_BUCKETS).fill(0);
    so2.specs.forEach((spec, i) => {
      expect(so2.buckets[i]).toBe(angleBucket(spec.g));
      counts[so2.buckets[i]]++;
    });
    for (const count of counts) expect(Math.abs(count - 125)).toBeLessThanOrEqual(2);
    expect(so2.bucketNames[1]).toBe('45–90°');
    const c7 = evaluationSet(sets['contrast/c7'], { pairs: 70 });
    expect(c7.specs.map((s) => s.g)).toEqual(Array.from({ length: 70 }, (_, i) => i % 7));
    expect(Array.from(c7.buckets)).toEqual(c7.specs.map((s) => s.g));
    const batch = sets['contrast/c7'].renderPairs(c7.specs.slice(0, 7));
    expect(Array.from(batch.g)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('pairs given by hand: angles outside [0, 2π) are wrapped in the factors, and the factors still render the images', () => {
    const set = sets['rotated-mnist/so2'];
    const batch = set.renderPairs([{ source: 17, base: -1, g: 7.5 }]);
    expect(Math.abs(batch.factors.x.angle![0] - (2 * Math.PI - 1))).toBeLessThan(1e-6);
    expect(Math.abs(batch.factors.gx.angle![0] - (6.5 - 2 * Math.PI))).toBeLessThan(1e-6);
    expect(Array.from(set.renderImage({ index: 17, angle: batch.factors.x.angle![0] }))).toEqual(Array.from(batch.x));
    expect(Array.from(set.renderImage({ index: 17, angle: batch.factors.gx.angle![0] }))).toEqual(Array.from(batch.gx));
    expect(maxDifference(batch.x, set.renderImage({ index: 17, angle: -1 }))).toBeLessThan(1e-5);
  });

  test('bad input to the samplers and renderers names the value', () => {
    const set = sets['rotated-mnist/c4'];
    expect(() => new PairSampler(set, { part: 'train', batchSize: 0, seed: 1 })).toThrow('batch size must be a positive integer, got 0');
    expect(() => new PairSampler(set, { part: 'validation' as 'train', batchSize: 4, seed: 1 })).toThrow("unknown split part 'validation'");
    expect(() => new PairSampler(set, { part: 'train', batchSize: 4, seed: -1 })).toThrow('seed must be an integer in [0, 2^32), got -1');
    expect(() => new PairSampler(set, { part: 'test', batchSize: 2000, seed: 1 })).toThrow('has 1000 sources, fewer than a batch of 2000');
    expect(() => new PairSampler(set, { part: 'train', batchSize: 4, seed: 1 }).restore({ epoch: -1, position: 0 })).toThrow(/invalid state/);
    expect(() => set.renderPairs([{ source: 0, base: 0, g: 4 }])).toThrow('the C_4 element 4 is not an integer in [0, 3]');
    expect(() => set.renderPairs([{ source: 10_000, base: 0, g: 1 }])).toThrow('source 10000 is out of range');
    expect(() => set.renderImage({ index: 3, angle: NaN })).toThrow('angle NaN is not a finite number');
    expect(() => set.renderImage({ phantom: 3, setting: 0 })).toThrow(/needs the factors index and angle/);
    expect(() => sets['rotated-mnist/so2'].renderPairs([{ source: 0, base: 0, g: Infinity }])).toThrow('the SO(2) element Infinity is not a finite angle');
    expect(() => sets['contrast/c4'].renderImage({ phantom: 1, setting: 4 })).toThrow('setting 4 is out of range: expected an integer in [0, 3]');
    expect(() => evaluationSet(set, { pairs: 0 })).toThrow('pairs must be a positive integer, got 0');
  });
});

describe('contrast', () => {
  test('the anatomy is deterministic per phantom id and differs between ids', () => {
    expect(Array.from(contrast.anatomy(42).fractions)).toEqual(Array.from(contrast.anatomy(42).fractions));
    expect(Array.from(contrast.anatomy(42).classMap)).not.toEqual(Array.from(contrast.anatomy(43).classMap));
    // Any id renders on demand, not only the data set's 10,000.
    expect(contrast.anatomy(4_000_000_000).classMap.length).toBe(PIXELS);
    expect(() => contrast.anatomy(-1)).toThrow('phantom id -1 must be an integer');
  });

  test('the fast tissue classifier agrees with the reference definition everywhere', () => {
    const points = noise(99, 20_000);
    for (const id of [0, 17, 123, 9_999]) {
      const p = contrast.phantom(id);
      const fast = contrast.compilePhantom(p);
      const classes = new Set<number>();
      for (let i = 0; i < points.length; i += 2) {
        const [u, v] = [2 * points[i] - 1, 2 * points[i + 1] - 1];
        const expected = contrast.tissueAt(p, u, v);
        expect(fast(u, v)).toBe(expected);
        classes.add(expected);
      }
      expect(classes.size).toBeGreaterThanOrEqual(7); // the points reach every structure
      expect(fast(p.centreU, p.centreV)).toBe(contrast.tissueAt(p, p.centreU, p.centreV));
    }
  });

  test('every phantom has each tissue class, and fractions sum to 1', () => {
    for (const id of [0, 1, 2, 3, 4]) {
      const body = contrast.anatomy(id);
      const present = new Set(body.classMap);
      for (const tissue of ['background', 'scalp', 'skull', 'csf', 'grey matter', 'white matter', 'nuclei'] as const) {
        expect(present.has(contrast.TISSUES.indexOf(tissue))).toBe(true);
      }
      for (let p = 0; p < PIXELS; p++) {
        let sum = 0;
        for (let t = 0; t < contrast.TISSUES.length; t++) sum += body.fractions[t * PIXELS + p];
        expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      }
    }
  });

  test('the tissue-class map is identical across settings: each setting is a function of the tissue fractions alone', () => {
    const n = 4;
    const settings = contrast.contrastSettings(n);
    for (const id of [7, 8, 9]) {
      const body = contrast.anatomy(id);
      const images = settings.map((_, k) => contrast.renderContrast(id, k, n));
      // Pure pixels of one class share one intensity in every setting, and the intensity vector
      // over the settings tells the classes apart: the class map read from any setting is the same.
      const signature = new Map<number, string>();
      for (let p = 0; p < PIXELS; p++) {
        const tissue = body.classMap[p];
        if (body.fractions[tissue * PIXELS + p] !== 1) continue;
        const key = images.map((im) => im[p].toFixed(5)).join(',');
        expect(signature.get(tissue) ?? key).toBe(key);
        signature.set(tissue, key);
        images.forEach((im, k) => expect(Math.abs(im[p] - settings[k].intensities[tissue])).toBeLessThan(1e-6));
      }
      expect(new Set(signature.values()).size).toBe(signature.size);
      // And mixed pixels are the fraction-weighted mix (an independent sum over tissues).
      for (let k = 0; k < n; k++) {
        for (let p = 0; p < PIXELS; p += 7) {
          let expected = 0;
          for (let t = 0; t < contrast.TISSUES.length; t++) expected += body.fractions[t * PIXELS + p] * settings[k].intensities[t];
          expect(Math.abs(images[k][p] - expected)).toBeLessThan(1e-6);
        }
      }
      expect(maxDifference(images[0], images[1])).toBeGreaterThan(0.2);
    }
  });

  test('the settings: named for n = 4, distinct for every n up to 12, in [0, 1] with the brightest tissue at 1', () => {
    expect(contrast.contrastSettings(4).map((s) => s.name)).toEqual(['T1-like', 'T2-like', 'PD-like', 'FLAIR-like']);
    const csf = contrast.TISSUES.indexOf('csf');
    const white = contrast.TISSUES.indexOf('white matter');
    const grey = contrast.TISSUES.indexOf('grey matter');
    const [t1, t2, , flair] = contrast.contrastSettings(4).map((s) => s.intensities);
    expect(t1[white]).toBeGreaterThan(t1[grey]); // T1: white brighter than grey, CSF dark
    expect(t1[grey]).toBeGreaterThan(t1[csf]);
    expect(t2[csf]).toBe(1); // T2: CSF brightest
    expect(flair[csf]).toBeLessThan(0.05); // FLAIR: CSF nulled
    for (let n = 1; n <= 12; n++) {
      const settings = contrast.contrastSettings(n);
      expect(settings).toHaveLength(n);
      for (const s of settings) {
        expect(Math.max(...s.intensities)).toBe(1);
        expect(Math.min(...s.intensities)).toBeGreaterThanOrEqual(0);
      }
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) expect(maxDifference(settings[a].intensities, settings[b].intensities)).toBeGreaterThan(0.01);
    }
  });

  test('moving the setting by j then n − j returns it, and the images follow', () => {
    for (const n of [3, 4, 7]) {
      for (let k = 0; k < n; k++) {
        for (let j = 0; j < n; j++) {
          const moved = contrast.moveSetting(k, j, n);
          expect(moved).toBe((k + j) % n);
          expect(contrast.moveSetting(moved, n - j, n)).toBe(k);
        }
      }
    }
    const body = contrast.anatomy(5);
    const there = contrast.renderAnatomy(body, contrast.moveSetting(1, 3, 4), 4);
    const back = contrast.renderAnatomy(body, contrast.moveSetting(contrast.moveSetting(1, 3, 4), 1, 4), 4);
    expect(Array.from(back)).toEqual(Array.from(contrast.renderAnatomy(body, 1, 4)));
    expect(maxDifference(there, back)).toBeGreaterThan(0.1);
    expect(() => contrast.moveSetting(0.5, 1, 4)).toThrow(/must be integers/);
    expect(() => contrast.contrastSettings(0)).toThrow('the number of settings n must be a positive integer, got 0');
  });
});

describe('loading', () => {
  test("a browser bundle of @maga/model keeps the 21 MB of digits out of its entry, in chunks loaded on demand", async () => {
    const result = await Bun.build({ entrypoints: [new URL('../index.ts', import.meta.url).pathname], target: 'browser', splitting: true });
    expect(result.success).toBe(true);
    const entry = result.outputs.filter((o) => o.kind === 'entry-point');
    const chunks = result.outputs.filter((o) => o.kind === 'chunk');
    expect(entry).toHaveLength(1);
    expect(entry[0].size).toBeLessThan(1_000_000);
    // One chunk per class file, each most of a digit file's 2 MB.
    expect(chunks.filter((o) => o.size > 2_000_000).length).toBe(10);
    expect(chunks.reduce((sum, o) => sum + o.size, 0)).toBeGreaterThan(20_000_000);
  });
});
