// Where a trained MAGANet's composition error comes from: `bun bench/group-laws.ts RUN_DIR`.
// Prints the group laws of the run (float32 on the backend in use, float64 on the reference) and
// breaks the float32 composition error down: D(z₂, D(z₁, x)) runs f⁻¹, then f, then f⁻¹ again,
// where D(z₂·z₁, x) runs f⁻¹ once, so the difference is the flow's float32 round trip f(f⁻¹(v)) − v
// carried through f⁻¹ and σ. For each flow step it prints that step's own round-trip error, its
// ActNorm scales and the condition number of its 1×1 convolution; then the pixels where the error
// sits (their logits, σ′ there).
import { dsprites, Maganet, pixelsToLogits, type FlowStep } from '@maga/model';
import * as T from '@maga/tensor';
import { initBackend, isPairData, loadTrainedModel, readRunConfig } from '@maga/cli';
import { lawErrors, lawSample } from '../packages/cli/src/evaluate/laws.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: bun bench/group-laws.ts RUN_DIR   (a trained MAGANet run)');
  process.exit(2);
}
const info = await initBackend();
console.log(`backend: ${info.description}`);
const config = readRunConfig(dir);
const { model } = await loadTrainedModel(dir, undefined, config);
if (!(model instanceof Maganet)) throw new Error(`${dir}: a ${model.traits.label} run; this study is of MAGANet's flow decoder`);
if (isPairData(config.data)) throw new Error(`${dir}: a run on ${config.data.dataset}; this study is of MAGANet on dSprites`);
const sample = lawSample(model, config.data.split);
const f32 = await lawErrors(model, sample);
const f64 = await T.withBackend(new T.CpuBackend({ float64: true }), async () => {
  const r = await loadTrainedModel(dir, undefined, config);
  try {
    return await lawErrors(r.model, sample);
  } finally {
    r.model.dispose();
  }
});
const e = (x: number) => x.toExponential(2);
console.log(`\nlaws over ${sample.pivots.length} (pivot, z₁, z₂) triples, max |Δpixel|:`);
console.log(`  float32: identity ${e(f32.identity)}  composition ${e(f32.composition)}  inverse ${e(f32.inverse)}`);
console.log(`  float64: identity ${e(f64.identity)}  composition ${e(f64.composition)}  inverse ${e(f64.inverse)}`);

const max = async (t: T.Tensor) => Math.max(...(await t.abs().data()));
const images = (indices: number[]) => T.tensor(dsprites.renderBatch(indices), [indices.length, 1, 64, 64]);
const { decoder } = model;
const flow = decoder.flow;
const eps = model.config.epsilon;

await T.noGrad(async () => {
  const pivot = images(sample.pivots);
  const fixed = images([dsprites.FIXED_PIVOT.index]);
  const z1 = model.code(images(sample.a), fixed);
  const z2 = model.code(images(sample.b), fixed);
  const u = decoder.flowLatent(pivot);
  const v = decoder.action.act(z1, u); // u + M z₁
  const y1 = flow.inverse(v); // D(z₁, x) as logits
  const back = flow.forward(y1).y; // f(f⁻¹(v)): v, up to float32 rounding
  console.log(`\nthe flow latent v = u + M z₁: max |v| ${e(await max(v))}`);
  console.log(`round trip in the latent: max |f(f⁻¹(v)) − v| = ${e(await max(back.sub(v)))}`);
  console.log(`logits of D(z₁, x): max |y| ${e(await max(y1))} (ℓ of a pixel in [0, 1] is at most ${Math.log((1 - eps) / eps).toFixed(2)})`);

  const sequential = flow.inverse(decoder.action.act(z2, back));
  const combined = flow.inverse(decoder.action.act(decoder.action.compose(z2, z1), u));
  const dLogit = sequential.sub(combined).abs();
  const pix = (y: T.Tensor) => T.sigmoid(y).sub(eps).div(1 - 2 * eps);
  const dPix = pix(sequential).sub(pix(combined)).abs();
  const [dl, dp, yc] = await Promise.all([dLogit.data(), dPix.data(), combined.data()]);
  let worst = 0;
  for (let i = 0; i < dp.length; i++) if (dp[i] > dp[worst]) worst = i;
  const sig = 1 / (1 + Math.exp(-yc[worst]));
  console.log(`composition in logits: max |Δy| ${e(Math.max(...dl))}; in pixels: max |Δpixel| ${e(dp[worst])}`);
  console.log(`  worst pixel: logit ${yc[worst].toFixed(3)}, σ′ = ${(sig * (1 - sig)).toFixed(4)}, |Δy| there ${e(dl[worst])}`);
  // How the logit error spreads: the fraction of pixels above thresholds, and the pixel error by |logit|.
  const bands = [
    [0, 2],
    [2, 6],
    [6, 20],
    [20, Infinity],
  ];
  for (const [lo, hi] of bands) {
    let m = 0;
    let ml = 0;
    let n = 0;
    for (let i = 0; i < dp.length; i++) {
      const a = Math.abs(yc[i]);
      if (a >= lo && a < hi) {
        m = Math.max(m, dp[i]);
        ml = Math.max(ml, dl[i]);
        n++;
      }
    }
    console.log(`  |logit| in [${lo}, ${hi}): ${String(n).padStart(6)} pixels, max |Δy| ${e(ml)}, max |Δpixel| ${e(m)}`);
  }

  // The inverse law takes the same route (f⁻¹, f, f⁻¹) back to x, whose pixels are 0 or 1: logits
  // ±ℓ(1), where σ′ is small. Its logit error, beside the composition's:
  const roundTrip = flow.inverse(decoder.action.act(decoder.action.inverse(z1), back));
  const yx = pixelsToLogits(pivot, eps);
  const dInv = await roundTrip.sub(yx).abs().data();
  const sInv = await T.sigmoid(yx).data();
  let wi = 0;
  for (let i = 0; i < dInv.length; i++) if (dInv[i] * sInv[i] * (1 - sInv[i]) > dInv[wi] * sInv[wi] * (1 - sInv[wi])) wi = i;
  console.log(`inverse in logits: max |Δy| ${e(Math.max(...dInv))}; σ′ at x's logits is at most ${(Math.max(...Array.from(sInv, (q) => q * (1 - q)))).toExponential(2)}, so max |Δpixel| stays ≈ ${e(dInv[wi] * sInv[wi] * (1 - sInv[wi]))}`);

  // Each flow step on its own: the round trip of its input, and what it is made of.
  console.log('\nper flow step (input: the activations of f⁻¹(v) on their way back up):');
  console.log('  step           |s(x)−x| rt   actnorm e^s range      invconv cond   |x|max');
  let x = y1;
  let level = 0;
  // Glow keeps its steps private: read here only, for the breakdown.
  const levels = (flow as unknown as { levels: FlowStep[][] }).levels;
  for (const steps of levels) {
    x = T.squeeze2d(x);
    for (const [k, step] of steps.entries()) {
      const out = step.forward(x).y;
      const rt = await max(step.forward(step.inverse(out)).y.sub(out));
      const scales = await step.actNorm.logScale.exp().data();
      const w = await step.invConv.weight().data64();
      console.log(`  level${level} step${k}   ${e(rt).padStart(9)}      ${e(Math.min(...scales))} … ${e(Math.max(...scales))}   ${condition(w).toFixed(1).padStart(8)}   ${e(await max(out))}`);
      x = out;
    }
    level++;
  }
});
model.dispose();

/** The 2-norm condition number of a c×c matrix: √(λmax/λmin) of WᵀW, by power iteration on it and on its inverse (float64, host). */
function condition(w: Float64Array): number {
  const c = Math.round(Math.sqrt(w.length));
  const a = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) for (let k = 0; k < c; k++) a[i * c + j] += w[k * c + i] * w[k * c + j];
  const power = (apply: (v: Float64Array) => Float64Array) => {
    let v = new Float64Array(c).fill(1 / Math.sqrt(c));
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const next = apply(v);
      lambda = Math.hypot(...next);
      v = next.map((x) => x / lambda);
    }
    return lambda;
  };
  const mul = (v: Float64Array) => Float64Array.from({ length: c }, (_, i) => a.subarray(i * c, (i + 1) * c).reduce((s, x, j) => s + x * v[j], 0));
  // Solve A x = v by Gaussian elimination (A is symmetric positive definite).
  const solve = (v: Float64Array) => {
    const m = Float64Array.from(a);
    const b = Float64Array.from(v);
    for (let k = 0; k < c; k++) {
      for (let i = k + 1; i < c; i++) {
        const f = m[i * c + k] / m[k * c + k];
        for (let j = k; j < c; j++) m[i * c + j] -= f * m[k * c + j];
        b[i] -= f * b[k];
      }
    }
    const x = new Float64Array(c);
    for (let i = c - 1; i >= 0; i--) {
      let s = b[i];
      for (let j = i + 1; j < c; j++) s -= m[i * c + j] * x[j];
      x[i] = s / m[i * c + i];
    }
    return x;
  };
  return Math.sqrt(power(mul) * power(solve));
}

// The float32 floor: everything in float64 except that D(z₁, x) is stored once as float32 (the
// least any float32 computation must do), then f, + M z₂ and f⁻¹ exact. What remains is the
// flow's own amplification of one float32 rounding of its input.
await T.withBackend(new T.CpuBackend({ float64: true }), async () => {
  const r = await loadTrainedModel(dir, undefined, config);
  const m = r.model as Maganet;
  await T.noGrad(async () => {
    const d = m.decoder;
    const fixed = images([dsprites.FIXED_PIVOT.index]);
    const z1 = m.code(images(sample.a), fixed);
    const z2 = m.code(images(sample.b), fixed);
    const u = d.flowLatent(images(sample.pivots));
    const y1 = d.flow.inverse(d.action.act(z1, u));
    const stored = T.tensor(Float32Array.from(await y1.data64()), y1.shape); // rounded to float32, held in float64
    const sequentialExact = d.flow.inverse(d.action.act(z2, d.flow.forward(y1).y));
    const sequential = d.flow.inverse(d.action.act(z2, d.flow.forward(stored).y));
    const combined = d.flow.inverse(d.action.act(d.action.compose(z2, z1), u));
    const pix = (y: T.Tensor) => T.sigmoid(y).sub(eps).div(1 - 2 * eps);
    const gap = async (a: T.Tensor, b: T.Tensor) => Math.max(...(await a.sub(b).abs().data64()));
    console.log('\nfloat64 reference:');
    console.log(`  composition with D(z₁, x) kept in float64: max |Δy| ${e(await gap(sequentialExact, combined))}, max |Δpixel| ${e(await gap(pix(sequentialExact), pix(combined)))}`);
    console.log(`  D(z₁, x) rounded once to float32, the rest float64: max |Δy| ${e(await gap(sequential, combined))}, max |Δpixel| ${e(await gap(pix(sequential), pix(combined)))}  (the float32 floor)`);
  });
  r.model.dispose();
});
