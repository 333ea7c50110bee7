// Reverse-mode autodiff over the tape that `apply`/`record` leave on each output: sort the graph
// topologically from the result, walk it backwards calling each node's rule, and add up the
// gradients of tensors used more than once. Each rule runs in its own scope so its temporaries are
// freed at once.
import { describeShape, shapesEqual } from './shape.ts';
import { Tensor, keep, noGrad, tidy } from './tensor.ts';
import { add } from './ops/elementwise.ts';
import { onesLike } from './ops/creation.ts';

/** Nodes reachable from `root` that require gradients, in topological order (inputs first). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: graphs of deep flows exceed the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Gradients of `output` (seeded with `seed`, default ones) for every tensor in the graph that
 * requires them; returns the map restricted to `wanted` when given, else to the graph's leaves.
 */
function propagate(output: Tensor, seed: Tensor | undefined, wanted: readonly Tensor[] | null): Map<Tensor, Tensor> {
  if (!output.requiresGrad) {
    throw new Error(`backward: the output ${describeShape(output.shape)} does not depend on any tensor that requires gradients`);
  }
  const order = topologicalOrder(output);
  const wantedSet = new Set(wanted ?? order.filter((t) => !t.node));
  const grads = new Map<Tensor, Tensor>();
  // How many map entries hold each gradient tensor; a rule may pass its incoming gradient on unchanged.
  const holders = new Map<Tensor, number>();
  const hold = (g: Tensor) => holders.set(g, (holders.get(g) ?? 0) + 1);
  const drop = (g: Tensor) => {
    const n = (holders.get(g) ?? 0) - 1;
    if (n > 0) holders.set(g, n);
    else {
      holders.delete(g);
      if (g !== seed) g.dispose();
    }
  };
  const accumulate = (t: Tensor, g: Tensor) => {
    const previous = grads.get(t);
    if (!previous) {
      grads.set(t, g);
      hold(g);
      return;
    }
    const sum = add(previous, g);
    grads.set(t, sum);
    hold(sum);
    drop(previous);
    if (!holders.has(g) && g !== seed) g.dispose();
  };

  const start = seed ?? onesLike(output);
  if (!shapesEqual(start.shape, output.shape)) {
    throw new Error(`backward: seed gradient ${describeShape(start.shape)} does not match output ${describeShape(output.shape)}`);
  }
  grads.set(output, start);
  hold(start);

  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const node = t.node;
      const g = grads.get(t);
      if (!node || !g) continue;
      const inputGrads = tidy(() => node.backward(g, t));
      if (inputGrads.length !== node.inputs.length) {
        throw new Error(`backward of ${node.op}: rule returned ${inputGrads.length} gradients for ${node.inputs.length} inputs`);
      }
      inputGrads.forEach((gi, k) => {
        const input = node.inputs[k];
        if (!gi || !input.requiresGrad) {
          if (gi && gi !== g && !holders.has(gi)) gi.dispose();
          return;
        }
        if (!shapesEqual(gi.shape, input.shape)) {
          throw new Error(`backward of ${node.op}: gradient ${describeShape(gi.shape)} for input ${k} of shape ${describeShape(input.shape)}`);
        }
        accumulate(input, gi);
      });
      if (!wantedSet.has(t)) {
        grads.delete(t);
        drop(g);
      }
    }
  });
  const result = new Map<Tensor, Tensor>();
  for (const t of wantedSet) {
    const g = grads.get(t);
    if (g) result.set(t, g);
  }
  // Anything else still held is an intermediate gradient nobody asked for.
  for (const [t, g] of grads) if (!wantedSet.has(t)) drop(g);
  return result;
}

/**
 * Accumulates d(output)/d(leaf) into `leaf.grad` for every leaf that requires gradients. Leaf
 * gradients are owned by their leaf (not by any scope) until `zeroGrad` or the leaf's dispose.
 */
export function backward(output: Tensor, seed?: Tensor): void {
  const grads = propagate(output, seed, null);
  const seenGrads = new Set<Tensor>();
  for (const [leaf, g] of grads) {
    // Two leaves may share one gradient tensor (add(a, b)); each gets its own.
    const own = seenGrads.has(g) || g === seed ? noGrad(() => add(g, 0)) : g;
    seenGrads.add(g);
    if (leaf.grad) {
      const sum = noGrad(() => add(leaf.grad as Tensor, own));
      leaf.grad.dispose();
      own.dispose();
      leaf.grad = keep(sum);
    } else {
      leaf.grad = keep(own);
    }
  }
}

/** Frees the accumulated gradients of `tensors`. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/**
 * Gradients of a scalar (or seeded) `output` with respect to `inputs`, as new tensors in the
 * current scope. Inputs that `output` does not depend on get zeros.
 */
export function grad(output: Tensor, inputs: readonly Tensor[], seed?: Tensor): Tensor[] {
  const grads = propagate(output, seed, inputs);
  const used = new Set<Tensor>();
  return inputs.map((t) => {
    let g = grads.get(t);
    if (!g) return noGrad(() => add(onesLike(t), -1));
    if (used.has(g)) g = noGrad(() => add(g as Tensor, 0));
    used.add(g);
    return g;
  });
}

/** `f`'s value and its gradients with respect to `inputs` (which must require gradients). */
export function valueAndGrad(f: () => Tensor, inputs: readonly Tensor[]): { value: Tensor; grads: Tensor[] } {
  for (const t of inputs) {
    if (!t.requiresGrad) throw new Error(`valueAndGrad: input ${t.name ?? `#${t.id}`} ${describeShape(t.shape)} does not require gradients`);
  }
  const value = f();
  return { value, grads: grad(value, inputs) };
}
