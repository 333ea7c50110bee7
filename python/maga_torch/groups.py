"""Group actions, as packages/model writes them (actions.ts, so3-action.ts, models/groups.ts): four
verbs for every group, identity, compose(g2, g1) (g1 first), inverse and act(g, u), so that the
group laws read the same for each.

- (R^d, +) on a flow latent through a learned linear map without bias, u -> u + M g (MAGANet);
- SO(2) on [N, invariant + 2B, ...] by block-diagonal rotations R(k_b theta) of consecutive pairs
  after the invariant part; elements are angles theta [N] in radians;
- C_n inside SO(2): element j in {0..n-1} acts as the rotation by 2 pi j / n;
- SO(3) on [N, invariant + 3V + 5T, ...]: V 3-vectors rotated by R(q) and T 5-vectors of the real
  degree-2 harmonics (xy, yz, 3z^2 - r^2, xz, x^2 - y^2) by D^2(R) = B (R kron R) B^T; elements
  are unit quaternions (w, x, y, z) [N, 4], composed by the Hamilton product.

Every action acts along dimension 1 and leaves the dimensions after it alone, so the same object
acts on a latent [N, size] and, channel-wise at every position, on a feature map [N, C, h, w]
(ours: ChannelAction). A batch of one element or one input broadcasts against the other.
"""

import math

import torch
from torch import nn

from .config import ConfigError

GROUP_KINDS = ("so2", "cyclic", "so3")
SO3_DEGREES = (1, 2)

# The orthonormal basis B_m (row-major 3x3 each) of the symmetric traceless matrices, in the
# real-harmonic order xy, yz, 3z^2 - r^2, xz, x^2 - y^2 (so3-action.ts DEGREE2_BASIS).
_R2, _R6 = math.sqrt(0.5), 1 / math.sqrt(6)
DEGREE2_BASIS = (
    (0, _R2, 0, _R2, 0, 0, 0, 0, 0),
    (0, 0, 0, 0, 0, _R2, 0, _R2, 0),
    (-_R6, 0, 0, 0, -_R6, 0, 0, 0, 2 * _R6),
    (0, 0, _R2, 0, 0, 0, _R2, 0, 0),
    (_R2, 0, 0, 0, -_R2, 0, 0, 0, 0),
)


# ---- the group a configuration names ------------------------------------------------------------

def _int_list(g, path, name, minimum):
    v = g.get(name)
    if not (isinstance(v, list) and v and all(isinstance(k, int) and not isinstance(k, bool) and k >= minimum for k in v)):
        raise ConfigError(f"config: {path}{name} must be a non-empty list of integers >= {minimum}, got {v!r}")
    return v


def parse_group(value, path="group."):
    """The group of a model configuration, checked as ours checks it; errors name the field and the value."""
    if not isinstance(value, dict):
        raise ConfigError(f"config: {path[:-1]} must be an object, got {value!r}")
    kind = value.get("kind")
    if kind not in GROUP_KINDS:
        raise ConfigError(f"config: {path}kind must be one of {', '.join(GROUP_KINDS)}, got {kind!r}")
    if kind == "so3":
        degrees = _int_list(value, path, "degrees", 1)
        bad = [d for d in degrees if d not in SO3_DEGREES]
        if bad:
            raise ConfigError(f"config: {path}degrees must each be 1 or 2, got {bad[0]} in {degrees}")
        return {"kind": kind, "degrees": degrees}
    frequencies = _int_list(value, path, "frequencies", 0)
    if all(k == 0 for k in frequencies):
        raise ConfigError(f"config: {path}frequencies must hold a non-zero frequency, got {frequencies}")
    if kind == "so2":
        return {"kind": kind, "frequencies": frequencies}
    n = value.get("n")
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 2):
        raise ConfigError(f"config: {path}n must be an integer >= 2 for a cyclic group C_n, got {n!r}")
    return {"kind": kind, "n": n, "frequencies": frequencies}


def group_name(group):
    """'SO(2)', 'C_4' or 'SO(3)'."""
    return {"so2": "SO(2)", "so3": "SO(3)"}.get(group["kind"]) or f"C_{group['n']}"


def element_size(group):
    """Numbers per element: 4 (a unit quaternion) for SO(3), 1 (an angle, a step j) otherwise."""
    return 4 if group["kind"] == "so3" else 1


def block_sizes(group, blocks):
    if group["kind"] == "so3":
        return [2 * group["degrees"][b % len(group["degrees"])] + 1 for b in range(blocks)]
    return [2] * blocks


def elements(group, g, batch=None):
    """Group elements as a float32 tensor: [N] for SO(2) and C_n (from a number, a list, [N] or
    [N, 1]), [N, 4] unit quaternions for SO(3) (from 4 numbers or [N, 4]). C_n steps must be
    integers in [0, n), quaternions of unit norm (within 1e-3): errors name the element."""
    t = torch.as_tensor(g, dtype=torch.float32)
    size = element_size(group)
    if size == 1:
        if t.dim() == 0:
            t = t.reshape(1)
        elif t.dim() == 2 and t.shape[1] == 1:
            t = t.reshape(-1)
        if t.dim() != 1:
            raise ValueError(f"{group_name(group)} elements must be [N] or [N, 1] (one number each), got shape {list(t.shape)}")
    else:
        if t.dim() == 1 and t.shape[0] == 4:
            t = t.reshape(1, 4)
        if t.dim() != 2 or t.shape[1] != 4:
            raise ValueError(f"SO(3) elements must be unit quaternions (w, x, y, z) [N, 4], got shape {list(t.shape)}")
    check_elements(group, t)
    if batch is not None and t.shape[0] == 1 and batch > 1:
        t = t.expand(batch, *t.shape[1:])
    return t


def check_elements(group, t):
    values = t.detach().cpu().reshape(t.shape[0], -1).double()
    if group["kind"] == "so3":
        for i, q in enumerate(values.tolist()):
            norm = math.sqrt(sum(v * v for v in q)) if all(math.isfinite(v) for v in q) else float("nan")
            if not abs(norm - 1) <= 1e-3:
                raise ValueError(f"SO(3) element {i} = {q} is not a unit quaternion (|q| = {norm})")
        return
    for i, (v,) in enumerate(values.tolist()):
        ok = math.isfinite(v) if group["kind"] == "so2" else (v == int(v) and 0 <= v < group["n"])
        if not ok:
            expected = "a finite angle in radians" if group["kind"] == "so2" else f"an integer in [0, {group['n']})"
            raise ValueError(f"{group_name(group)} element {i} = {v} is not {expected}")


# ---- actions -----------------------------------------------------------------------------------

class TranslationAction(nn.Module):
    """(R^d, +) acting on latents of `latent_size` values: u -> u + M g, M learned, no bias (MAGANet)."""

    def __init__(self, dim, latent_size):
        super().__init__()
        self.dim = dim
        self.M = nn.Linear(dim, latent_size, bias=False)

    def identity(self, batch):
        return torch.zeros(batch, self.dim)

    def compose(self, g2, g1):
        return g2 + g1

    def inverse(self, g):
        return -g

    def act(self, g, u):
        shift = self.M(g)
        flat = u.reshape(u.shape[0], -1) + shift  # one pivot's latent broadcasts over a batch of g
        return flat.reshape(-1, *u.shape[1:])


def _keep_invariant(u, invariant, moved):
    """[invariant part of u (broadcast to moved's rows) | moved] along dimension 1."""
    if invariant == 0:
        return moved
    head = u[:, :invariant]
    return torch.cat([head.expand(moved.shape[0], *head.shape[1:]), moved], dim=1)


class RotationAction(nn.Module):
    """SO(2) on [N, invariant + 2B, ...]: pair b (after the invariant part) rotated by k_b theta; `order` n gives C_n."""

    def __init__(self, invariant, frequencies, order=None):
        super().__init__()
        self.invariant = invariant
        self.blocks = len(frequencies)
        self.size = invariant + 2 * self.blocks
        self.order = order
        self.register_buffer("frequencies", torch.tensor(frequencies, dtype=torch.float32).reshape(1, -1), persistent=False)

    def identity(self, batch):
        return torch.zeros(batch)

    def _wrap(self, j):
        return j - torch.floor(j / self.order) * self.order

    def compose(self, g2, g1):
        return g2 + g1 if self.order is None else self._wrap(g2 + g1)

    def inverse(self, g):
        return -g if self.order is None else self._wrap(-g)

    def angles(self, g):
        return g if self.order is None else g * (2 * math.pi / self.order)

    def act(self, g, u):
        if u.shape[1] != self.size:
            raise ValueError(f"rotation action: dimension 1 must be {self.size} (invariant {self.invariant} + 2 x {self.blocks}), got shape {list(u.shape)}")
        rest = tuple(u.shape[2:])
        phase = (self.angles(g).reshape(-1, 1) * self.frequencies).reshape(-1, self.blocks, *([1] * len(rest)))
        cos, sin = torch.cos(phase), torch.sin(phase)
        pairs = u[:, self.invariant :].reshape(-1, self.blocks, 2, *rest)
        a, b = pairs[:, :, 0], pairs[:, :, 1]
        moved = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=2).reshape(-1, 2 * self.blocks, *rest)
        return _keep_invariant(u, self.invariant, moved)


class SO3Action(nn.Module):
    """SO(3) on [N, invariant + 3 vectors + 5 tensors, ...]; elements unit quaternions [N, 4]."""

    def __init__(self, invariant, vectors, tensors=0):
        super().__init__()
        if vectors + tensors == 0:
            raise ValueError("SO(3) action: the varying part is empty")
        self.invariant, self.vectors, self.tensors = invariant, vectors, tensors
        self.size = invariant + 3 * vectors + 5 * tensors
        self.register_buffer("conjugation", torch.tensor([[1.0, -1.0, -1.0, -1.0]]), persistent=False)
        self.register_buffer("basis", torch.tensor(DEGREE2_BASIS, dtype=torch.float32), persistent=False)

    def identity(self, batch):
        return torch.cat([torch.ones(batch, 1), torch.zeros(batch, 3)], dim=1)

    def compose(self, q2, q1):
        """q2 q1, the Hamilton product (q1 first)."""
        aw, ax, ay, az = q2.unbind(1)
        bw, bx, by, bz = q1.unbind(1)
        return torch.stack(
            [
                aw * bw - ax * bx - ay * by - az * bz,
                aw * bx + ax * bw + ay * bz - az * by,
                aw * by - ax * bz + ay * bw + az * bx,
                aw * bz + ax * by - ay * bx + az * bw,
            ],
            dim=1,
        )

    def inverse(self, q):
        return q * self.conjugation

    def rotation_matrix(self, q):
        """R(q) [N, 3, 3], divided by |q|^2 so that a float32-rounded unit quaternion still gives a rotation."""
        w, x, y, z = q.unbind(1)
        s = 2 / (w.square() + x.square() + y.square() + z.square())
        one = torch.ones_like(w)
        entries = [
            one - s * (y.square() + z.square()), s * (x * y - w * z), s * (x * z + w * y),
            s * (x * y + w * z), one - s * (x.square() + z.square()), s * (y * z - w * x),
            s * (x * z - w * y), s * (y * z + w * x), one - s * (x.square() + y.square()),
        ]
        return torch.stack(entries, dim=1).reshape(-1, 3, 3)

    def degree2(self, rotation):
        """D^2(R) [N, 5, 5] = B (R kron R) B^T, (R kron R)[(i, j), (k, l)] = R_ik R_jl."""
        kron = (rotation.reshape(-1, 3, 1, 3, 1) * rotation.reshape(-1, 1, 3, 1, 3)).reshape(-1, 9, 9)
        return self.basis @ kron @ self.basis.t()

    @staticmethod
    def _blockwise(matrix, blocks, width, rest):
        """matrix [N, w, w] applied to each of `blocks` w-vectors of [N, blocks * w, *rest]."""
        m = matrix.reshape(-1, 1, width, width, *([1] * len(rest)))
        return lambda v: (m * v.reshape(-1, blocks, 1, width, *rest)).sum(dim=3).reshape(-1, blocks * width, *rest)

    def act(self, q, u):
        if u.shape[1] != self.size:
            raise ValueError(f"SO(3) action: dimension 1 must be {self.size}, got shape {list(u.shape)}")
        rest = tuple(u.shape[2:])
        rotation = self.rotation_matrix(q)
        parts = []
        start = self.invariant
        if self.vectors:
            parts.append(self._blockwise(rotation, self.vectors, 3, rest)(u[:, start : start + 3 * self.vectors]))
            start += 3 * self.vectors
        if self.tensors:
            parts.append(self._blockwise(self.degree2(rotation), self.tensors, 5, rest)(u[:, start : start + 5 * self.tensors]))
        moved = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return _keep_invariant(u, self.invariant, moved)


def vector_action(group, invariant, blocks):
    """rho on latents [N, invariant + varying]: SO(2)/C_n block b at frequency frequencies[b mod len];
    SO(3) block b of degree degrees[b mod len], the l = 1 blocks first, then the l = 2 blocks."""
    if group["kind"] == "so3":
        degrees = [group["degrees"][b % len(group["degrees"])] for b in range(blocks)]
        return SO3Action(invariant, degrees.count(1), degrees.count(2))
    frequencies = [group["frequencies"][b % len(group["frequencies"])] for b in range(blocks)]
    return RotationAction(invariant, frequencies, group["n"] if group["kind"] == "cyclic" else None)


def channel_action(group, channels, invariant):
    """rho on the channels of feature maps [N, channels, h, w], the same at every position: the first
    `invariant` left alone, the rest in 2-D blocks (SO(2), C_n) or 3-vectors (SO(3))."""
    varying = channels - invariant
    width = 3 if group["kind"] == "so3" else 2
    if invariant < 0 or varying < width or varying % width:
        raise ValueError(f"channel action: {channels} channels with {invariant} invariant leave {varying} varying, which must be a positive multiple of {width} for {group_name(group)}")
    if group["kind"] == "so3":
        return SO3Action(invariant, varying // 3)
    return vector_action(group, invariant, varying // 2)


def skip_split(group, channels):
    """Invariant channels of a skip map: half (SO(2), C_n); for SO(3) what is left after as many 3-vectors as fit in half."""
    return channels - 3 * (channels // 6) if group["kind"] == "so3" else channels // 2
