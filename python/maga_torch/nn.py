"""The layers our models share, as packages/model writes them (nn/, flow/glow.ts, decoder.ts), with
the same parameter names so that a model.safetensors loads into them unchanged:

- the pixel map l(x) = logit(eps + (1 - 2 eps) x) into a flow and its inverse;
- Glow without factoring out: levels of squeeze + K steps of ActNorm -> invertible 1x1
  convolution (LU-parameterised) -> additive or affine coupling, forward f and exact inverse f^-1;
- one-head self-attention with a residual, y = x + W_o softmax(Q K^T / sqrt(d)) V.

Shapes are written with -1 for the batch so that torch.onnx traces a dynamic batch.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# ---- the pixel squashing l and its inverse --------------------------------------------------------

def pixels_to_logits(x, epsilon):
    """l(x) = logit(eps + (1 - 2 eps) x), kept inside float32's open unit interval (as ours), so
    pixels rounded to 0 or 1 map to finite logits."""
    p = (x * (1 - 2 * epsilon) + epsilon).clamp(1e-7, 1 - 6e-8)
    return p.log() - (1 - p).log()


def logits_to_pixels(y, epsilon):
    """l^-1(y) = (sigmoid(y) - eps) / (1 - 2 eps)."""
    return (torch.sigmoid(y) - epsilon) / (1 - 2 * epsilon)


# ---- Glow ---------------------------------------------------------------------------------------

def squeeze2d(x):
    """Space-to-depth x2: channel c*4 + 2*dy + dx holds pixel (2y+dy, 2x+dx) of channel c."""
    _, c, h, w = x.shape
    return x.reshape(-1, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(-1, c * 4, h // 2, w // 2)


def unsqueeze2d(x):
    _, c, h, w = x.shape
    return x.reshape(-1, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(-1, c // 4, h * 2, w * 2)


def conv(cin, cout, kernel, padding=0, stride=1, zero=False):
    layer = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding)
    if zero:
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
    return layer


def add_down_convs(module, prefix, channels, widths):
    """The encoders' 4x4 stride-2 convolutions, named prefix1, prefix2, ...: channels -> widths[0] -> widths[1] ..."""
    for i, w in enumerate(widths):
        module.add_module(f"{prefix}{i + 1}", conv(channels if i == 0 else widths[i - 1], w, 4, padding=1, stride=2))


def add_up_convs(module, prefix, chain):
    """The decoders' 4x4 stride-2 transposed convolutions, named prefix1, prefix2, ...: chain[0] -> chain[1] -> ..."""
    for i in range(len(chain) - 1):
        module.add_module(f"{prefix}{i + 1}", nn.ConvTranspose2d(chain[i], chain[i + 1], 4, stride=2, padding=1))


class ActNorm(nn.Module):
    """y = (x + b) e^s per channel; s and b set from the first batch (zero mean, unit variance)."""

    def __init__(self, channels):
        super().__init__()
        self.logScale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.initialized = False

    @torch.no_grad()
    def initialize(self, x):
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = (x - mean).square().mean(dim=(0, 2, 3), keepdim=True).sqrt()
        self.bias.copy_(-mean)
        self.logScale.copy_(-(std + 1e-6).log())
        self.initialized = True

    def forward(self, x):
        if not self.initialized:
            self.initialize(x)
        return (x + self.bias) * self.logScale.exp()

    def inverse(self, y):
        return y * (-self.logScale).exp() - self.bias


def _random_rotation_lu(c, generator):
    """P, L, U (A = P L U, partial pivoting) of a random rotation: how Glow's 1x1 convolution starts."""
    a = torch.randn(c, c, generator=generator, dtype=torch.float64).numpy()
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    u = q.copy()
    lower = np.zeros((c, c))
    perm = list(range(c))
    for k in range(c):
        pivot = k + int(np.argmax(np.abs(u[k:, k])))
        if pivot != k:
            u[[k, pivot]] = u[[pivot, k]]
            lower[[k, pivot]] = lower[[pivot, k]]
            perm[k], perm[pivot] = perm[pivot], perm[k]
        lower[k, k] = 1
        for i in range(k + 1, c):
            f = u[i, k] / u[k, k]
            lower[i, k] = f
            u[i, k:] -= f * u[k, k:]
    p = np.zeros((c, c))
    for i in range(c):
        p[perm[i], i] = 1
    return p, lower, u


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution, W = P (L + I) (U + diag(sign e^logS)), P and sign fixed; log|det W| = sum logS per pixel."""

    def __init__(self, channels, generator=None):
        super().__init__()
        c = channels
        p, lower, upper = _random_rotation_lu(c, generator)
        diag = np.diag(upper)
        self.register_buffer("permutation", torch.tensor(p, dtype=torch.float32))
        self.register_buffer("sign", torch.tensor(np.sign(diag), dtype=torch.float32))
        self.lower = nn.Parameter(torch.tensor(np.tril(lower, -1), dtype=torch.float32))
        self.upper = nn.Parameter(torch.tensor(np.triu(upper, 1), dtype=torch.float32))
        self.logS = nn.Parameter(torch.tensor(np.log(np.abs(diag)), dtype=torch.float32))
        # Not in checkpoints (ours recomputes them too).
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c), -1), persistent=False)
        self.register_buffer("upper_mask", torch.triu(torch.ones(c, c), 1), persistent=False)
        self.register_buffer("eye", torch.eye(c), persistent=False)
        self.channels = c
        # W^-1 fixed by freeze() for ONNX export, which has no matrix inverse in its standard opsets.
        self.frozen_inverse = None

    def weight(self):
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.upper_mask + self.eye * (self.sign * self.logS.exp())
        return self.permutation @ lower @ upper

    def inverse_weight(self):
        return self.frozen_inverse if self.frozen_inverse is not None else torch.inverse(self.weight())

    def forward(self, x):
        c = self.channels
        return F.conv2d(x, self.weight().reshape(c, c, 1, 1))

    def inverse(self, y):
        c = self.channels
        return F.conv2d(y, self.inverse_weight().reshape(c, c, 1, 1))


class Coupling(nn.Module):
    """The first half of the channels passes and sets a shift (additive) or a shift and a sigmoid
    scale (affine) of the rest; the last convolution starts at zero, so a step starts as the identity."""

    def __init__(self, channels, hidden, kind):
        super().__init__()
        if kind not in ("additive", "affine"):
            raise ValueError(f"coupling: kind must be 'additive' or 'affine', got {kind!r}")
        self.kind = kind
        self.passive = channels // 2
        self.active = channels - self.passive
        self.conv1 = conv(self.passive, hidden, 3, padding=1)
        self.conv2 = conv(hidden, hidden, 1)
        self.conv3 = conv(hidden, 2 * self.active if kind == "affine" else self.active, 3, padding=1, zero=True)

    def _shift_and_log_scale(self, passive):
        h = self.conv3(F.relu(self.conv2(F.relu(self.conv1(passive)))))
        if self.kind == "additive":
            return h, None
        shift, raw = h.split([self.active, self.active], dim=1)
        return shift, F.logsigmoid(raw + 2)

    def forward(self, x):
        passive, active = x.split([self.passive, self.active], dim=1)
        shift, log_scale = self._shift_and_log_scale(passive)
        moved = (active + shift) * log_scale.exp() if log_scale is not None else active + shift
        return torch.cat([passive, moved], dim=1)

    def inverse(self, y):
        passive, moved = y.split([self.passive, self.active], dim=1)
        shift, log_scale = self._shift_and_log_scale(passive)
        active = moved * (-log_scale).exp() - shift if log_scale is not None else moved - shift
        return torch.cat([passive, active], dim=1)


class FlowStep(nn.Module):
    """ActNorm -> invertible 1x1 convolution -> coupling. ActNorm and the 1x1 convolution run as one
    convolution with a bias in both directions, as ours (flow/glow.ts FlowStep):
    forward W((x + b) e^s) = (W diag(e^s)) x + W (b e^s); inverse (W^-1 y) e^-s - b."""

    def __init__(self, channels, hidden, kind, generator=None):
        super().__init__()
        self.actnorm = ActNorm(channels)
        self.invconv = InvConv1x1(channels, generator)
        self.coupling = Coupling(channels, hidden, kind)
        self.channels = channels

    def forward(self, x):
        if not self.actnorm.initialized:
            self.actnorm.initialize(x)
        c = self.channels
        scale = self.actnorm.logScale.exp().reshape(c)
        w = self.invconv.weight()
        weight = (w * scale.reshape(1, c)).reshape(c, c, 1, 1)
        bias = (w @ (self.actnorm.bias.reshape(c, 1) * scale.reshape(c, 1))).reshape(c)
        return self.coupling(F.conv2d(x, weight, bias))

    def inverse(self, y):
        c = self.channels
        weight = (self.invconv.inverse_weight() * (-self.actnorm.logScale).exp().reshape(c, 1)).reshape(c, c, 1, 1)
        return F.conv2d(self.coupling.inverse(y), weight, -self.actnorm.bias.reshape(c))


def glow_hidden(hidden, channels):
    """Hidden channels of a coupling network at a level of `channels` channels ('half': C/2)."""
    return max(1, channels // 2) if hidden == "half" else int(hidden)


class Glow(nn.Module):
    """f: [N, C, H, W] -> [N, C 4^L, H/2^L, W/2^L], levels of squeeze + K steps, nothing factored out; `inverse` is f^-1."""

    def __init__(self, channels, levels, steps, coupling, hidden, generator=None):
        super().__init__()
        self.level_names = []
        c = channels
        for level in range(levels):
            c *= 4
            names = []
            for k in range(steps):
                name = f"level{level}_step{k}"
                self.add_module(name, FlowStep(c, glow_hidden(hidden, c), coupling, generator))
                names.append(name)
            self.level_names.append(names)
        self.levels = levels

    def forward(self, x):
        f = 2**self.levels
        if x.shape[-1] % f or x.shape[-2] % f:
            raise ValueError(f"glow: image {x.shape[-2]}x{x.shape[-1]} is not divisible by 2^levels = {f}")
        for names in self.level_names:
            x = squeeze2d(x)
            for name in names:
                x = getattr(self, name)(x)
        return x

    def inverse(self, u):
        for names in reversed(self.level_names):
            for name in reversed(names):
                u = getattr(self, name).inverse(u)
            u = unsqueeze2d(u)
        return u


def initialize_actnorms(module, initialized):
    for m in module.modules():
        if isinstance(m, ActNorm):
            m.initialized = initialized


@torch.no_grad()
def freeze(module):
    """Fixes every 1x1 convolution's inverse weight at its current value (for ONNX export); call thaw() to undo."""
    for m in module.modules():
        if isinstance(m, InvConv1x1):
            m.frozen_inverse = torch.inverse(m.weight()).detach()


def thaw(module):
    for m in module.modules():
        if isinstance(m, InvConv1x1):
            m.frozen_inverse = None


# ---- attention ----------------------------------------------------------------------------------

class SelfAttention(nn.Module):
    """One head over tokens [N, L, D]: y = x + W_o softmax(Q K^T / sqrt(d)) V, with learned Q, K, V."""

    def __init__(self, dim, head_dim):
        super().__init__()
        self.dim, self.head_dim = dim, head_dim
        self.query = nn.Linear(dim, head_dim)
        self.key = nn.Linear(dim, head_dim)
        self.value = nn.Linear(dim, head_dim)
        self.output = nn.Linear(head_dim, dim)

    def weights(self, x):
        """[N, L, L]: row i says how much token i reads from each token."""
        q, k = self.query(x), self.key(x)
        return torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.head_dim), dim=-1)

    def forward(self, x):
        return x + self.output(self.weights(x) @ self.value(x))


# ---- turning maps in the image plane (ours: packages/tensor/src/ops/rotate.ts) ------------------------

QUARTER_TURN_TOLERANCE = 1e-5


def rotate2d(x, theta):
    """Each sample's maps x [N, C, H, W] turned counter-clockwise on screen by its angle theta [N]
    (radians) about the centre (W/2, H/2) in pixel-edge coordinates, bilinear, zero outside: output
    (row, col) reads the input at u = W/2 + cos dx - sin dy - 1/2, v = H/2 + sin dx + cos dy - 1/2
    with dx = col + 1/2 - W/2, dy = row + 1/2 - H/2. Angles within 1e-5 of a quarter turn use exact
    cos, sin in {0, +-1}, so quarter turns permute pixels exactly, as ours do."""
    n, c, h, w = x.shape
    theta = theta.to(x.dtype).reshape(-1).expand(n)
    quarter = math.pi / 2
    turns = torch.round(theta / quarter)
    snap = (theta - turns * quarter).abs() <= QUARTER_TURN_TOLERANCE
    k = torch.remainder(turns, 4).long()
    cos = torch.where(snap, torch.tensor([1.0, 0.0, -1.0, 0.0], dtype=x.dtype)[k], torch.cos(theta))[:, None, None]
    sin = torch.where(snap, torch.tensor([0.0, 1.0, 0.0, -1.0], dtype=x.dtype)[k], torch.sin(theta))[:, None, None]
    dx = (torch.arange(w, dtype=x.dtype) + 0.5 - w / 2)[None, None, :]
    dy = (torch.arange(h, dtype=x.dtype) + 0.5 - h / 2)[None, :, None]
    u = w / 2 + cos * dx - sin * dy - 0.5  # [N, H, W]
    v = h / 2 + sin * dx + cos * dy - 0.5
    c0, r0 = torch.floor(u), torch.floor(v)
    fu, fv = (u - c0)[:, None], (v - r0)[:, None]
    flat = x.reshape(n, c, h * w)

    def tap(r, q):
        inside = ((r >= 0) & (r < h) & (q >= 0) & (q < w)).to(x.dtype)[:, None]
        index = (r.clamp(0, h - 1) * w + q.clamp(0, w - 1)).long().reshape(n, 1, h * w).expand(n, c, h * w)
        return flat.gather(2, index).reshape(n, c, h, w) * inside

    top = (1 - fu) * tap(r0, c0) + fu * tap(r0, c0 + 1)
    bottom = (1 - fu) * tap(r0 + 1, c0) + fu * tap(r0 + 1, c0 + 1)
    return (1 - fv) * top + fv * bottom


def plane_angles(group, g):
    """g's angle in the image plane: theta for SO(2), 2 pi j / n for C_n (ours: planeAngles)."""
    if group["kind"] == "so2":
        return g
    if group["kind"] == "cyclic":
        return g * (2 * math.pi / group["n"])
    raise ValueError("SO(3) does not turn the image plane")


# ---- losses (summed over elements, as ours) --------------------------------------------------------

def bce_with_logits_sum(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum")


def gaussian_kl_sum(mu, log_var):
    """KL(N(mu, e^logvar) || N(0, 1)) summed over elements."""
    return (0.5 * (mu.square() + log_var.exp() - (log_var + 1))).sum()


# ---- the flow decoder --------------------------------------------------------------------------

class FlowDecoder(nn.Module):
    """D(g, x) = l^-1(f^-1(rho(g) f(l(x)))): a group element acting on the flow latent of an image.
    Since f and l are bijections and rho a homomorphism, D obeys the group laws exactly (to float
    rounding). `logits` reads f^-1(...) as Bernoulli logits, as training does."""

    def __init__(self, flow, action, epsilon):
        super().__init__()
        self.flow = flow
        self.action = action
        self.epsilon = epsilon

    def flow_latent(self, pixels):
        """u = f(l(x))."""
        return self.flow(pixels_to_logits(pixels, self.epsilon))

    def act_on_logits(self, g, logits):
        """y -> f^-1(rho(g) f(y)): the action in l-space, the one to chain (sigmoid saturates in float32)."""
        return self.flow.inverse(self.action.act(g, self.flow(logits)))

    def logits(self, g, pivot):
        return self.act_on_logits(g, pixels_to_logits(pivot, self.epsilon))

    def decode(self, g, pivot):
        """D(g, x) in pixels (exactly x at the identity, to float rounding)."""
        return logits_to_pixels(self.logits(g, pivot), self.epsilon)

    def decode_latent(self, g, u):
        """l^-1(f^-1(rho(g) u)) for a flow latent u kept from flow_latent (ours: Model.prepare)."""
        return logits_to_pixels(self.flow.inverse(self.action.act(g, u)), self.epsilon)

    def group_laws(self, x, g1, g2, identity_count):
        """D(e, x) vs x; D(g2, D(g1, x)) vs D(g2 g1, x); D(g1^-1, D(g1, x)) vs x, with `identity_count`
        identity elements. Chained actions compose in l-space, where the group acts exactly."""
        a = self.action
        once = self.logits(g1, x)
        return {
            "input": x,
            "identity": self.decode(a.identity(identity_count), x),
            "sequential": logits_to_pixels(self.act_on_logits(g2, once), self.epsilon),
            "combined": self.decode(a.compose(g2, g1), x),
            "roundTrip": logits_to_pixels(self.act_on_logits(a.inverse(g1), once), self.epsilon),
        }
