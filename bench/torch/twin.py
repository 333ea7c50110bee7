"""The PyTorch twin of packages/model: MAGANet (Hwang et al., ICML 2023) and the beta-VAE, layer for
layer, with the same parameter names, so that our model.safetensors loads into it unchanged.

MAGANet: a convolutional Gaussian encoder gives the group element moving the pivot to the varying
image, z = E(x_v) - E(x_p); the decoder applies it in the latent of a Glow without factoring out,
D(z, x_p) = f^-1(f(l(x_p)) + M z), with l(x) = logit(eps + (1 - 2 eps) x). The names mirror the
TypeScript modules (encoder.conv1.weight, decoder.flow.level0_step0.actnorm.logScale, ...).
Only what a checkpoint and a training step need is here: the twin reconstructs, forms the same
losses and trains with Adam, as the speed reference of bench:torch.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# ---- configuration -------------------------------------------------------------------------------

def glow_hidden(config_hidden, channels):
    """Hidden channels of a coupling network at a level with `channels` channels ('half' = C/2)."""
    return max(1, channels // 2) if config_hidden == "half" else int(config_hidden)


# ---- the pixel squashing l and its inverse ----------------------------------------------------------

def pixels_to_logits(x, epsilon):
    # Clamped inside float32's open unit interval, as ours: saturated pixels map to finite logits.
    p = (x * (1 - 2 * epsilon) + epsilon).clamp(1e-7, 1 - 6e-8)
    return p.log() - (1 - p).log()


def logits_to_pixels(y, epsilon):
    return (torch.sigmoid(y) - epsilon) / (1 - 2 * epsilon)


# ---- Glow -----------------------------------------------------------------------------------------

def squeeze2d(x):
    """Space-to-depth x2: channel c*4 + 2*dy + dx holds pixel (2y+dy, 2x+dx) of channel c."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, c * 4, h // 2, w // 2)


def unsqueeze2d(x):
    n, c, h, w = x.shape
    return x.reshape(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // 4, h * 2, w * 2)


class ActNorm(nn.Module):
    """y = (x + b) * exp(s) per channel; s and b set from the first batch (zero mean, unit variance)."""

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
    """LU (with partial pivoting) of a random rotation, as Glow's LU-parameterised 1x1 conv starts."""
    a = torch.randn(c, c, generator=generator, dtype=torch.float64).numpy()
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    u = q.copy()
    l = np.zeros((c, c))
    perm = list(range(c))
    for k in range(c):
        pivot = k + int(np.argmax(np.abs(u[k:, k])))
        if pivot != k:
            u[[k, pivot]] = u[[pivot, k]]
            l[[k, pivot]] = l[[pivot, k]]
            perm[k], perm[pivot] = perm[pivot], perm[k]
        l[k, k] = 1
        for i in range(k + 1, c):
            f = u[i, k] / u[k, k]
            l[i, k] = f
            u[i, k:] -= f * u[k, k:]
    p = np.zeros((c, c))
    for i in range(c):
        p[perm[i], i] = 1  # A = P L U
    return p, l, u


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution, W = P (L + I) (U + diag(sign * exp(logS))), P and sign fixed."""

    def __init__(self, channels, generator=None):
        super().__init__()
        c = channels
        p, l, u = _random_rotation_lu(c, generator)
        diag = np.diag(u)
        self.register_buffer("permutation", torch.tensor(p, dtype=torch.float32))
        self.register_buffer("sign", torch.tensor(np.sign(diag), dtype=torch.float32))
        self.lower = nn.Parameter(torch.tensor(np.tril(l, -1), dtype=torch.float32))
        self.upper = nn.Parameter(torch.tensor(np.triu(u, 1), dtype=torch.float32))
        self.logS = nn.Parameter(torch.tensor(np.log(np.abs(diag)), dtype=torch.float32))
        # The masks are not in checkpoints (ours recomputes them too).
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c), -1), persistent=False)
        self.register_buffer("upper_mask", torch.triu(torch.ones(c, c), 1), persistent=False)
        self.register_buffer("identity", torch.eye(c), persistent=False)
        self.channels = c

    def weight(self):
        l = self.lower * self.lower_mask + self.identity
        u = self.upper * self.upper_mask + self.identity * (self.sign * self.logS.exp())
        return self.permutation @ l @ u

    def forward(self, x):
        c = self.channels
        return F.conv2d(x, self.weight().reshape(c, c, 1, 1))

    def inverse(self, y):
        c = self.channels
        return F.conv2d(y, torch.inverse(self.weight()).reshape(c, c, 1, 1))


def _conv(cin, cout, k, padding=0, stride=1, zero=False):
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding)
    if zero:
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    return conv


class Coupling(nn.Module):
    """The first half of the channels passes and sets a shift (additive) or shift and sigmoid scale (affine) of the rest."""

    def __init__(self, channels, hidden, kind):
        super().__init__()
        if kind not in ("additive", "affine"):
            raise ValueError(f"coupling: kind must be 'additive' or 'affine', got {kind!r}")
        self.kind = kind
        self.passive = channels // 2
        self.active = channels - self.passive
        self.conv1 = _conv(self.passive, hidden, 3, padding=1)
        self.conv2 = _conv(hidden, hidden, 1)
        self.conv3 = _conv(hidden, 2 * self.active if kind == "affine" else self.active, 3, padding=1, zero=True)

    def _shift_and_log_scale(self, passive):
        h = self.conv3(F.relu(self.conv2(F.relu(self.conv1(passive)))))
        if self.kind == "additive":
            return h, None
        shift, raw = h.chunk(2, dim=1)
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
    """ActNorm -> invertible 1x1 convolution -> coupling."""

    def __init__(self, channels, hidden, kind, generator):
        super().__init__()
        self.actnorm = ActNorm(channels)
        self.invconv = InvConv1x1(channels, generator)
        self.coupling = Coupling(channels, hidden, kind)

    def forward(self, x):
        return self.coupling(self.invconv(self.actnorm(x)))

    def inverse(self, y):
        return self.actnorm.inverse(self.invconv.inverse(self.coupling.inverse(y)))


class Glow(nn.Module):
    """Levels of squeeze + K steps, nothing factored out: [N, C, H, W] -> [N, C 4^L, H/2^L, W/2^L]."""

    def __init__(self, channels, levels, steps, coupling, hidden, generator=None):
        super().__init__()
        self.levels = []
        c = channels
        for level in range(levels):
            c *= 4
            names = []
            for k in range(steps):
                name = f"level{level}_step{k}"
                self.add_module(name, FlowStep(c, glow_hidden(hidden, c), coupling, generator))
                names.append(name)
            self.levels.append(names)

    def forward(self, x):
        for names in self.levels:
            x = squeeze2d(x)
            for name in names:
                x = getattr(self, name)(x)
        return x

    def inverse(self, u):
        for names in reversed(self.levels):
            for name in reversed(names):
                u = getattr(self, name).inverse(u)
            u = unsqueeze2d(u)
        return u


# ---- MAGANet -------------------------------------------------------------------------------------

class ConvEncoder(nn.Module):
    """Four k4 s2 p1 convolutions with ReLU, then a three-layer MLP to (mu, log sigma^2)."""

    def __init__(self, channels, image_size, width, hidden, latent_dim):
        super().__init__()
        for i in range(4):
            self.add_module(f"conv{i + 1}", _conv(channels if i == 0 else width, width, 4, padding=1, stride=2))
        flat = width * (image_size // 16) ** 2
        self.fc1 = nn.Linear(flat, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 2 * latent_dim)

    def forward(self, x):
        h = x
        for i in range(4):
            h = F.relu(getattr(self, f"conv{i + 1}")(h))
        out = self.fc3(F.relu(self.fc2(F.relu(self.fc1(h.flatten(1))))))
        mu, log_var = out.chunk(2, dim=1)
        return mu, log_var


class TranslationAction(nn.Module):
    """(R^d, +) acting on the flow latent by u -> u + M g, M linear without bias."""

    def __init__(self, dim, latent_size):
        super().__init__()
        self.M = nn.Linear(dim, latent_size, bias=False)

    def act(self, g, u):
        shift = self.M(g)
        flat = u.reshape(u.shape[0], -1) + shift  # a single pivot's latent broadcasts over the batch
        return flat.reshape(flat.shape[0], *u.shape[1:])


class FlowDecoder(nn.Module):
    def __init__(self, flow, action, epsilon):
        super().__init__()
        self.flow = flow
        self.action = action
        self.epsilon = epsilon

    def logits(self, g, pivot):
        return self.flow.inverse(self.action.act(g, self.flow(pixels_to_logits(pivot, self.epsilon))))


class Maganet(nn.Module):
    def __init__(self, config, generator=None):
        super().__init__()
        self.config = config
        c, size, d = config["channels"], config["imageSize"], config["latentDim"]
        enc, glow = config["encoder"], config["glow"]
        self.encoder = ConvEncoder(c, size, enc["width"], enc["hidden"], d)
        flow = Glow(c, glow["levels"], glow["steps"], glow["coupling"], glow["hidden"], generator)
        self.decoder = FlowDecoder(flow, TranslationAction(d, c * size * size), config["epsilon"])

    def transformation(self, pivot, varying):
        """The element moving the pivot to the varying image: N(mu_v - mu_p, sigma_v^2 + sigma_p^2)."""
        p_mu, p_lv = self.encoder(pivot)
        v_mu, v_lv = self.encoder(varying)
        return v_mu - p_mu, (v_lv.exp() + p_lv.exp()).log(), p_mu

    def reconstruct_logits(self, pivot, varying):
        mu, _, _ = self.transformation(pivot, varying)
        return self.decoder.logits(mu, pivot)

    @torch.no_grad()
    def initialize(self, images):
        """Sets every ActNorm from data: one flow pass over l(images), as ours before training."""
        for m in self.modules():
            if isinstance(m, ActNorm):
                m.initialized = False
        self.decoder.flow(pixels_to_logits(images, self.config["epsilon"]))

    def losses(self, pivot, varying, noise):
        """BCE(D(z, x_p), x_v) + beta_KL KL + beta_latent |E(x_p, D(z, x_p)) - z|_1, per image."""
        n = varying.shape[0]
        mu, log_var, p_mu = self.transformation(pivot, varying)
        z = mu + (0.5 * log_var).exp() * noise
        logits = self.decoder.logits(z, pivot)
        bce = F.binary_cross_entropy_with_logits(logits, varying, reduction="sum") / n
        kl = gaussian_kl(mu, log_var) / n
        recovered = self.encoder(torch.sigmoid(logits))[0] - p_mu
        latent = (recovered - z).abs().sum() / n
        loss = bce + self.config["betaKl"] * kl + self.config["betaLatent"] * latent
        return {"loss": loss, "bce": bce, "kl": kl, "latent": latent}


def gaussian_kl(mu, log_var):
    """KL(N(mu, e^logvar) || N(0, 1)) summed over elements."""
    return (0.5 * (mu.square() + log_var.exp() - (log_var + 1))).sum()


# ---- beta-VAE ------------------------------------------------------------------------------------

class Vae(nn.Module):
    """Encoder 1->w0->w1->w2->w3 (k4 s2 p1) to (mu, log sigma^2); mirrored transposed convolutions to logits."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        c, size, d, widths = config["channels"], config["imageSize"], config["latentDim"], config["widths"]
        self.base = size // 16
        for i, w in enumerate(widths):
            self.add_module(f"enc{i + 1}", _conv(c if i == 0 else widths[i - 1], w, 4, padding=1, stride=2))
        flat = widths[3] * self.base * self.base
        self.fcMu = nn.Linear(flat, d)
        self.fcLogVar = nn.Linear(flat, d)
        self.fcDecode = nn.Linear(d, flat)
        rev = list(reversed(widths))
        for i, w in enumerate(rev):
            self.add_module(f"dec{i + 1}", nn.ConvTranspose2d(w, c if i == 3 else rev[i + 1], 4, stride=2, padding=1))

    def encode(self, x):
        h = x
        for i in range(4):
            h = F.relu(getattr(self, f"enc{i + 1}")(h))
        flat = h.flatten(1)
        return self.fcMu(flat), self.fcLogVar(flat)

    def decode_logits(self, z):
        h = F.relu(self.fcDecode(z)).reshape(z.shape[0], self.config["widths"][3], self.base, self.base)
        for i in range(4):
            h = getattr(self, f"dec{i + 1}")(h)
            if i < 3:
                h = F.relu(h)
        return h

    def reconstruct_logits(self, x):
        return self.decode_logits(self.encode(x)[0])

    def losses(self, x, noise):
        n = x.shape[0]
        mu, log_var = self.encode(x)
        z = mu + (0.5 * log_var).exp() * noise
        bce = F.binary_cross_entropy_with_logits(self.decode_logits(z), x, reduction="sum") / n
        kl = gaussian_kl(mu, log_var) / n
        return {"loss": bce + self.config["beta"] * kl, "bce": bce, "kl": kl}


# ---- construction and checkpoints ----------------------------------------------------------------

def create_model(config, seed=0):
    kind = config.get("model")
    if kind == "maganet":
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        return Maganet(config, generator)
    if kind == "vae":
        torch.manual_seed(seed)
        return Vae(config)
    raise ValueError(f"config: model must be 'maganet' or 'vae', got {kind!r}")


def load_checkpoint(model, tensors):
    """Loads our checkpoint's tensors by name (ours and the twin's names are the same); any missing
    or unexpected name or shape mismatch is listed in one error and nothing is loaded."""
    expected = model.state_dict()
    problems = []
    for name in sorted(expected):
        if name not in tensors:
            problems.append(f"missing from checkpoint: {name} {list(expected[name].shape)}")
        elif tuple(tensors[name].shape) != tuple(expected[name].shape):
            problems.append(f"{name}: checkpoint {list(tensors[name].shape)}, twin {list(expected[name].shape)}")
    for name in sorted(tensors):
        if name not in expected:
            problems.append(f"unexpected in checkpoint (not a twin parameter): {name} {list(tensors[name].shape)}")
    if problems:
        raise ValueError("checkpoint does not match the twin:\n  " + "\n  ".join(problems))
    model.load_state_dict({name: torch.from_numpy(tensors[name]) for name in expected})
    # A checkpoint's ActNorms were initialised from data when it was trained.
    for m in model.modules():
        if isinstance(m, ActNorm):
            m.initialized = True
    return model
