// Benchmark: how fast the 3-D pair sets make images (3×64×64, 2×2 supersampled), single-threaded:
// the rasteriser alone on meshes built beforehand, building the meshes, the sky, and whole training
// batches through the public sampler of a 3-D set (PairDataset.sampler) (mesh, sky and both images of every pair).
// Run: bun run bench:render3d   (prints images/s; nothing here is asserted anywhere)
import { OBJECTS3D_NAMES, Objects3dDataset, objectMesh, quaternion, render3d, skyImage } from '@maga/model';

const BATCH = 64;
const BATCHES = 8;

/** Runs per second of wall time and per second of this process's CPU time (user + system): on a shared machine the second is the one to read. */
function rate(count: number, run: () => void): [number, number] {
  run(); // warm-up: let the JIT compile the loops first
  const [start, cpu] = [performance.now(), process.cpuUsage()];
  for (let i = 0; i < count; i++) run();
  const used = process.cpuUsage(cpu);
  return [count / ((performance.now() - start) / 1000), count / ((used.user + used.system) / 1e6)];
}
const format = (n: number) => Math.round(n).toLocaleString('en-US').padStart(8);
const show = (label: string, [wall, cpu]: [number, number], unit: string) => console.log(`  ${label.padEnd(50)} ${format(wall)} ${unit} (wall)  ${format(cpu)} per CPU-second`);

console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${navigator.hardwareConcurrency} cores`);
console.log(`3-D renders (3×${render3d.RENDER_SIZE}×${render3d.RENDER_SIZE}, ${render3d.SUPERSAMPLE}×${render3d.SUPERSAMPLE} samples per pixel, single thread, Bun ${Bun.version})`);
const meshes = Array.from({ length: 100 }, (_, i) => objectMesh('objects3d', i));
const triangles = meshes.reduce((sum, m) => sum + m.triangles, 0) / meshes.length;
const renderer = new render3d.Renderer();
const poses = Array.from({ length: 100 }, (_, i) => quaternion.fromAxisAngle([Math.sin(i), 1, Math.cos(i)], i));
let k = 0;
show(`rasterise a built mesh (${triangles.toFixed(0)} triangles on average)`, rate(400, () => renderer.render(meshes[k % 100], { rotation: poses[k++ % 100] })), 'images/s');
k = 0;
show('build and fit an objects3d mesh', rate(400, () => objectMesh('objects3d', k++ % 1000)), 'meshes/s');
k = 0;
show('paint a planes-sky sky', rate(200, () => skyImage(k++ % 1000)), 'skies/s');
for (const name of OBJECTS3D_NAMES) {
  for (const group of ['so3', 'so2']) {
    const sampler = Objects3dDataset.open(name, group).sampler({ part: 'train', batchSize: BATCH, seed: 1 });
    const [wall, cpu] = rate(BATCHES, () => sampler.next());
    show(`${name} / ${group} batches of ${BATCH} pairs (x and g·x)`, [2 * BATCH * wall, 2 * BATCH * cpu], 'images/s');
  }
}
