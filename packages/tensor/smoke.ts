// A smoke run of the tensor core: prints the backend, then trains a small MLP on a 2-D spiral
// and prints its loss as it falls. `bun run smoke` (MAGA_BACKEND=cpu|webgpu to choose).
import * as T from './index.ts';

const backend = await T.init();
const rng = new T.Rng(0);
const points = 256;
const xs: number[] = [];
const ys: number[] = [];
for (let i = 0; i < points; i++) {
  const arm = i % 2;
  const r = (i / points) * 3 + 0.2;
  const angle = r * 2.2 + arm * Math.PI;
  xs.push(r * Math.cos(angle), r * Math.sin(angle));
  ys.push(arm);
}
const x = T.keep(T.tensor(xs, [points, 2]));
const y = T.keep(T.tensor(ys, [points, 1]));
const hidden = 64;
const params: Record<string, T.Tensor> = {
  w1: rng.normal([2, hidden], 0, 1),
  b1: T.zeros([hidden]),
  w2: rng.normal([hidden, hidden], 0, 1 / Math.sqrt(hidden)),
  b2: T.zeros([hidden]),
  w3: rng.normal([hidden, 1], 0, 1 / Math.sqrt(hidden)),
  b3: T.zeros([1]),
};
for (const p of Object.values(params)) T.keep(p).requireGrad();
const opt = T.adam(params, { lr: 0.01, clipNorm: 5 });
const started = performance.now();
for (let step = 1; step <= 600; step++) {
  const loss = T.tidy(() => {
    const h1 = x.matmul(params.w1).add(params.b1).tanh();
    const h2 = h1.matmul(params.w2).add(params.b2).tanh();
    const l = T.bceWithLogits(h2.matmul(params.w3).add(params.b3), y);
    T.backward(l);
    opt.update();
    opt.zeroGrad();
    return l;
  });
  if (step % 100 === 0) console.log(`step ${step}: spiral BCE ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}
console.log(`600 steps in ${((performance.now() - started) / 1000).toFixed(1)} s on ${backend.description}`);
