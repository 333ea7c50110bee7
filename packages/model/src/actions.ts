// Group actions on latent vectors, one interface for all: identity, compose, inverse, act.
// Group elements are tensors with a leading batch dimension, one element per sample.
//   - Translation (ℝ^d, +) acting on a flow latent through a learned linear map without bias,
//     u ↦ u + M·g (MAGANet): the action is a homomorphism because M is linear.
//   - SO(2) acting on a latent by block-diagonal rotations R(k·θ), one 2×2 block per integer
//     frequency k, on the varying part; identity on the invariant part (Jin et al.).
//   - The cyclic group C_n ⊂ SO(2): element j acts as the rotation by 2πj/n.
import * as T from '@maga/tensor';
import { Linear } from './nn/layers.ts';
import { Module } from './nn/module.ts';

export interface GroupAction {
  /** The identity element for a batch of `batch` samples. */
  identity(batch: number): T.Tensor;
  /** g₂·g₁ (apply g₁ first). */
  compose(g2: T.Tensor, g1: T.Tensor): T.Tensor;
  inverse(g: T.Tensor): T.Tensor;
  /** ρ(g)·u for a batch of latents u [N, …] (a batch of 1 element or latent broadcasts). */
  act(g: T.Tensor, u: T.Tensor): T.Tensor;
}

/** (ℝ^d, +) acting on latents of `latentSize` values by u ↦ u + M·g, M learned, no bias. */
export class TranslationAction extends Module implements GroupAction {
  readonly map: Linear;

  constructor(
    readonly dim: number,
    readonly latentSize: number,
    rng: T.Rng,
  ) {
    super();
    this.map = this.child('M', new Linear(dim, latentSize, rng, { bias: false }));
  }

  identity(batch: number): T.Tensor {
    return T.zeros([batch, this.dim]);
  }

  compose(g2: T.Tensor, g1: T.Tensor): T.Tensor {
    return g2.add(g1);
  }

  inverse(g: T.Tensor): T.Tensor {
    return g.neg();
  }

  act(g: T.Tensor, u: T.Tensor): T.Tensor {
    if (g.rank !== 2 || g.shape[1] !== this.dim) throw new Error(`translation action: element must be [N, ${this.dim}], got ${T.describeShape(g.shape)}`);
    const shift = this.map.forward(g);
    const flat = u.reshape([u.shape[0], -1]);
    if (flat.shape[1] !== this.latentSize) throw new Error(`translation action: latent has ${flat.shape[1]} values, the map produces ${this.latentSize}`);
    const rows = Math.max(u.shape[0], g.shape[0]);
    return flat.add(shift).reshape([rows, ...u.shape.slice(1)]);
  }
}

export interface RotationLayout {
  /** Leading latent components left unchanged by the group (the invariant part). */
  invariant: number;
  /** One integer frequency per 2-D block of the varying part. */
  frequencies: number[];
}

function checkLayout(layout: RotationLayout): void {
  if (!Number.isInteger(layout.invariant) || layout.invariant < 0) throw new Error(`rotation action: invariant size must be a non-negative integer, got ${layout.invariant}`);
  if (layout.frequencies.length === 0 || layout.frequencies.some((k) => !Number.isInteger(k))) {
    throw new Error(`rotation action: frequencies must be a non-empty list of integers, got [${layout.frequencies.join(', ')}]`);
  }
}

/**
 * SO(2) acting on [N, invariant + 2·blocks] latents: components (invariant + 2b, invariant + 2b + 1)
 * are rotated by the angle k_b·θ. Elements are angles θ [N] in radians.
 */
export class RotationAction implements GroupAction {
  readonly size: number;
  private readonly frequencies: T.Tensor;

  constructor(readonly layout: RotationLayout) {
    checkLayout(layout);
    this.size = layout.invariant + 2 * layout.frequencies.length;
    this.frequencies = T.keep(T.tensor(layout.frequencies, [1, layout.frequencies.length]));
  }

  identity(batch: number): T.Tensor {
    return T.zeros([batch]);
  }

  compose(g2: T.Tensor, g1: T.Tensor): T.Tensor {
    return g2.add(g1);
  }

  inverse(g: T.Tensor): T.Tensor {
    return g.neg();
  }

  /** Angles θ [N] of this group's elements (overridden by C_n). */
  protected angles(g: T.Tensor): T.Tensor {
    return g;
  }

  act(g: T.Tensor, u: T.Tensor): T.Tensor {
    if (u.rank !== 2 || u.shape[1] !== this.size) throw new Error(`rotation action: latent must be [N, ${this.size}], got ${T.describeShape(u.shape)}`);
    if (g.rank !== 1) throw new Error(`rotation action: elements must be a vector of angles [N], got ${T.describeShape(g.shape)}`);
    const blocks = this.layout.frequencies.length;
    const phase = this.angles(g).reshape([-1, 1]).mul(this.frequencies); // [N, blocks]
    const [cos, sin] = [T.cos(phase), T.sin(phase)];
    const varyingPart = T.slice(u, 1, this.layout.invariant).reshape([u.shape[0], blocks, 2]);
    const [a, b] = T.split(varyingPart, 2, 2).map((t) => t.reshape([u.shape[0], blocks]));
    const rotated = T.concat([a.mul(cos).sub(b.mul(sin)).reshape([-1, blocks, 1]), a.mul(sin).add(b.mul(cos)).reshape([-1, blocks, 1])], 2);
    const rows = rotated.shape[0];
    const moved = rotated.reshape([rows, 2 * blocks]);
    if (this.layout.invariant === 0) return moved;
    const invariantPart = T.slice(u, 1, 0, this.layout.invariant).broadcastTo([rows, this.layout.invariant]);
    return T.concat([invariantPart, moved], 1);
  }

  /** ρ(g) as matrices [N, size, size] (for tests and the viewer's group-law demo). */
  representation(g: T.Tensor): T.Tensor {
    const n = g.shape[0];
    const basis = T.eye(this.size).reshape([1, this.size, this.size]).broadcastTo([n, this.size, this.size]);
    // Column j of ρ(g) is ρ(g)·e_j: act on each basis vector.
    const columns = T.permute(basis, [0, 2, 1]).reshape([n * this.size, this.size]);
    const angles = this.angles(g).reshape([n, 1]).broadcastTo([n, this.size]).reshape([n * this.size]);
    const images = new RotationAction(this.layout).act(angles, columns);
    return T.permute(images.reshape([n, this.size, this.size]), [0, 2, 1]);
  }

  dispose(): void {
    this.frequencies.dispose();
  }
}

/** The cyclic group C_n inside SO(2): element j ∈ {0, …, n−1} acts as the rotation by 2πj/n. */
export class CyclicAction extends RotationAction {
  constructor(
    readonly order: number,
    layout: RotationLayout,
  ) {
    super(layout);
    if (!Number.isInteger(order) || order < 1) throw new Error(`cyclic action: order must be a positive integer, got ${order}`);
  }

  /** j mod n, in {0, …, n−1}. */
  private wrap(j: T.Tensor): T.Tensor {
    return j.sub(T.floor(j.div(this.order)).mul(this.order));
  }

  override identity(batch: number): T.Tensor {
    return T.zeros([batch]);
  }

  override compose(g2: T.Tensor, g1: T.Tensor): T.Tensor {
    return this.wrap(g2.add(g1));
  }

  override inverse(g: T.Tensor): T.Tensor {
    return this.wrap(g.neg());
  }

  protected override angles(g: T.Tensor): T.Tensor {
    return g.mul((2 * Math.PI) / this.order);
  }
}
