"""The beta-VAE baseline, as packages/model/src/models/vae.ts: a convolutional encoder (k4 s2 p1)
to (mu, log sigma^2) and a mirrored transposed-convolution decoder to logits."""

import torch
import torch.nn.functional as F
from torch import nn

from .. import config as cfg
from ..nn import add_down_convs, add_up_convs, bce_with_logits_sum, gaussian_kl_sum
from .base import MagaModel, Part, batch_axes

KIND = "vae"
FIELDS = {"model", "imageSize", "channels", "latentDim", "widths", "beta"}


def parse(c, image_size, channels):
    if image_size % 16:
        raise cfg.ConfigError(f"config: imageSize must be divisible by 16, got {image_size}")
    return {
        "model": KIND,
        "imageSize": image_size,
        "channels": channels,
        "latentDim": cfg.positive_int(c, "", "latentDim"),
        "widths": cfg.int_list(c, "", "widths", length=4),
        "beta": cfg.non_negative(c, "", "beta"),
    }


class Vae(MagaModel):
    KIND = KIND

    def __init__(self, config):
        super().__init__(config)
        c, size, d, widths = config["channels"], config["imageSize"], config["latentDim"], config["widths"]
        self.base = size // 16
        add_down_convs(self, "enc", c, widths)
        flat = widths[3] * self.base * self.base
        self.fcMu = nn.Linear(flat, d)
        self.fcLogVar = nn.Linear(flat, d)
        self.fcDecode = nn.Linear(d, flat)
        add_up_convs(self, "dec", [*reversed(widths), c])

    def encode(self, x):
        """(mu, log sigma^2) [N, d]."""
        h = x
        for i in range(4):
            h = F.relu(getattr(self, f"enc{i + 1}")(h))
        flat = h.flatten(1)
        return self.fcMu(flat), self.fcLogVar(flat)

    def decode_logits(self, z):
        h = F.relu(self.fcDecode(z)).reshape(-1, self.config["widths"][3], self.base, self.base)
        for i in range(4):
            h = getattr(self, f"dec{i + 1}")(h)
            if i < 3:
                h = F.relu(h)
        return h

    def decode(self, z):
        """Pixels of the decoded latents z [N, d]."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x):
        """Logits of the deterministic reconstruction (z = mu)."""
        return self.decode_logits(self.encode(x)[0])

    def loss_terms(self, batch, noise):
        x = batch["varying"]
        n = x.shape[0]
        mu, log_var = self.encode(x)
        z = mu + (0.5 * log_var).exp() * noise
        bce = bce_with_logits_sum(self.decode_logits(z), x) / n
        kl = gaussian_kl_sum(mu, log_var) / n
        return {"loss": bce + self.config["beta"] * kl, "bce": bce, "kl": kl}

    def onnx_parts(self):
        c, s, d = self.config["channels"], self.config["imageSize"], self.config["latentDim"]
        return [
            ("encoder", Part(self, "encode"), (torch.zeros(2, c, s, s),), ["x"], ["mu", "log_var"], batch_axes(["x", "mu", "log_var"])),
            ("decoder", Part(self, "decode"), (torch.zeros(2, d),), ["z"], ["pixels"], batch_axes(["z", "pixels"])),
        ]


def create(config, seed=0):
    torch.manual_seed(seed)
    return Vae(config)
