// Training step time of the pair models: `bun run bench:latent-action [--size quick] [--batch 16]
// [--steps 5] [--image 32] [--backend webgpu|cpu] [--profile]`; --profile adds each model's top kernels of one step. latent-action and flow-action at a registry
// size on pairs of synthetic images (the numbers do not depend on what the pixels show), one
// warm-up step, then the mean of `steps` steps, each read back (as a training loop's log would).
import * as T from '@maga/tensor';
import { configure, createModel, trainStep, uploadPairs, type GroupPairBatch, type SizeName } from '@maga/model';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const size = flag('size', 'quick') as SizeName;
const batch = Number(flag('batch', '16'));
const steps = Number(flag('steps', '5'));
const image = Number(flag('image', '32'));
const backend = await T.init({ backend: flag('backend', 'auto') as T.BackendChoice });

for (const kind of ['latent-action', 'flow-action'] as const) {
  const config = configure(kind, size, { imageSize: image });
  const group = config.model === 'latent-action' || config.model === 'flow-action' ? config.group : null;
  if (!group) throw new Error(`${kind} has no group`);
  const model = await createModel(config, 0);
  const px = image * image;
  const rng = new T.Rng(0);
  const pairs: GroupPairBatch = { size: batch, x: await rng.uniform([batch * px], 0, 1).data(), gx: await rng.uniform([batch * px], 0, 1).data(), g: Float32Array.from({ length: batch }, (_, i) => i % 4) };
  const upload = () => uploadPairs(pairs, [1, image, image], group);
  T.tidy(() => model.initializeFromData(upload()));
  const optimizer = T.adam(model.parameters(), { lr: 1e-3, clipNorm: 1 });
  let start = 0;
  for (let s = 0; s <= steps; s++) {
    if (s === 1) start = performance.now();
    const terms = T.tidy(() => trainStep(model, upload(), optimizer, rng));
    await terms.loss.item();
    for (const t of Object.values(terms)) t.dispose();
  }
  const seconds = (performance.now() - start) / 1000 / steps;
  console.log(`${kind.padEnd(14)} ${size}, ${model.parameterCount()} parameters, batch ${batch} of ${image}×${image} on ${backend.description}: ${seconds.toFixed(3)} s/step, ${(batch / seconds).toFixed(1)} pairs/s`);
  if (process.argv.includes('--profile')) {
    const b = T.backend();
    b.startProfile();
    const began = performance.now();
    const terms = T.tidy(() => trainStep(model, upload(), optimizer, rng));
    await terms.loss.item();
    for (const t of Object.values(terms)) t.dispose();
    const wall = performance.now() - began;
    const kernels = await b.stopProfile();
    const total = kernels.reduce((sum, k) => sum + k.ms, 0);
    const dispatches = kernels.reduce((sum, k) => sum + k.count, 0);
    console.log(`  one step: ${wall.toFixed(0)} ms wall, ${total.toFixed(0)} ms of kernel time in ${dispatches} dispatches`);
    for (const k of kernels.slice(0, 12)) console.log(`  ${k.kernel.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms ${String(k.count).padStart(6)} dispatches`);
  }
  optimizer.dispose();
  model.dispose();
}
