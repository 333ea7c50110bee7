"""Latent group actions (Jin, Shrivastava, Fletcher, NeurIPS 2024), as
packages/model/src/models/latent-action.ts (docs/latent-action.md gives every choice and why):

  E: x -> (z, skips): three stride-2 convolutions to tokens (the positions of the last feature
     map, plus a learned position embedding), one self-attention layer, a linear map to the latent
     z = (invariant, varying); skips are the first two feature maps;
  rho(g) acts on z's varying part (identity on the invariant part) and on each skip map as `skips`
     says: the first half of its channels invariant (SO(3): what is left after as many 3-vectors as
     fit in half), the rest turned in the image plane by g's angle ('spatial'), rotated in channel
     pairs at every position ('channels'), or not passed on ('invariant'); 'none': no skips;
  D: (rho(g) z, rho(g) skips) -> logits of g.x: transposed convolutions with the acted skip maps
     concatenated at each scale.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .. import config as cfg
from ..groups import block_sizes, channel_action, element_size, elements, parse_group, skip_split, vector_action
from ..nn import SelfAttention, add_down_convs, bce_with_logits_sum, conv, plane_angles, rotate2d
from .base import MagaModel, Part, batch_axes, measured_group_laws

KIND = "latent-action"
FIELDS = {"model", "imageSize", "channels", "group", "widths", "headDim", "invariant", "blocks", "skips", "reconstruction", "betaIdentity", "betaEquivariance", "equivarianceScale", "betaSkip"}
SKIP_MODES = ("none", "channels", "invariant", "spatial")


def _skips(c):
    # Runs written before issue 24 say skips: true (channel pairs) or false.
    v = cfg.field(c, "", "skips")
    if v is True:
        return "channels"
    if v is False:
        return "none"
    return cfg.one_of(c, "", "skips", SKIP_MODES)


def parse(c, image_size, channels):
    if image_size % 8:
        raise cfg.ConfigError(f"config: imageSize must be divisible by 8 for latent-action (three stride-2 convolutions), got {image_size}")
    widths = cfg.int_list(c, "", "widths", length=3)
    if any(w % 2 for w in widths):
        raise cfg.ConfigError(f"config: widths must be even, got {widths}")
    group = parse_group(cfg.field(c, "", "group"))
    skips = _skips(c)
    if skips == "spatial" and group["kind"] == "so3":
        raise cfg.ConfigError("config: skips 'spatial' turns the skip maps in the image plane, which SO(3) does not do")
    return {
        "model": KIND,
        "imageSize": image_size,
        "channels": channels,
        "group": group,
        "widths": widths,
        "headDim": cfg.positive_int(c, "", "headDim"),
        "invariant": cfg.non_negative_int(c, "", "invariant"),
        "blocks": cfg.positive_int(c, "", "blocks"),
        "skips": skips,
        "reconstruction": cfg.one_of(c, "", "reconstruction", ("bce", "mse")),
        "betaIdentity": cfg.non_negative(c, "", "betaIdentity"),
        "betaEquivariance": cfg.non_negative(c, "", "betaEquivariance"),
        # Absent before issue 24: the absolute term, no skip consistency.
        "equivarianceScale": cfg.one_of(c, "", "equivarianceScale", ("relative", "absolute")) if "equivarianceScale" in c else "absolute",
        "betaSkip": cfg.non_negative(c, "", "betaSkip") if "betaSkip" in c else 0.0,
    }


class SkipAction(nn.Module):
    """rho(g) on one skip map [N, C, h, w] (ours: SkipAction): the first `invariant` channels as they
    are, the rest turned in position ('spatial') or in channel pairs ('channels'), or dropped ('invariant')."""

    def __init__(self, group, mode, channels):
        super().__init__()
        self.group, self.mode, self.channels = group, mode, channels
        self.invariant = skip_split(group, channels)
        self.channel_action = channel_action(group, channels, self.invariant) if mode == "channels" else None
        self.output = self.invariant if mode == "invariant" else channels

    def act(self, g, s):
        if self.mode == "channels":
            return self.channel_action.act(g, s)
        kept = s[:, : self.invariant]
        if self.mode == "invariant":
            return kept
        rows = max(s.shape[0], g.shape[0])
        angles = plane_angles(self.group, g).expand(rows)
        turned = rotate2d(s[:, self.invariant :].expand(rows, -1, -1, -1), angles)
        return torch.cat([kept.expand(rows, -1, -1, -1), turned], dim=1)

    def at_identity(self, s):
        return s[:, : self.invariant] if self.mode == "invariant" else s

    def mask(self, h, w):
        """Where the consistency is measured: the inscribed disc for 'spatial', else everywhere (None)."""
        if self.mode != "spatial":
            return None
        radius = min(h, w) / 2
        rows = torch.arange(h, dtype=torch.float32)[:, None] + 0.5 - h / 2
        cols = torch.arange(w, dtype=torch.float32)[None, :] + 0.5 - w / 2
        return ((rows.square() + cols.square()).sqrt() <= radius - 0.5).float()[None, None]


def squared_error(a, b, relative):
    """|a - b|^2 summed per sample, averaged over the batch; over the batch's mean |b|^2 (+1e-8) when relative."""
    n = max(a.shape[0], b.shape[0])
    error = (a - b).square().sum() / n
    return error / (b.square().sum() / n + 1e-8) if relative else error


class SkipDecoder(nn.Module):
    """Transposed convolutions up from the latent, with the (acted) skip maps concatenated at each scale."""

    def __init__(self, image_size, channels, widths, skip_channels, latent_size):
        super().__init__()
        w1, w2, w3 = widths
        self.w3, self.base, self.skips = w3, image_size // 8, len(skip_channels) > 0
        self.fc = nn.Linear(latent_size, w3 * self.base * self.base)
        for i, (cin, cout) in enumerate([(w3, w2), (w2, w1)]):
            self.add_module(f"up{i + 1}", nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1))
            if self.skips:
                self.add_module(f"merge{i + 1}", conv(cout + skip_channels[1 - i], cout, 3, padding=1))
        self.up3 = nn.ConvTranspose2d(w1, channels, 4, stride=2, padding=1)

    def forward(self, z, skips):
        h = F.relu(self.fc(z)).reshape(-1, self.w3, self.base, self.base)
        for i in range(2):
            h = F.relu(getattr(self, f"up{i + 1}")(h))
            if self.skips:
                skip = skips[1 - i]  # the coarsest skip first on the way up
                h = F.relu(getattr(self, f"merge{i + 1}")(torch.cat([h, skip.expand(h.shape[0], -1, -1, -1)], dim=1)))
        return self.up3(h)


class LatentAction(MagaModel):
    KIND = KIND
    KNOWN_GROUP = True

    def __init__(self, config):
        super().__init__(config)
        size, c, widths, group = config["imageSize"], config["channels"], config["widths"], config["group"]
        add_down_convs(self, "conv", c, widths)
        self.tokens = (size // 8) ** 2
        self.position = nn.Parameter(torch.randn(1, self.tokens, widths[2]) * 0.1)
        self.attention = SelfAttention(widths[2], config["headDim"])
        self.latent_size = config["invariant"] + sum(block_sizes(group, config["blocks"]))
        self.toLatent = nn.Linear(self.tokens * widths[2], self.latent_size)
        # rho on the latent and on each skip map; they hold no parameters (nothing in the checkpoint).
        self.skip_actions = nn.ModuleList([SkipAction(group, config["skips"], w) for w in widths[:2]] if config["skips"] != "none" else [])
        self.decoder = SkipDecoder(size, c, widths, [a.output for a in self.skip_actions], self.latent_size)
        self.group = group
        self.element_size = element_size(group)
        self.action = vector_action(group, config["invariant"], config["blocks"])

    def encode(self, x):
        """E(x): the latent z [N, invariant + varying] and the skip maps at S/2 and S/4 (none without skips)."""
        skips = []
        h = x
        for i in range(3):
            h = F.relu(getattr(self, f"conv{i + 1}")(h))
            if i < 2 and self.config["skips"] != "none":
                skips.append(h)
        c = h.shape[1]
        tokens = h.reshape(-1, c, self.tokens).permute(0, 2, 1) + self.position  # [N, L, C]
        attended = self.attention(tokens)
        return self.toLatent(attended.reshape(-1, self.tokens * c)), skips

    def act(self, g, code):
        """rho(g) (z, skips) for elements g ([N], SO(3): [N, 4]; one element broadcasts)."""
        z, skips = code
        return self.action.act(g, z), [a.act(g, s) for a, s in zip(self.skip_actions, skips)]

    def decode_logits(self, g, code):
        """D(rho(g) E(x)) as logits."""
        z, skips = self.act(g, code)
        return self.decoder(z, skips)

    def decode(self, g, code):
        """D(rho(g) E(x)) in pixels (sigmoid, as ours: Model.prepare)."""
        return torch.sigmoid(self.decode_logits(g, code))

    def forward(self, x, g):
        """Logits of g.x predicted from x and g (ours: predictLogits)."""
        return self.decode_logits(g, self.encode(x))

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        """As ours (measured, not exact on images): D(e, x); D(g2, E(D(g1, x))) vs D(g2 g1, x); D(g1^-1, E(D(g1, x))) vs x."""
        return measured_group_laws(self.action, x, g1, g2, self.encode, self.decode)

    def _reconstruction_loss(self, logits, target):
        n = target.shape[0]
        if self.config["reconstruction"] == "bce":
            return bce_with_logits_sum(logits, target) / n
        return (torch.sigmoid(logits) - target).square().sum() / n

    def loss_terms(self, batch, noise=None):
        """BCE(D(rho(g) E(x)), g.x) + beta_identity BCE(D(E(x)), x) + beta_equivariance |rho(g) z(x) - sg[z(g.x)]|^2
        (relative: over sg[|z(g.x)|^2]) + beta_skip sum over the skip maps of |rho(g) s(x) - sg[s(g.x)]|^2 / sg[|s(g.x)|^2], per image."""
        x, gx, g = batch["x"], batch["gx"], batch["g"]
        n = x.shape[0]
        code = self.encode(x)
        acted_z, acted_skips = self.act(g, code)
        at_identity = [a.at_identity(s) for a, s in zip(self.skip_actions, code[1])]
        both = self.decoder(torch.cat([acted_z, code[0]], 0), [torch.cat([s, t], 0) for s, t in zip(acted_skips, at_identity)])
        transformed, identity_logits = both.split([n, n], 0)
        reconstruction = self._reconstruction_loss(transformed, gx)
        identity = self._reconstruction_loss(identity_logits, x)
        with torch.no_grad():
            target_z, target_skips = self.encode(gx)
        equivariance = squared_error(acted_z, target_z, self.config["equivarianceScale"] == "relative")
        loss = reconstruction + self.config["betaIdentity"] * identity + self.config["betaEquivariance"] * equivariance
        terms = {"reconstruction": reconstruction, "identity": identity, "equivariance": equivariance}
        if self.skip_actions:
            skip = 0
            for a, acted, target in zip(self.skip_actions, acted_skips, target_skips):
                target = target[:, : a.invariant] if a.mode == "invariant" else target
                mask = a.mask(target.shape[2], target.shape[3])
                skip = skip + (squared_error(acted * mask, target * mask, True) if mask is not None else squared_error(acted, target, True))
            terms["skipConsistency"] = skip
            if self.config["betaSkip"] > 0:
                loss = loss + self.config["betaSkip"] * skip
        return {"loss": loss, **terms}

    def _encode_flat(self, x):
        z, skips = self.encode(x)
        return (z, *skips)

    def _decode_flat(self, g, z, *skips):
        return self.decode(g, (z, list(skips)))

    def onnx_parts(self):
        c, s, widths = self.config["channels"], self.config["imageSize"], self.config["widths"]
        x = torch.zeros(2, c, s, s)
        skip_names = [f"skip{i + 1}" for i in range(2)] if self.config["skips"] != "none" else []
        skips = [torch.zeros(2, widths[i], s // 2 ** (i + 1), s // 2 ** (i + 1)) for i in range(len(skip_names))]
        g = self.action.identity(2)
        return [
            ("encoder", Part(self, "_encode_flat"), (x,), ["x"], ["z", *skip_names], batch_axes(["x", "z", *skip_names])),
            ("decoder", Part(self, "_decode_flat"), (g, torch.zeros(2, self.latent_size), *skips), ["g", "z", *skip_names], ["pixels"], batch_axes(["g", "z", *skip_names, "pixels"])),
        ]


def create(config, seed=0):
    torch.manual_seed(seed)
    return LatentAction(config)
