"""MAGANet (Hwang, Choi, Cho, Kang, ICML 2023), as packages/model/src/models/maganet.ts: the encoder
gives the element moving the pivot to the varying image, z = E(x_v) - E(x_p), and a Glow decoder
applies it to the pivot, D(z, x_p) = l^-1(f^-1(f(l(x_p)) + M z))."""

import torch
import torch.nn.functional as F
from torch import nn

from .. import config as cfg
from ..groups import TranslationAction
from ..nn import FlowDecoder, Glow, bce_with_logits_sum, conv, gaussian_kl_sum, initialize_actnorms, pixels_to_logits
from .base import MagaModel, Part, batch_axes

KIND = "maganet"
FIELDS = {"model", "imageSize", "channels", "latentDim", "encoder.width", "encoder.hidden", "glow.levels", "glow.steps", "glow.coupling", "glow.hidden", "epsilon", "betaKl", "betaLatent", "pairing"}


def parse(c, image_size, channels):
    if image_size % 16:
        raise cfg.ConfigError(f"config: imageSize must be divisible by 16, got {image_size}")
    encoder = cfg.obj(c, "", "encoder")
    return {
        "model": KIND,
        "imageSize": image_size,
        "channels": channels,
        "latentDim": cfg.positive_int(c, "", "latentDim"),
        "encoder": {"width": cfg.positive_int(encoder, "encoder.", "width"), "hidden": cfg.positive_int(encoder, "encoder.", "hidden")},
        "glow": cfg.glow(c, image_size),
        "epsilon": cfg.epsilon(c),
        "betaKl": cfg.non_negative(c, "", "betaKl"),
        "betaLatent": cfg.non_negative(c, "", "betaLatent"),
        "pairing": cfg.one_of(c, "", "pairing", ("fixed", "random")),
    }


class ConvEncoder(nn.Module):
    """Four k4 s2 p1 convolutions with ReLU, then a three-layer MLP to (mu, log sigma^2)."""

    def __init__(self, channels, image_size, width, hidden, latent_dim):
        super().__init__()
        for i in range(4):
            self.add_module(f"conv{i + 1}", conv(channels if i == 0 else width, width, 4, padding=1, stride=2))
        self.fc1 = nn.Linear(width * (image_size // 16) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 2 * latent_dim)
        self.latent_dim = latent_dim

    def forward(self, x):
        h = x
        for i in range(4):
            h = F.relu(getattr(self, f"conv{i + 1}")(h))
        out = self.fc3(F.relu(self.fc2(F.relu(self.fc1(h.flatten(1))))))
        mu, log_var = out.split([self.latent_dim, self.latent_dim], dim=1)
        return mu, log_var


class Maganet(MagaModel):
    KIND = KIND
    PIVOT = True

    def __init__(self, config, generator=None):
        super().__init__(config)
        c, size, d = config["channels"], config["imageSize"], config["latentDim"]
        enc, glow = config["encoder"], config["glow"]
        self.encoder = ConvEncoder(c, size, enc["width"], enc["hidden"], d)
        flow = Glow(c, glow["levels"], glow["steps"], glow["coupling"], glow["hidden"], generator)
        self.decoder = FlowDecoder(flow, TranslationAction(d, c * size * size), config["epsilon"])

    @property
    def action(self):
        return self.decoder.action

    def encode(self, x):
        """(mu, log sigma^2) [N, d] of images [N, C, S, S]."""
        return self.encoder(x)

    def transformation(self, pivot, varying):
        """The element moving the pivot to the varying image, N(mu_v - mu_p, sigma_v^2 + sigma_p^2), and mu_p."""
        p_mu, p_lv = self.encoder(pivot)
        v_mu, v_lv = self.encoder(varying)
        return v_mu - p_mu, (v_lv.exp() + p_lv.exp()).log(), p_mu

    def decode_logits(self, z, pivot):
        return self.decoder.logits(z, pivot)

    def decode(self, z, pivot):
        """D(z, pivot) in pixels (exactly the pivot at z = 0)."""
        return self.decoder.decode(z, pivot)

    def forward(self, pivot, varying):
        """Logits of the deterministic reconstruction D(mu, pivot) of the varying images (ours: reconstructLogits)."""
        mu, _, _ = self.transformation(pivot, varying)
        return self.decoder.logits(mu, pivot)

    def inputs(self, x, pivot=None, g=None):
        if pivot is None:
            raise ValueError("MAGANet reconstructs a varying image from a pivot image: a pivot is needed")
        return (pivot, x)

    def group_laws(self, pivot, z1, z2):
        """D(0, x) vs x; D(z2, D(z1, x)) vs D(z1 + z2, x); D(-z1, D(z1, x)) vs x. Chained actions compose in l-space."""
        return self.decoder.group_laws(pivot, z1, z2, z1.shape[0])

    @torch.no_grad()
    def initialize(self, images):
        """Sets every ActNorm from data: one flow pass over l(images), as ours before training."""
        initialize_actnorms(self, False)
        self.decoder.flow(pixels_to_logits(images, self.config["epsilon"]))

    def loss_terms(self, batch, noise):
        """BCE(D(z, x_p), x_v) + beta_KL KL + beta_latent |E(x_p, D(z, x_p)) - z|_1, per image; noise [N, d] draws z."""
        pivot, varying = batch["pivot"], batch["varying"]
        n = varying.shape[0]
        mu, log_var, p_mu = self.transformation(pivot, varying)
        z = mu + (0.5 * log_var).exp() * noise
        logits = self.decoder.logits(z, pivot)
        bce = bce_with_logits_sum(logits, varying) / n
        kl = gaussian_kl_sum(mu, log_var) / n
        recovered = self.encoder(torch.sigmoid(logits))[0] - p_mu
        latent = (recovered - z).abs().sum() / n
        loss = bce + self.config["betaKl"] * kl + self.config["betaLatent"] * latent
        return {"loss": loss, "bce": bce, "kl": kl, "latent": latent}

    def onnx_parts(self):
        c, s, d = self.config["channels"], self.config["imageSize"], self.config["latentDim"]
        x = torch.zeros(2, c, s, s)
        return [
            ("encoder", Part(self, "encode"), (x,), ["x"], ["mu", "log_var"], batch_axes(["x", "mu", "log_var"])),
            ("decoder", Part(self, "decode"), (torch.zeros(2, d), x), ["z", "pivot"], ["pixels"], batch_axes(["z", "pivot", "pixels"])),
        ]


def create(config, seed=0):
    torch.manual_seed(seed)
    return Maganet(config, torch.Generator().manual_seed(seed))
