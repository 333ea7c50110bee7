// The action of SO(3), rotations in space, on a latent vector (issue 12): the latent-action model's
// ρ(g) for objects turned by a known R. Layout of a latent u [N, size]:
//   [ invariant | vectors × 3 | tensors × 5 ]
//   - invariant: left as it is (what the object is, not how it is turned);
//   - vectors: copies of the ℓ = 1 representation, 3-vectors v ↦ R·v;
//   - tensors: copies of the ℓ = 2 representation, 5-vectors in the basis of the real spherical
//     harmonics of degree 2, (xy, yz, 3z² − r², xz, x² − y²), i.e. the symmetric traceless 3×3
//     matrices S ↦ R·S·Rᵀ written in an orthonormal basis B_m: D²(R)_mn = ⟨B_m, R·B_n·Rᵀ⟩, so that
//     y(R·x) = D²(R)·y(x) for y_m(x) = xᵀB_m x. (The real Wigner-D matrix of degree 2.)
// Elements are unit quaternions (w, x, y, z), [N, 4]: four numbers per element, composed by the
// Hamilton product (no matrix drift, no gimbal lock), inverted by conjugation. A homomorphism
// because R(q₂q₁) = R(q₂)R(q₁) and each block is a representation of the rotation matrices.
import * as T from '@maga/tensor';
import type { GroupAction } from './actions.ts';
import { checkQuaternions } from './data/quaternion.ts';

export interface SO3Layout {
  /** Leading latent components the rotation leaves alone. */
  invariant: number;
  /** Copies of the ℓ = 1 representation (3 components each). */
  vectors: number;
  /** Copies of the ℓ = 2 representation (5 components each); default 0. */
  tensors?: number;
}

/** The orthonormal basis B_m (row-major 3×3 each) of the symmetric traceless matrices, in the real-harmonic order xy, yz, 3z² − r², xz, x² − y². */
export const DEGREE2_BASIS: readonly (readonly number[])[] = (() => {
  const [r2, r6] = [Math.SQRT1_2, 1 / Math.sqrt(6)];
  return [
    [0, r2, 0, r2, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, r2, 0, r2, 0],
    [-r6, 0, 0, 0, -r6, 0, 0, 0, 2 * r6],
    [0, 0, r2, 0, 0, 0, r2, 0, 0],
    [r2, 0, 0, 0, -r2, 0, 0, 0, 0],
  ];
})();

function checkLayout(layout: SO3Layout): Required<SO3Layout> {
  const tensors = layout.tensors ?? 0;
  for (const [name, value] of [['invariant', layout.invariant], ['vectors', layout.vectors], ['tensors', tensors]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`SO(3) action: ${name} must be a non-negative integer, got ${value}`);
  }
  if (layout.vectors + tensors === 0) throw new Error(`SO(3) action: the varying part is empty (vectors = 0, tensors = 0): the group would act as the identity`);
  return { invariant: layout.invariant, vectors: layout.vectors, tensors };
}

/** SO(3) on [N, invariant + 3·vectors + 5·tensors] latents; elements unit quaternions [N, 4]. */
export class SO3Action implements GroupAction {
  readonly layout: Required<SO3Layout>;
  readonly size: number;
  private readonly conjugation: T.Tensor;
  private readonly basis: T.Tensor;

  constructor(layout: SO3Layout) {
    this.layout = checkLayout(layout);
    this.size = this.layout.invariant + 3 * this.layout.vectors + 5 * this.layout.tensors;
    this.conjugation = T.keep(T.tensor([1, -1, -1, -1], [1, 4]));
    this.basis = T.keep(T.tensor(DEGREE2_BASIS.flat(), [1, 5, 9]));
  }

  /**
   * Group elements from host values (4 per element), checked: every quaternion finite and of unit
   * norm (within UNIT_TOLERANCE), or an error naming `where`, the element and its value.
   */
  elements(values: ArrayLike<number>, where = 'SO(3) elements'): T.Tensor {
    checkQuaternions(values, where);
    return T.tensor(Array.from(values), [values.length / 4, 4]);
  }

  identity(batch: number): T.Tensor {
    return T.concat([T.ones([batch, 1]), T.zeros([batch, 3])], 1);
  }

  /** q₂·q₁, the Hamilton product (q₁ first). */
  compose(q2: T.Tensor, q1: T.Tensor): T.Tensor {
    this.checkElements(q2);
    this.checkElements(q1);
    const [aw, ax, ay, az] = T.split(q2, 4, 1);
    const [bw, bx, by, bz] = T.split(q1, 4, 1);
    return T.concat(
      [
        aw.mul(bw).sub(ax.mul(bx)).sub(ay.mul(by)).sub(az.mul(bz)),
        aw.mul(bx).add(ax.mul(bw)).add(ay.mul(bz)).sub(az.mul(by)),
        aw.mul(by).sub(ax.mul(bz)).add(ay.mul(bw)).add(az.mul(bx)),
        aw.mul(bz).add(ax.mul(by)).sub(ay.mul(bx)).add(az.mul(bw)),
      ],
      1,
    );
  }

  /** q̄, the inverse of a unit quaternion. */
  inverse(q: T.Tensor): T.Tensor {
    this.checkElements(q);
    return q.mul(this.conjugation);
  }

  private checkElements(q: T.Tensor): void {
    if (q.rank !== 2 || q.shape[1] !== 4) throw new Error(`SO(3) action: elements must be unit quaternions [N, 4] (w, x, y, z), got ${T.describeShape(q.shape)}`);
  }

  /** R(q) [N, 3, 3]. Divided by |q|², so a float32-rounded unit quaternion still gives a rotation. */
  rotationMatrix(q: T.Tensor): T.Tensor {
    this.checkElements(q);
    const [w, x, y, z] = T.split(q, 4, 1);
    const s = T.div(2, w.square().add(x.square()).add(y.square()).add(z.square()));
    const one = T.onesLike(w);
    const entries = [
      one.sub(s.mul(y.square().add(z.square()))),
      s.mul(x.mul(y).sub(w.mul(z))),
      s.mul(x.mul(z).add(w.mul(y))),
      s.mul(x.mul(y).add(w.mul(z))),
      one.sub(s.mul(x.square().add(z.square()))),
      s.mul(y.mul(z).sub(w.mul(x))),
      s.mul(x.mul(z).sub(w.mul(y))),
      s.mul(y.mul(z).add(w.mul(x))),
      one.sub(s.mul(x.square().add(y.square()))),
    ];
    return T.concat(entries, 1).reshape([q.shape[0], 3, 3]);
  }

  /** D²(R) [N, 5, 5] = B·(R ⊗ R)·Bᵀ, with B the 5×9 basis of DEGREE2_BASIS. */
  degree2(rotation: T.Tensor): T.Tensor {
    const n = rotation.shape[0];
    // (R ⊗ R)[(i, j), (k, l)] = R_ik · R_jl.
    const kron = rotation.reshape([n, 3, 1, 3, 1]).mul(rotation.reshape([n, 1, 3, 1, 3])).reshape([n, 9, 9]);
    const basis = this.basis.broadcastTo([n, 5, 9]);
    return T.matmul(T.matmul(basis, kron), T.transpose(basis));
  }

  /** ρ(q)·u for latents u [N, size] (a batch of 1 element or latent broadcasts). */
  act(q: T.Tensor, u: T.Tensor): T.Tensor {
    if (u.rank !== 2 || u.shape[1] !== this.size) throw new Error(`SO(3) action: latent must be [N, ${this.size}], got ${T.describeShape(u.shape)}`);
    this.checkElements(q);
    if (q.shape[0] !== u.shape[0] && q.shape[0] !== 1 && u.shape[0] !== 1) throw new Error(`SO(3) action: ${q.shape[0]} elements cannot act on ${u.shape[0]} latents (expected equal counts, or one of them 1)`);
    const rows = Math.max(q.shape[0], u.shape[0]);
    const { invariant, vectors, tensors } = this.layout;
    const rotation = this.rotationMatrix(q);
    const parts: T.Tensor[] = [];
    if (invariant > 0) parts.push(T.slice(u, 1, 0, invariant).broadcastTo([rows, invariant]));
    if (vectors > 0) {
      // Row vectors v [1, 3] become (R·v)ᵀ = v·Rᵀ.
      const varying = T.slice(u, 1, invariant, invariant + 3 * vectors).reshape([u.shape[0], vectors, 3]);
      parts.push(T.matmul(varying, T.transpose(rotation)).reshape([rows, 3 * vectors]));
    }
    if (tensors > 0) {
      const start = invariant + 3 * vectors;
      const varying = T.slice(u, 1, start, start + 5 * tensors).reshape([u.shape[0], tensors, 5]);
      parts.push(T.matmul(varying, T.transpose(this.degree2(rotation))).reshape([rows, 5 * tensors]));
    }
    return parts.length === 1 ? parts[0] : T.concat(parts, 1);
  }

  /** ρ(q) as matrices [N, size, size]: block-diagonal I, R, …, R, D², …, D² (tests, the viewer). */
  representation(q: T.Tensor): T.Tensor {
    const n = q.shape[0];
    const basis = T.eye(this.size).reshape([1, this.size, this.size]).broadcastTo([n, this.size, this.size]);
    // Column j of ρ(q) is ρ(q)·e_j: act on every basis vector, each with its sample's element.
    const columns = T.permute(basis, [0, 2, 1]).reshape([n * this.size, this.size]);
    const repeated = q.reshape([n, 1, 4]).broadcastTo([n, this.size, 4]).reshape([n * this.size, 4]);
    return T.permute(this.act(repeated, columns).reshape([n, this.size, this.size]), [0, 2, 1]);
  }

  dispose(): void {
    this.conjugation.dispose();
    this.basis.dispose();
  }
}
