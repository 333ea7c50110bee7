// The 3-D renderer and the objects3d / planes-sky pair sets: the identity and R then R⁻¹ give the
// image back, shading matches Lambert's law computed by hand, images follow from the index alone,
// the sky of planes-sky does not turn with the plane, samplers resume exactly, bad rotations are
// refused naming the value.
import { describe, expect, test } from 'bun:test';
import { OBJECTS3D_TEST_COUNT, SO3_ANGLE_BUCKETS, objectMesh, quaternion, render3d, skyImage } from '../index.ts';
import { Objects3dDataset } from '../src/data/objects3d.ts';
import { UniformStream } from '../src/data/random.ts';

const { MeshBuilder, renderMesh, rotateMesh, RENDER_SIZE, AMBIENT, DIFFUSE, LIGHT } = render3d;
const PIXELS = RENDER_SIZE * RENDER_SIZE;

/** Pixels (of 64·64) where any channel differs by more than `tolerance`, and the largest difference. */
function compare(a: Float32Array, b: Float32Array, tolerance = 1e-6): { differing: number; worst: number } {
  expect(a.length).toBe(b.length);
  let [differing, worst] = [0, 0];
  for (let p = 0; p < PIXELS; p++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(a[c * PIXELS + p] - b[c * PIXELS + p]));
    if (d > tolerance) differing++;
    worst = Math.max(worst, d);
  }
  return { differing, worst };
}

const rotations = Array.from({ length: 6 }, (_, i) => quaternion.randomRotation(new UniformStream(77, i)));

describe('renderer', () => {
  test('a box facing the camera: orthographic coverage and Lambert shading computed by hand', () => {
    // Half-extent 0.5 spans the middle half of the image: pixel columns and rows 16–47, exactly.
    const colour = [0.8, 0.4, 0.2] as const;
    const mesh = new MeshBuilder().box([0, 0, 0], [0.5, 0.5, 0.5], colour).build();
    const coverage = new Float32Array(PIXELS);
    const image = renderMesh(mesh, { background: [0, 0, 1], coverage });
    let covered = 0;
    for (let p = 0; p < PIXELS; p++) covered += coverage[p];
    expect(covered).toBe(32 * 32);
    expect(coverage[16 * RENDER_SIZE + 16]).toBe(1);
    expect(coverage[15 * RENDER_SIZE + 16]).toBe(0);
    // The front face's normal is +z: shade = albedo · (ambient + diffuse · l_z).
    const k = AMBIENT + DIFFUSE * LIGHT[2];
    const centre = 32 * RENDER_SIZE + 32;
    for (let c = 0; c < 3; c++) expect(Math.abs(image[c * PIXELS + centre] - colour[c] * k)).toBeLessThan(1e-6);
    // The background is untouched outside.
    expect([image[0], image[PIXELS], image[2 * PIXELS]]).toEqual([0, 0, 1]);
    // Turned by 45° about y, the front face's normal becomes (1, 0, 1)/√2: its shade follows from that.
    const turned = renderMesh(mesh, { background: [0, 0, 1], rotation: quaternion.fromAxisAngle([0, 1, 0], Math.PI / 4) });
    const side = AMBIENT + DIFFUSE * Math.max(0, Math.SQRT1_2 * (LIGHT[0] + LIGHT[2]));
    // The centre column sees the edge between two faces; column 40 sees the one turned towards +x.
    const right = 32 * RENDER_SIZE + 40;
    for (let c = 0; c < 3; c++) expect(Math.abs(turned[c * PIXELS + right] - colour[c] * side)).toBeLessThan(1e-6);
  });

  test('the identity rotation, and a full turn, return the same image', () => {
    const mesh = objectMesh('objects3d', 3);
    const plain = renderMesh(mesh);
    expect(compare(renderMesh(mesh, { rotation: quaternion.IDENTITY_QUATERNION }), plain).worst).toBe(0);
    // A full turn about a random axis is the identity up to the rounding of cos 2π and sin 2π.
    const fullTurn = quaternion.fromAxisAngle([0.3, -0.5, 0.8], 2 * Math.PI);
    const { differing, worst } = compare(renderMesh(mesh, { rotation: fullTurn }), plain);
    expect(differing).toBeLessThanOrEqual(2);
    expect(worst).toBeLessThanOrEqual(0.5);
  });

  test('R then R⁻¹ returns the image (up to rasterisation of vertices moved by rounding); R alone does not', () => {
    for (const [i, r] of rotations.entries()) {
      const mesh = objectMesh('objects3d', i);
      const plain = renderMesh(mesh);
      const [m, mInverse] = [quaternion.toMatrix(r), quaternion.toMatrix(quaternion.conjugate(r))];
      const back = renderMesh(rotateMesh(rotateMesh(mesh, m), mInverse));
      // The round trip moves vertices by ~1e-16: a sample flips only when it lies that close to an
      // edge, or two faces tie in depth. Such a flip changes one of the pixel's 4 samples, and the
      // pixel by at most a quarter of a colour difference (≤ 0.25); allow at most 1 % of pixels.
      const roundTrip = compare(back, plain);
      expect(roundTrip.differing).toBeLessThanOrEqual(PIXELS / 100);
      expect(roundTrip.worst).toBeLessThanOrEqual(0.25 + 1e-6);
      // Composing the quaternions first (R⁻¹·R in float64) is the same within the same tolerance.
      const composed = compare(renderMesh(mesh, { rotation: quaternion.multiply(quaternion.conjugate(r), r) }), plain);
      expect(composed.differing).toBeLessThanOrEqual(PIXELS / 100);
      // Rotating the mesh or passing the rotation to the renderer is one and the same.
      expect(compare(renderMesh(rotateMesh(mesh, m)), renderMesh(mesh, { rotation: r })).differing).toBeLessThanOrEqual(PIXELS / 100);
      // And R does change the picture (so the checks above can fail).
      expect(compare(renderMesh(mesh, { rotation: r }), plain).differing).toBeGreaterThan(100);
    }
  });

  test('primitives refuse bad geometry, naming the value', () => {
    const m = new MeshBuilder();
    expect(() => m.box([0, 0, 0], [1, -1, 1], [1, 1, 1])).toThrow(/box half-extent 1 must be a positive finite number, got -1/);
    expect(() => m.cylinder([0, 0, 0], [0, 1, 0], 1, NaN, [1, 1, 1])).toThrow(/frustum base radius must be a positive finite number, got NaN/);
    expect(() => m.sphere([0, 0, 0], [1, 1, 1], [2, 0, 0])).toThrow(/colour must be 3 numbers in \[0, 1\], got \[2,0,0\]/);
    expect(() => m.extrusion([0, 0, 0], [1, 0, 0], [0, 1, 0], [[0, 0], [1, 0], [0.2, 0.2], [0, 1]], 1, [1, 1, 1])).toThrow(/strictly convex/);
    expect(() => m.build()).toThrow(/no primitives/);
    const mesh = objectMesh('objects3d', 0);
    expect(() => renderMesh(mesh, { rotation: [1, 1, 0, 0] })).toThrow(/quaternion 0 = \(1, 1, 0, 0\) has norm 1\.414/);
    expect(() => renderMesh(mesh, { rotation: [NaN, 0, 0, 0] })).toThrow(/quaternion 0 = \(NaN, 0, 0, 0\) is not finite/);
  });
});

describe('objects3d and planes-sky', () => {
  test('images are deterministic by index, and different objects differ', () => {
    for (const name of ['objects3d', 'planes-sky'] as const) {
      const [a, b] = [Objects3dDataset.open(name, 'so3'), Objects3dDataset.open(name, 'so3')];
      const spec = a.drawPair(12, new UniformStream(1, 2));
      const [batchA, batchB] = [a.renderPairs([spec]), b.renderPairs([spec])];
      expect(compare(batchA.x, batchB.x).worst).toBe(0);
      expect(compare(batchA.gx, batchB.gx).worst).toBe(0);
      expect(compare(a.renderImage(12, spec.base), b.renderImage(12, spec.base)).worst).toBe(0);
      expect(compare(a.renderImage(12, spec.base), a.renderImage(13, spec.base)).differing).toBeGreaterThan(50);
      // Values in [0, 1], every one of them finite.
      expect(batchA.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(objectMesh('objects3d', 5).positions).toEqual(objectMesh('objects3d', 5).positions);
  });

  test('pairs: g·x is the object under g·base, factors name class, object and pose', () => {
    const dataset = Objects3dDataset.open('objects3d', 'so3');
    const specs = [0, 1, 2, 3, 4].map((s) => dataset.drawPair(s, new UniformStream(9, s)));
    const batch = dataset.renderPairs(specs);
    expect(batch.imageShape).toEqual([3, 64, 64]);
    expect(batch.g.length).toBe(4 * 5);
    for (const [i, spec] of specs.entries()) {
      const pose = quaternion.multiply(spec.g, spec.base);
      const alone = dataset.renderImage(spec.source, pose);
      expect(compare(batch.gx.subarray(i * 3 * PIXELS, (i + 1) * 3 * PIXELS), alone).differing).toBeLessThanOrEqual(PIXELS / 100);
      // The batch's g is the float32 quaternion that was rendered.
      for (let k = 0; k < 4; k++) expect(batch.g[4 * i + k]).toBe(spec.g[k]);
      expect(batch.factors.x.class[i]).toBe(spec.source % 5);
      expect(batch.factors.gx.object[i]).toBe(spec.source);
      const q = [batch.factors.gx.qw[i], batch.factors.gx.qx[i], batch.factors.gx.qy[i], batch.factors.gx.qz[i]] as const;
      const fromEuler = quaternion.fromEuler({ yaw: batch.factors.gx.yaw[i], pitch: batch.factors.gx.pitch[i], roll: batch.factors.gx.roll[i] });
      expect(quaternion.rotationAngle(quaternion.multiply(fromEuler, quaternion.conjugate(q)))).toBeLessThan(1e-6);
    }
  });

  test('the so2 variant turns about the vertical axis, g as an angle', () => {
    const dataset = Objects3dDataset.open('objects3d', 'so2');
    const spec = dataset.drawPair(7, new UniformStream(3, 3));
    expect(Math.abs(spec.g[1]) + Math.abs(spec.g[3]) + Math.abs(spec.base[1]) + Math.abs(spec.base[3])).toBe(0);
    const batch = dataset.renderPairs([spec]);
    expect(batch.g.length).toBe(1);
    const back = quaternion.aboutVertical(batch.g[0]);
    for (let k = 0; k < 4; k++) expect(Math.abs(back[k] - spec.g[k])).toBeLessThan(1e-7);
    expect(() => dataset.renderPairs([{ ...spec, g: [Math.SQRT1_2, Math.SQRT1_2, 0, 0] }])).toThrow(/rotation g .* is not a rotation about the vertical axis/);
  });

  test('planes-sky: the sky is identical in x and g·x wherever the plane covers neither', () => {
    const dataset = Objects3dDataset.open('planes-sky', 'so3');
    for (const source of [0, 1, 2]) {
      const spec = dataset.drawPair(source, new UniformStream(4, source));
      const poses = dataset.pairPoses(spec);
      const [coverX, coverGx] = [new Float32Array(PIXELS), new Float32Array(PIXELS)];
      const x = dataset.renderImage(source, poses.x, undefined, 0, coverX);
      const gx = dataset.renderImage(source, poses.gx, undefined, 0, coverGx);
      const sky = skyImage(source);
      let [free, covered, moved] = [0, 0, 0];
      for (let p = 0; p < PIXELS; p++) {
        const both = coverX[p] === 0 && coverGx[p] === 0;
        if (both) free++;
        if (coverX[p] > 0) covered++;
        for (let c = 0; c < 3; c++) {
          const i = c * PIXELS + p;
          if (both) {
            expect(x[i]).toBe(gx[i]);
            expect(x[i]).toBe(sky[i]);
          } else if (Math.abs(x[i] - gx[i]) > 1e-3) moved++;
        }
      }
      // Neither trivial: the plane covers part of the image, sky shows around it, and the plane moved.
      expect(covered).toBeGreaterThan(100);
      expect(free).toBeGreaterThan(PIXELS / 3);
      expect(moved).toBeGreaterThan(20);
    }
  });

  test('a seeded split by object, and a sampler that resumes exactly', () => {
    const dataset = Objects3dDataset.open('objects3d', 'so3');
    const [train, testPart] = [dataset.part('train'), dataset.part('test')];
    expect(testPart.length).toBe(OBJECTS3D_TEST_COUNT);
    expect(train.length + testPart.length).toBe(dataset.count);
    const held = new Set(testPart);
    expect(train.some((s) => held.has(s))).toBe(false);
    expect(Array.from(dataset.part('test', 1))).not.toEqual(Array.from(testPart));
    const sampler = dataset.sampler({ part: 'test', batchSize: 3, seed: 5, limit: 4 });
    sampler.nextSpecs();
    const state = sampler.state();
    const [next, after] = [sampler.nextSpecs(), sampler.nextSpecs()];
    const resumed = dataset.sampler({ part: 'test', batchSize: 3, seed: 5, limit: 4 });
    resumed.restore(state);
    expect(resumed.nextSpecs()).toEqual(next);
    expect(resumed.nextSpecs()).toEqual(after);
    for (const spec of [...next, ...after]) expect(held.has(spec.source)).toBe(true);
    expect(() => resumed.restore({ epoch: -1, position: 0 })).toThrow(/invalid state/);
  });

  test('the evaluation set is fixed and stratified by the angle of g', () => {
    const dataset = Objects3dDataset.open('objects3d', 'so3');
    const a = dataset.evaluationSet({ pairs: 24 });
    expect(dataset.evaluationSet({ pairs: 24 }).specs).toEqual(a.specs);
    expect(a.bucketNames.length).toBe(SO3_ANGLE_BUCKETS);
    for (let b = 0; b < SO3_ANGLE_BUCKETS; b++) expect(a.buckets.filter((x) => x === b).length).toBe(4);
    for (const [i, spec] of a.specs.entries()) {
      const degrees = (quaternion.rotationAngle(spec.g) * 180) / Math.PI;
      expect(Math.floor(degrees / 30)).toBe(a.buckets[i]);
    }
  });

  test('bad input is refused, naming the value', () => {
    expect(() => Objects3dDataset.open('shapenet', 'so3')).toThrow(/unknown 3-D data set 'shapenet': expected one of objects3d, planes-sky/);
    expect(() => Objects3dDataset.open('objects3d', 'so4')).toThrow(/unknown rotation group 'so4'/);
    const dataset = Objects3dDataset.open('objects3d', 'so3');
    expect(() => dataset.renderImage(10_000, [1, 0, 0, 0])).toThrow(/object 10000 is out of range/);
    expect(() => dataset.renderImage(0, [2, 0, 0, 0])).toThrow(/objects3d: pose: quaternion 0 = \(2, 0, 0, 0\) has norm 2/);
    expect(() => dataset.renderPairs([{ source: 0, base: [1, 0, 0, 0], g: [0, 0, 0, Infinity] }])).toThrow(/rotation g: quaternion 0 = \(0, 0, 0, Infinity\) is not finite/);
    expect(() => dataset.renderImage(0, [1, 0, 0])).toThrow(/unit quaternion of 4 numbers/);
  });
});
