// The tape's semantics, scopes and memory, optimizers, end-to-end learning, and bad input.
import { expect, test } from 'bun:test';
import * as T from '../index.ts';
import { describeEachBackend, expectClose, randomValues } from '../testing.ts';

describeEachBackend('autodiff', () => {
  test('a tensor used twice accumulates both gradients', async () => {
    const x = T.tensor([1, 2, 3], [3]).requireGrad();
    const y = T.add(T.mul(x, x), x); // dy/dx = 2x + 1
    T.backward(T.sum(y));
    expect(Array.from(await x.grad!.data())).toEqual([3, 5, 7]);
  });
  test('gradients accumulate across backward calls until zeroGrad', async () => {
    const x = T.tensor([1, -2], [2]).requireGrad();
    T.backward(T.sum(T.mul(x, 3)));
    T.backward(T.sum(T.mul(x, 3)));
    expect(Array.from(await x.grad!.data())).toEqual([6, 6]);
    T.zeroGrad([x]);
    expect(x.grad).toBeNull();
  });
  test('grad returns zeros for inputs the output does not depend on', async () => {
    const a = T.tensor([1, 2], [2]).requireGrad();
    const b = T.tensor([5], [1]).requireGrad();
    const [ga, gb] = T.grad(T.sum(T.exp(a)), [a, b]);
    expectClose(await ga.data(), [Math.E, Math.E ** 2], 1e-6);
    expect(Array.from(await gb.data())).toEqual([0]);
  });
  test('noGrad records nothing', () => {
    const x = T.tensor([1], [1]).requireGrad();
    const y = T.noGrad(() => T.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(() => T.backward(y)).toThrow(/does not depend on any tensor that requires gradients/);
  });
  test('a deep chain (10,000 ops) backpropagates without overflowing the stack', async () => {
    const x = T.tensor([0.5], [1]).requireGrad();
    let y = x;
    for (let i = 0; i < 10000; i++) y = T.add(y, 0.0001);
    T.backward(T.sum(y));
    expect(Array.from(await x.grad!.data())).toEqual([1]);
  });
  test('tidy frees intermediates but keeps what it returns', () => {
    const before = T.backend().stats().liveBuffers;
    const kept = T.tidy(() => {
      const a = T.ones([16]);
      const b = T.mul(a, 2);
      return { out: T.add(b, 1) };
    });
    expect(T.backend().stats().liveBuffers).toBe(before + 1);
    kept.out.dispose();
    expect(T.backend().stats().liveBuffers).toBe(before);
  });
  test('use after dispose throws, naming the op and the shape', () => {
    const x = T.ones([2, 3]);
    x.dispose();
    expect(() => T.exp(x)).toThrow(/exp: tensor #\d+ of shape \[2, 3\] was used after dispose/);
    expect(x.data()).rejects.toThrow(/used after dispose/);
  });
  test('checked mode reports the op and shapes that produced NaN', async () => {
    T.setChecked(true);
    try {
      const run = async () => {
        const x = T.tensor([1, -1, 2], [3]);
        const y = T.log(x);
        await y.data();
      };
      await expect(run()).rejects.toThrow(/checked mode: log\(\[3\]\) -> \[3\] produced/);
      // The next healthy op passes.
      expect(Array.from(await T.exp(T.zeros([2])).data())).toEqual([1, 1]);
    } finally {
      T.setChecked(false);
    }
  });
  test('without checked mode, log of a negative gives NaN (no crash)', async () => {
    expect(Number.isNaN((await T.log(T.tensor([-1], [1])).data())[0])).toBe(true);
  });
});

/** A 2-layer MLP on the XOR points; returns the loss tensor (mean BCE). */
function mlpLoss(params: Record<string, T.Tensor>, x: T.Tensor, y: T.Tensor): T.Tensor {
  const h = T.tanh(T.add(T.matmul(x, params.w1), params.b1));
  return T.bceWithLogits(T.add(T.matmul(h, params.w2), params.b2), y);
}

function makeMlp(seed: number, hidden = 16): Record<string, T.Tensor> {
  const p = {
    w1: T.tensor(randomValues(2 * hidden, seed, -1, 1), [2, hidden]),
    b1: T.zeros([hidden]),
    w2: T.tensor(randomValues(hidden, seed + 1, -0.5, 0.5), [hidden, 1]),
    b2: T.zeros([1]),
  };
  for (const [name, t] of Object.entries(p)) {
    T.keep(t).requireGrad();
    t.name = name;
  }
  return p;
}

describeEachBackend('training', (backend) => {
  test('an MLP learns XOR with Adam (mean BCE below 0.05 within 300 steps)', async () => {
    const params = makeMlp(3);
    const x = T.keep(T.tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]));
    const y = T.keep(T.tensor([0, 1, 1, 0], [4, 1]));
    const opt = T.adam(params, { lr: 0.05, clipNorm: 5 });
    let loss = Infinity;
    for (let step = 0; step < 300; step++) {
      const value = T.tidy(() => {
        const l = mlpLoss(params, x, y);
        T.backward(l);
        opt.update();
        opt.zeroGrad();
        return l;
      });
      if (step % 50 === 49 || step === 299) loss = await value.item();
      value.dispose();
    }
    expect(loss).toBeLessThan(0.05);
  });

  test('200 Adam steps inside scopes leave live memory flat', async () => {
    const params = makeMlp(5, 32);
    const x = T.keep(T.tensor(randomValues(64 * 2, 9), [64, 2]));
    const y = T.keep(T.tensor(randomValues(64, 10, 0, 1).map((v) => (v > 0.5 ? 1 : 0)), [64, 1]));
    const opt = T.adamw(params, { lr: 0.01, clipNorm: 1 });
    const step = () =>
      T.tidy(() => {
        T.backward(mlpLoss(params, x, y));
        opt.update();
        opt.zeroGrad();
      });
    step(); // creates the optimizer's moment buffers
    await backend.sync();
    const after1 = backend.stats();
    for (let i = 0; i < 200; i++) step();
    await backend.sync();
    const after201 = backend.stats();
    expect(after201.liveBuffers).toBe(after1.liveBuffers);
    expect(after201.liveBytes).toBe(after1.liveBytes);
    // The pool recycles: it does not grow with the number of steps.
    expect(after201.pooledBytes).toBeLessThanOrEqual(after1.pooledBytes + 64 * 1024);
  });
});

describeEachBackend('optimizers', () => {
  /** Adam on f(p) = Σ (p − target)² by hand, in float64. */
  function adamByHand(p0: number[], target: number[], steps: number, lr: number, wd: number, decoupled: boolean): number[] {
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const p = [...p0];
    const m = p.map(() => 0);
    const v = p.map(() => 0);
    for (let t = 1; t <= steps; t++) {
      for (let i = 0; i < p.length; i++) {
        let g = 2 * (p[i] - target[i]);
        if (!decoupled) g += wd * p[i];
        else p[i] -= lr * wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
      }
    }
    return p;
  }
  for (const kind of ['adam', 'adamw'] as const) {
    test(`${kind} matches the update rule computed by hand`, async () => {
      const p0 = [0.5, -1, 2, 0];
      const target = [1, 1, -1, 0.25];
      const p = T.keep(T.tensor(p0, [4])).requireGrad();
      const t = T.tensor(target, [4]);
      const opt = new T.Optimizer(kind, { p }, { lr: 0.1, weightDecay: 0.05 });
      for (let i = 0; i < 5; i++) {
        T.tidy(() => T.backward(T.sum(T.square(T.sub(p, t)))));
        opt.update();
        opt.zeroGrad();
      }
      expectClose(await p.data(), adamByHand(p0, target, 5, 0.1, 0.05, kind === 'adamw'), 1e-5);
    });
  }
  test('sgd with momentum follows v = μv + g, p -= lr·v', async () => {
    const p = T.keep(T.tensor([1], [1])).requireGrad();
    const opt = T.sgd({ p }, { lr: 0.1, momentum: 0.5 });
    let value = 1;
    let velocity = 0;
    for (let i = 0; i < 3; i++) {
      T.tidy(() => T.backward(T.sum(T.square(p))));
      opt.update();
      opt.zeroGrad();
      velocity = 0.5 * velocity + 2 * value;
      value -= 0.1 * velocity;
    }
    expectClose(await p.data(), [value], 1e-6);
  });
  test('clipping rescales gradients to the global norm', async () => {
    const a = T.keep(T.tensor([0], [1])).requireGrad();
    const b = T.keep(T.tensor([0], [1])).requireGrad();
    const opt = T.sgd({ a, b }, { lr: 1, clipNorm: 1 });
    // Gradients (3, 4): norm 5, so the step is (0.6, 0.8).
    T.tidy(() => T.backward(T.add(T.sum(T.mul(a, 3)), T.sum(T.mul(b, 4)))));
    expectClose([await T.globalNorm([a.grad!, b.grad!]).item()], [5], 1e-6);
    opt.update();
    expectClose([...(await a.data()), ...(await b.data())], [-0.6, -0.8], 1e-6);
  });
  test('exported state resumes the exact same trajectory', async () => {
    const run = async (split: boolean) => {
      let p = T.keep(T.tensor([0.3, -0.7], [2])).requireGrad();
      let opt = T.adam({ p }, { lr: 0.05 });
      for (let i = 0; i < 6; i++) {
        if (split && i === 3) {
          const state = await opt.exportState();
          const values = await p.data();
          opt.dispose();
          p = T.keep(T.tensor(values, [2])).requireGrad();
          opt = T.adam({ p }, { lr: 0.05 });
          opt.importState(JSON.parse(JSON.stringify(state, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)), (_k, v) => (Array.isArray(v) ? Float32Array.from(v) : v)));
        }
        T.tidy(() => T.backward(T.sum(T.exp(p))));
        opt.update();
        opt.zeroGrad();
      }
      return Array.from(await p.data());
    };
    expect(await run(true)).toEqual(await run(false));
  });
  test('bad options and state are refused', () => {
    const p = T.keep(T.zeros([2])).requireGrad();
    expect(() => T.adam({ p }, { lr: -1 })).toThrow(/invalid lr -1/);
    expect(() => T.adam({ p: T.zeros([1]) }, { lr: 1 })).toThrow(/parameter p \[1\] does not require gradients/);
    const opt = T.adam({ p }, { lr: 1 });
    expect(() => opt.update()).toThrow(/no parameter has a gradient/);
    expect(() => opt.importState({ kind: 'adam', step: 1, options: { lr: 1 }, slots: { q: { m: new Float32Array(2), v: new Float32Array(2) } } })).toThrow(/unknown parameter q/);
    expect(() => opt.importState({ kind: 'adam', step: 1, options: { lr: 1 }, slots: { p: { m: new Float32Array(3), v: new Float32Array(3) } } })).toThrow(/has 3 values, parameter \[2\] has 2/);
  });
});

test('creating a tensor from the wrong number of values throws', () => {
  expect(() => T.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fill shape \[2, 2\] \(4 elements\)/);
});
