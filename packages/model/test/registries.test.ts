// The two registries beside MODELS: the groups (src/groups/) and the data sets (src/data/registry.ts).
// Groups: labels and names, the one C_n rule, elements parsed and checked naming the value, the
// group laws on host elements against matrices written out here, ρ a homomorphism on latents, the
// buckets an evaluation reports, sampling as training does. Data sets: names, the groups each takes
// (and the messages that say so), config.json's data read once against its model, the entries'
// presets and labels, and what the 2-D sets' registry tests checked before (moved from
// groupdata.test.ts).
import { describe, expect, test } from 'bun:test';
import * as T from '@maga/tensor';
import {
  DATASETS,
  UniformStream,
  checkGroupKind,
  checkGroupLabel,
  configure,
  datasetEntry,
  datasetNames,
  groupConfigFromLabel,
  groupFromLabel,
  groupFromName,
  groupKinds,
  groupOf,
  kindOfLabel,
  parseGroup,
  parseRunData,
  quaternion,
  registerGroupKind,
  SO2_KIND,
  type Group,
} from '../index.ts';
import { cpu } from '@maga/tensor/testing';
import { planeAngles, turnsImagePlane } from '../src/groups/registry.ts';

const GROUPS = ['so2', 'c4', 'c7', 'so3'];

/** A seeded element of `group`, drawn with its own sampler (the laws must hold for any element). */
const element = (group: Group, seed: number) => group.sample(new UniformStream(91, seed));

/** The element as a matrix, written out here: R(θ) (SO(2)), R(2πj/n) (C_n), the rotation matrix of a quaternion (SO(3)). */
function matrix(group: Group, g: number[]): number[][] {
  if (group.elementSize === 4) {
    // Divided by |q|²: the sampled quaternions are rounded to float32, unit only to ~1e-7.
    const [w, x, y, z] = g;
    const s = 2 / (w * w + x * x + y * y + z * z);
    return [
      [1 - s * (y * y + z * z), s * (x * y - w * z), s * (x * z + w * y)],
      [s * (x * y + w * z), 1 - s * (x * x + z * z), s * (y * z - w * x)],
      [s * (x * z - w * y), s * (y * z + w * x), 1 - s * (x * x + y * y)],
    ];
  }
  const angle = Number.isFinite(group.order) ? (2 * Math.PI * g[0]) / group.order : g[0];
  return [
    [Math.cos(angle), -Math.sin(angle)],
    [Math.sin(angle), Math.cos(angle)],
  ];
}

const product = (a: number[][], b: number[][]) => a.map((row, i) => row.map((_, j) => row.reduce((s, _, k) => s + a[i][k] * b[k][j], 0)));
const distance = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe('groups', () => {
  test('labels, names, ids, orders and element sizes', () => {
    expect(GROUPS.map((l) => groupFromLabel(l).name)).toEqual(['SO(2)', 'C_4', 'C_7', 'SO(3)']);
    expect(GROUPS.map((l) => groupFromLabel(l).label)).toEqual(GROUPS);
    expect(GROUPS.map((l) => groupFromLabel(l).id)).toEqual([{ kind: 'so2' }, { kind: 'cyclic', n: 4 }, { kind: 'cyclic', n: 7 }, { kind: 'so3' }]);
    expect(GROUPS.map((l) => groupFromLabel(l).order)).toEqual([Infinity, 4, 7, Infinity]);
    expect(GROUPS.map((l) => groupFromLabel(l).elementSize)).toEqual([1, 1, 1, 4]);
    expect(groupKinds()).toEqual(['so2', 'cyclic', 'so3']);
    expect(groupOf({ kind: 'cyclic', n: 4, frequencies: [1, 2] }).label).toBe('c4');
  });

  test('one rule for C_n, by label or by config: 2 ≤ n ≤ 1024, written c<n> without leading zeros', () => {
    expect(groupFromLabel('c2').order).toBe(2);
    expect(groupFromLabel('c1024').order).toBe(1024);
    expect(() => groupFromLabel('c1')).toThrow(/group\.n must be at least 2 for a cyclic group C_n, got 1/);
    expect(() => groupFromLabel('c1025')).toThrow(/group\.n must be at most 1024 for a cyclic group C_n, got 1025/);
    for (const bad of ['c0', 'C4', 'c04', 'c', 'c4.5', 'so4', '']) expect(kindOfLabel(bad)).toBeNull();
    expect(() => groupFromLabel('C4')).toThrow('group "C4" is not one of: so2, so3, c<n>');
    expect(() => parseGroup({ kind: 'cyclic', n: 1, frequencies: [1] })).toThrow(/group\.n must be at least 2/);
    expect(() => parseGroup({ kind: 'cyclic', n: 2000, frequencies: [1] })).toThrow(/group\.n must be at most 1024/);
    expect(parseGroup({ kind: 'cyclic', n: 1024, frequencies: [1] })).toEqual({ kind: 'cyclic', n: 1024, frequencies: [1] });
  });

  test("a label takes its representation from a model's config where the kinds share it, else the kind's default", () => {
    expect(groupConfigFromLabel('c4', { kind: 'so2', frequencies: [1, 2, 3] })).toEqual({ kind: 'cyclic', n: 4, frequencies: [1, 2, 3] });
    expect(groupConfigFromLabel('so3', { kind: 'so2', frequencies: [1, 2] })).toEqual({ kind: 'so3', degrees: [1, 1, 1, 2] });
    expect(groupConfigFromLabel('so2')).toEqual({ kind: 'so2', frequencies: [1] });
    expect(groupFromName('so3', [1], [1, 2])).toEqual({ kind: 'so3', degrees: [1, 2] });
  });

  test('the group laws on host elements, against the elements as matrices', () => {
    for (const label of GROUPS) {
      const group = groupFromLabel(label);
      for (let seed = 0; seed < 6; seed++) {
        const [a, b, c] = [element(group, seed), element(group, seed + 10), element(group, seed + 20)];
        const size = matrix(group, a).length;
        const eye = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => Number(i === j)));
        expect(distance(matrix(group, group.compose(b, a)), product(matrix(group, b), matrix(group, a)))).toBeLessThan(1e-9);
        expect(distance(matrix(group, group.compose(a, group.inverse(a))), eye)).toBeLessThan(1e-9);
        expect(distance(matrix(group, group.compose(group.identity(), a)), matrix(group, a))).toBeLessThan(1e-12);
        expect(distance(matrix(group, group.compose(c, group.compose(b, a))), matrix(group, group.compose(group.compose(c, b), a)))).toBeLessThan(1e-9);
        expect(group.isElement(a)).toBe(true);
        expect(group.isElement(group.compose(b, a))).toBe(true);
      }
    }
  });

  test('ρ on latents is a homomorphism: ρ(g₂g₁)u = ρ(g₂)ρ(g₁)u, with the host product', async () => {
    await T.withBackend(cpu, async () => {
      for (const label of GROUPS) {
        const group = groupOf(groupConfigFromLabel(label, { frequencies: [1, 2, 3], degrees: [1, 2] }));
        const action = group.vectorAction(3, 4);
        const [a, b] = [element(group, 1), element(group, 2)];
        const tensor = (g: number[]) => (group.elementSize === 1 ? T.tensor(g, [1]) : T.tensor(g, [1, group.elementSize]));
        const u = T.tensor(Array.from({ length: action.size }, (_, i) => Math.sin(3 * i + 1)), [1, action.size]);
        const chained = await action.act(tensor(b), action.act(tensor(a), u)).data();
        const once = await action.act(tensor(group.compose(b, a)), u).data();
        for (let i = 0; i < action.size; i++) expect(Math.abs(chained[i] - once[i])).toBeLessThan(1e-4);
        // The invariant part is left alone.
        for (let i = 0; i < 3; i++) expect(once[i]).toBe(Math.fround(Math.sin(3 * i + 1)));
        action.dispose();
      }
    });
  });

  test('elements from JSON and on the host: refused naming the value and where; formatted for people', () => {
    const [so2, c4, so3] = ['so2', 'c4', 'so3'].map(groupFromLabel);
    expect(so2.parseElement(1.5, 'g')).toEqual([1.5]);
    expect(() => so2.parseElement('x', 'g[0]')).toThrow('g[0] must be a finite angle in radians (an element of SO(2)), got "x"');
    expect(() => c4.parseElement(4, 'g2')).toThrow('g2 must be an integer in [0, 3] (an element of C_4), got 4');
    expect(() => so3.parseElement([1, 0, 0], 'g[1]')).toThrow(/g\[1\] must be a unit quaternion .* got \[1,0,0\] \(3 numbers\)/);
    expect(() => so3.parseElement([2, 0, 0, 0], 'g')).toThrow(/\(norm 2\)/);
    expect(() => c4.checkElements([0, 3, 1.5], 'batch')).toThrow('batch: g[2] = 1.5 is not an integer in [0, 4) (an element of C_4)');
    expect(() => so2.checkElements([0, NaN], 'batch')).toThrow('batch: g[1] = NaN is not a finite angle in radians');
    expect(so2.formatElement([Math.PI / 2])).toBe('θ = 90°');
    expect(c4.formatElement([1])).toBe('j = 1 (90° / step 1 of C_4)');
    expect(so3.formatElement(quaternion.fromAxisAngle([0, 1, 0], Math.PI / 2))).toMatch(/^90° \(q = \(0\.707, 0\.000, 0\.707, 0\.000\)\)$/);
    expect(so2.sweepRefusal('POST /decode')).toBeNull();
    expect(c4.sweepRefusal('POST /decode')).toContain('C_4 has the elements 0–3 only');
  });

  test("buckets: every element drawn inside a bucket is in it; training's draws fill the buckets evenly", () => {
    for (const label of GROUPS) {
      const group = groupFromLabel(label);
      const stream = new UniformStream(5, 0);
      group.buckets.forEach((_, b) => {
        for (let i = 0; i < 20; i++) expect(group.bucketOf(group.sampleInBucket(b, stream))).toBe(b);
      });
      if (group.elementSize === 1) {
        // Uniform on SO(2) and C_n: 4000 draws within 20 % of the even count per bucket.
        const counts = new Array(group.buckets.length).fill(0);
        for (let i = 0; i < 4000; i++) counts[group.bucketOf(group.sample(stream))]++;
        for (const count of counts) expect(Math.abs(count - 4000 / counts.length)).toBeLessThan((0.2 * 4000) / counts.length);
      }
    }
    // Haar on SO(3): the angle's density is (1 − cos θ)/π, so P(θ < 30°) = (π/6 − sin(π/6))/π ≈ 0.0075.
    const so3 = groupFromLabel('so3');
    const stream = new UniformStream(6, 0);
    let small = 0;
    for (let i = 0; i < 20_000; i++) if (so3.bucketOf(so3.sample(stream)) === 0) small++;
    expect(small / 20_000).toBeGreaterThan(0.004);
    expect(small / 20_000).toBeLessThan(0.012);
    expect(groupFromLabel('so2').buckets[1]).toBe('45–90°');
    expect(so3.buckets).toEqual(['0–30°', '30–60°', '60–90°', '90–120°', '120–150°', '150–180°']);
  });

  test('a kind registered from outside is parsed and labelled like the others, and taken out again', () => {
    type Copy = { kind: 'so2-copy'; frequencies: number[] };
    const remove = registerGroupKind<Copy>({
      ...SO2_KIND,
      kind: 'so2-copy',
      labels: 'so2copy',
      claims: (label) => label === 'so2copy',
      fromLabel: () => ({ kind: 'so2-copy', frequencies: [1] }),
      parse: (g, path) => ({ ...SO2_KIND.parse(g, path), kind: 'so2-copy' }),
      create: (config) => SO2_KIND.create({ ...config, kind: 'so2' }),
    });
    expect(parseGroup({ kind: 'so2-copy', frequencies: [2] })).toEqual({ kind: 'so2-copy', frequencies: [2] } as never);
    expect(groupFromLabel('so2copy').name).toBe('SO(2)');
    expect(groupKinds()).toContain('so2-copy');
    expect(kindOfLabel('so2copy')?.kind).toBe('so2-copy');
    expect(() => registerGroupKind({ ...SO2_KIND })).toThrow("a group kind 'so2' is registered already");
    remove();
    expect(groupKinds()).toEqual(['so2', 'cyclic', 'so3']);
  });
});

describe('data sets', () => {
  test('every set: its shape, batches, groups and default group, presets and labels', () => {
    expect(datasetNames()).toEqual(['dsprites', 'rotated-mnist', 'rotated-blocked-mnist', 'contrast', 'objects3d', 'planes-sky']);
    expect(datasetNames('dsprites')).toEqual(['dsprites']);
    for (const name of datasetNames()) {
      const entry = DATASETS[name];
      expect(entry.name).toBe(name);
      if (entry.batch === 'group-pairs') {
        expect(checkGroupLabel(entry, entry.defaultGroup!).label).toBe(entry.defaultGroup!);
        expect(entry.presets.quick?.steps).toBeGreaterThan(0);
      } else {
        expect(entry.groups).toEqual([]);
      }
    }
    expect(DATASETS.objects3d.imageShape).toEqual([3, 64, 64]);
    expect(DATASETS.contrast.defaultGroup).toBe('c4');
    expect(DATASETS.objects3d.presets.quick?.steps).toBe(3200);
    expect(DATASETS['rotated-mnist'].presets.quick?.steps).toBe(2000);
    expect([DATASETS.objects3d.rateKey, DATASETS.contrast.rateKey]).toEqual(['rendered', null]);
    expect(DATASETS.dsprites.label({ dataset: 'dsprites', split: 'to-range', pairing: 'fixed', limit: null })).toBe('dsprites to-range');
    expect(DATASETS.objects3d.tag({ dataset: 'objects3d', group: 'so3', limit: null })).toBe('objects3d-so3');
  });

  // Moved from groupdata.test.ts's registry tests; where an assertion named the data sets' own group
  // type (GroupSpec: { kind: 'cN', order }) or parser, it now names the Group that replaced them.
  test('names, groups and what each data set takes', () => {
    expect(datasetNames('group-pairs').filter((n) => DATASETS[n].imageShape[1] === 32)).toEqual(['rotated-mnist', 'rotated-blocked-mnist', 'contrast']);
    expect(datasetEntry('contrast').name).toBe('contrast');
    expect(groupFromLabel('so2').id).toEqual({ kind: 'so2' });
    expect(groupFromLabel('c4').id).toEqual({ kind: 'cyclic', n: 4 });
    expect(groupFromLabel('c12').label).toBe('c12');
    expect(() => checkGroupLabel(DATASETS['rotated-mnist'], 'so2')).not.toThrow();
    expect(() => checkGroupLabel(DATASETS.contrast, 'c5')).not.toThrow();
  });

  test('bad names, groups and pairings are errors naming the value and what is accepted', () => {
    expect(() => datasetEntry('mnist')).toThrow("unknown data set 'mnist': expected one of dsprites, rotated-mnist, rotated-blocked-mnist, contrast, objects3d, planes-sky");
    const mnist = DATASETS['rotated-mnist'];
    for (const bad of ['c0', 'c', 'C4', 'c4.5', 'c01', '']) expect(() => checkGroupLabel(mnist, bad)).toThrow(`unknown group '${bad}': expected 'so2' or 'c<n>'`);
    expect(() => checkGroupLabel(mnist, 'c2000')).toThrow(/n must be at most 1024/);
    expect(() => checkGroupLabel(mnist, 'so3')).toThrow("data set 'rotated-mnist' does not take the group 'so3' (rotations in space): it takes 'so2' or 'c<n>'; so3 is for objects3d and planes-sky");
    expect(() => checkGroupLabel(DATASETS.contrast, 'so2')).toThrow("data set 'contrast' does not take the group 'so2': it takes 'c<n>'");
    expect(() => parseGroup({ kind: 'cyclic', n: 0, frequencies: [1] })).toThrow(/group\.n must be a positive integer, got 0/);
    // The 3-D sets: a label of the plane's groups is not refused for its size, only its kind.
    expect(() => checkGroupKind(DATASETS.objects3d, 'c4')).toThrow("data set 'objects3d' does not take the group 'c4': it takes 'so3' or 'so2'; c4 is for rotated-mnist, rotated-blocked-mnist and contrast");
    expect(() => checkGroupKind(DATASETS['planes-sky'], 'so4')).toThrow("unknown group 'so4': expected 'so3' or 'so2'");
    expect(() => checkGroupKind(DATASETS.dsprites, 'so2')).toThrow(/^data set 'dsprites' does not take the group 'so2' \(rotations of the plane\): it takes no group; so2 is for rotated-mnist/);
  });

  test('factor listings', () => {
    expect(DATASETS['rotated-mnist'].factors(groupFromLabel('so2')).map((f) => f.name)).toEqual(['digit', 'angle', 'index']);
    expect(DATASETS['rotated-blocked-mnist'].factors(groupFromLabel('c4'))[0].classes).toHaveLength(10);
    const settings = DATASETS.contrast.factors(groupFromLabel('c4')).find((f) => f.name === 'setting');
    expect(settings?.classes).toEqual(['T1-like', 'T2-like', 'PD-like', 'FLAIR-like']);
    expect(DATASETS.dsprites.factors(null).map((f) => f.name)).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
  });

  test("config.json's data, read once against its model: each mismatch named", () => {
    const la = configure('latent-action', 'tiny', { group: groupFromName('c4', [1]) });
    const maganet = configure('maganet', 'tiny');
    expect(parseRunData({ dataset: 'rotated-mnist', group: 'c4', limit: 256 }, la)).toEqual({ dataset: 'rotated-mnist', group: 'c4', limit: 256 });
    expect(parseRunData({ dataset: 'dsprites', split: 'to-range', pairing: 'fixed', limit: null }, maganet)).toEqual({ dataset: 'dsprites', split: 'to-range', pairing: 'fixed', limit: null });
    const refused: [unknown, typeof la, RegExp][] = [
      [{ dataset: 'rotated-mnist', group: 'so2', limit: null }, la, /data.group must be the model's group c4, got "so2"/],
      [{ dataset: 'rotated-mnist', group: 'c0', limit: null }, la, /^data: unknown group 'c0'/],
      [{ dataset: 'cifar', group: 'c4', limit: null }, la, /^data: unknown data set 'cifar'/],
      [{ dataset: 'dsprites', split: 'to-range', pairing: 'none', limit: null }, la, /data.dataset must be a pair data set for model latent-action, not dsprites/],
      [{ dataset: 'rotated-mnist', group: 'so2', limit: null }, maganet, /data.dataset must be dsprites for model maganet, not rotated-mnist/],
      [{ dataset: 'rotated-mnist', group: 'c4', limit: 0 }, la, /data.limit must be null or a positive integer, got 0/],
      [{ dataset: 'dsprites', split: 'to-nowhere', pairing: 'fixed', limit: null }, maganet, /data.split: unknown dsprites split 'to-nowhere'/],
      [{ dataset: 'dsprites', split: 'to-range', pairing: 'sometimes', limit: null }, maganet, /data.pairing must be fixed, random or none, got "sometimes"/],
      [{ dataset: 'objects3d', group: 'c4', limit: null }, la, /^data: data set 'objects3d' does not take the group 'c4'/],
      [[], la, /data must be an object/],
    ];
    for (const [data, model, message] of refused) expect(() => parseRunData(data, model)).toThrow(message);
    expect(() => parseRunData({ dataset: 'rotated-mnist', group: 'c4', limit: null }, { ...la, imageSize: 64 })).toThrow(/model.imageSize and model.channels must be 32 and 1 for rotated-mnist's 1×32×32 images/);
  });
});

describe('the group says whether it turns the image plane and what its identity is', () => {
  test('planeTurn against the closed forms θ and 2πj/n, absent for SO(3); planeAngles on tensors agrees with planeAngle on the host', async () => {
    const config = (label: string) => groupConfigFromLabel(label);
    expect(groupFromLabel('so2').planeTurn).toBe(1);
    expect(groupFromLabel('c4').planeTurn).toBeCloseTo(Math.PI / 2, 15);
    expect(groupFromLabel('c7').planeTurn).toBeCloseTo((2 * Math.PI) / 7, 15);
    expect(groupFromLabel('so3').planeTurn).toBeUndefined();
    expect(['so2', 'c4', 'so3'].map((l) => turnsImagePlane(config(l)))).toEqual([true, true, false]);
    await T.withBackend(cpu, async () => {
      const js = [0, 1, 2, 6];
      const angles = await planeAngles(config('c7'), T.tensor(js), 'test').data64();
      js.forEach((j, i) => expect(angles[i]).toBeCloseTo((2 * Math.PI * j) / 7, 6));
      expect(() => planeAngles(config('so3'), T.tensor([1, 0, 0, 0], [1, 4]), 'rotate-x')).toThrow(/rotate-x: SO\(3\) does not turn the image plane/);
    });
  });

  test('isIdentity: whole turns of SO(2) to 1e-6, j ≡ 0 (mod n), q = ±(1, 0, 0, 0)', () => {
    const so2 = groupFromLabel('so2');
    expect([0, 2 * Math.PI, -6 * Math.PI, 1e-7].map((t) => so2.isIdentity([t]))).toEqual([true, true, true, true]);
    expect([1e-3, Math.PI, 2 * Math.PI + 1e-4].map((t) => so2.isIdentity([t]))).toEqual([false, false, false]);
    const c4 = groupFromLabel('c4');
    expect([0, 4, -4, 1, 3].map((j) => c4.isIdentity([j]))).toEqual([true, true, true, false, false]);
    const so3 = groupFromLabel('so3');
    const s = Math.sin(0.01);
    expect([[1, 0, 0, 0], [-1, 0, 0, 0], [Math.cos(0.01), s, 0, 0], [0, 0, 0, 1]].map((q) => so3.isIdentity(q))).toEqual([true, true, false, false]);
  });
});
