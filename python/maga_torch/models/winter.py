"""The baseline of Winter et al. (NeurIPS 2022), as packages/model/src/models/winter.ts: an encoder
made C_K-equivariant by averaging a plain CNN over K turned copies of x gives an invariant embedding
and a 2-vector v(x) whose angle is psi(x); a decoder draws the canonical image from the embedding;
D(g, x) turns it in pixel space by theta_g + psi(x) (rotate2d: bilinear, zero outside)."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import config as cfg
from ..groups import element_size, elements, parse_group, vector_action
from ..nn import add_down_convs, add_up_convs, plane_angles, rotate2d
from .base import MagaModel, Part, batch_axes, measured_group_laws

KIND = "winter"
FIELDS = {"model", "imageSize", "channels", "group", "widths", "embedding", "orbit"}


def parse(c, image_size, channels):
    if image_size % 8:
        raise cfg.ConfigError(f"config: imageSize must be divisible by 8 for winter (three stride-2 convolutions), got {image_size}")
    group = parse_group(cfg.field(c, "", "group"))
    if group["kind"] == "so3":
        raise cfg.ConfigError("config: winter takes the groups so2 and cyclic (turns of the image plane), not so3")
    return {
        "model": KIND,
        "imageSize": image_size,
        "channels": channels,
        "group": group,
        "widths": cfg.int_list(c, "", "widths", length=3),
        "embedding": cfg.positive_int(c, "", "embedding"),
        "orbit": cfg.positive_int(c, "", "orbit"),
    }


# arctan s = s (1 + a2 s^2 + ... + a16 s^16) on [-1, 1], |error| <= 2e-8 (Abramowitz & Stegun 4.4.49),
# as ours (winter.ts: the tensor core has no atan, and ONNX opset 13 no atan2).
ARCTAN = (1.0, -0.3333314528, 0.1999355085, -0.1420889944, 0.1065626393, -0.07528964, 0.0429096138, -0.0161657367, 0.0028662257)


def arctan(t):
    big = (t.abs() > 1).to(t.dtype)
    small = 1 - big
    s = t * small + (1 / (t * big + small)) * big
    s2 = s * s
    p = torch.full_like(s, ARCTAN[-1])
    for a in reversed(ARCTAN[:-1]):
        p = p * s2 + a
    core = s * p
    return core * small + (torch.sign(t) * (math.pi / 2) - core) * big


def atan2(y, x):
    """The half-angle form 2 arctan(y / (r + x)), as ours."""
    r = torch.sqrt(x * x + y * y + 1e-24)
    return 2 * arctan(y / (r + x + 1e-30))


def pixel_logits(p):
    """Logits of pixels clamped to [1e-6, 1 - 1e-6] (ours: the Model interface's logits of a pixel model)."""
    p = p.clamp(1e-6, 1 - 1e-6)
    return torch.log(p / (1 - p))


class Winter(MagaModel):
    KIND = KIND
    KNOWN_GROUP = True

    def __init__(self, config):
        super().__init__(config)
        size, c, widths, e = config["imageSize"], config["channels"], config["widths"], config["embedding"]
        self.base = size // 8
        add_down_convs(self, "conv", c, widths)
        self.head = nn.Linear(widths[2] * self.base * self.base, e + 2)
        self.fc = nn.Linear(e, widths[2] * self.base * self.base)
        add_up_convs(self, "up", [widths[2], widths[1], widths[0], c])
        self.group = config["group"]
        self.element_size = element_size(self.group)
        self.action = vector_action(self.group, 0, 1)  # the group's law on elements (identity, compose, inverse)

    def encode(self, x):
        """(embedding [N, E], v [N, 2]): the orbit averages over copy i = x turned by -2 pi i / K."""
        n, k, e = x.shape[0], self.config["orbit"], self.config["embedding"]
        turns = [2 * math.pi * i / k for i in range(k)]
        angles = torch.tensor([-t for t in turns for _ in range(n)], dtype=torch.float32)
        h = rotate2d(torch.cat([x] * k, 0), angles)
        for i in range(3):
            h = F.relu(getattr(self, f"conv{i + 1}")(h))
        f = self.head(h.flatten(1)).reshape(k, n, e + 2)
        embedding = f[:, :, :e].mean(0)
        u0, u1 = f[:, :, e : e + 1], f[:, :, e + 1 : e + 2]
        cos = torch.tensor([math.cos(t) for t in turns], dtype=torch.float32).reshape(k, 1, 1)
        sin = torch.tensor([math.sin(t) for t in turns], dtype=torch.float32).reshape(k, 1, 1)
        direction = torch.cat([u0 * cos - u1 * sin, u0 * sin + u1 * cos], 2).mean(0)
        return embedding, direction

    def canonical(self, embedding):
        h = F.relu(self.fc(embedding)).reshape(-1, self.config["widths"][2], self.base, self.base)
        h = F.relu(self.up1(h))
        h = F.relu(self.up2(h))
        return torch.sigmoid(self.up3(h))

    def decode(self, g, embedding, direction):
        """R_{theta_g + psi(x)} dec(emb) in pixels (one image or one element broadcasts)."""
        image = self.canonical(embedding)
        rows = max(image.shape[0], g.shape[0])
        psi = atan2(direction[:, 1], direction[:, 0])
        return rotate2d(image.expand(rows, -1, -1, -1), plane_angles(self.group, g).expand(rows) + psi.expand(rows))

    def forward(self, x, g):
        """Logits of the predicted pixels (ours: predictLogits; evaluation uses the pixels themselves)."""
        return pixel_logits(self.decode(g, *self.encode(x)))

    @torch.no_grad()
    def reconstruct(self, x, pivot=None, g=None):
        return torch.sigmoid(self(*self.inputs(x, pivot=pivot, g=g)))

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        return measured_group_laws(self.action, x, g1, g2, self.encode, lambda g, code: self.decode(g, *code))

    def loss_terms(self, batch, noise=None):
        """The squared error of D(g, x) against g.x, summed per image (giae's MSE)."""
        x = batch["x"]
        reconstruction = (self.decode(batch["g"], *self.encode(x)) - batch["gx"]).square().sum() / x.shape[0]
        return {"loss": reconstruction, "reconstruction": reconstruction}

    def onnx_parts(self):
        c, s, e = self.config["channels"], self.config["imageSize"], self.config["embedding"]
        x = torch.zeros(2, c, s, s)
        return [
            ("encoder", Part(self, "encode"), (x,), ["x"], ["embedding", "direction"], batch_axes(["x", "embedding", "direction"])),
            ("decoder", Part(self, "decode"), (self.action.identity(2), torch.zeros(2, e), torch.ones(2, 2)), ["g", "embedding", "direction"], ["pixels"], batch_axes(["g", "embedding", "direction", "pixels"])),
        ]


def create(config, seed=0):
    torch.manual_seed(seed)
    return Winter(config)
