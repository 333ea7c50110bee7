"""The data-space baseline on the same pairs, as packages/model/src/models/flow-action.ts: the Glow
decoder given the true group element, D(g, x) = l^-1(f^-1(rho(g) f(l(x)))), with rho(g) acting
channel-wise on the flow latent [N, C 4^L, S/2^L, S/2^L]: its last `varying` channels in 2-D
blocks rotated by R(k theta) at every position, the rest invariant."""

import torch

from .. import config as cfg
from ..groups import channel_action, element_size, elements, parse_group
from ..nn import FlowDecoder, Glow, bce_with_logits_sum, initialize_actnorms
from .base import MagaModel, Part, batch_axes

KIND = "flow-action"
FIELDS = {"model", "imageSize", "channels", "group", "glow.levels", "glow.steps", "glow.coupling", "glow.hidden", "epsilon", "varying"}


def parse(c, image_size, channels):
    glow = cfg.glow(c, image_size)
    varying = cfg.positive_int(c, "", "varying")
    available = channels * 4 ** glow["levels"]
    if varying % 2 or varying > available:
        raise cfg.ConfigError(f"config: varying must be an even number of flow-latent channels, at most C 4^levels = {available}, got {varying}")
    group = parse_group(cfg.field(c, "", "group"))
    if group["kind"] == "so3":
        raise cfg.ConfigError("config: flow-action takes the groups so2 and cyclic, not so3")
    return {"model": KIND, "imageSize": image_size, "channels": channels, "group": group, "glow": glow, "epsilon": cfg.epsilon(c), "varying": varying}


class FlowAction(MagaModel):
    KIND = KIND
    KNOWN_GROUP = True

    def __init__(self, config, generator=None):
        super().__init__(config)
        glow = config["glow"]
        channels = config["channels"] * 4 ** glow["levels"]
        self.group = config["group"]
        self.element_size = element_size(self.group)
        flow = Glow(config["channels"], glow["levels"], glow["steps"], glow["coupling"], glow["hidden"], generator)
        self.decoder = FlowDecoder(flow, channel_action(self.group, channels, channels - config["varying"]), config["epsilon"])

    @property
    def action(self):
        return self.decoder.action

    @property
    def flow(self):
        return self.decoder.flow

    def encode(self, x):
        """The flow latent u = f(l(x)) [N, C 4^L, S/2^L, S/2^L]."""
        return self.decoder.flow_latent(x)

    def decode(self, g, u):
        """l^-1(f^-1(rho(g) u)) in pixels (ours: Model.prepare's decode)."""
        return self.decoder.decode_latent(g, u)

    def forward(self, x, g):
        """Logits f^-1(rho(g) f(l(x))) (ours: predictLogits)."""
        return self.decoder.logits(g, x)

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        """Exact laws: chained actions compose in l-space, where the group acts exactly."""
        return self.decoder.group_laws(x, g1, g2, 1)

    @torch.no_grad()
    def initialize(self, images):
        initialize_actnorms(self, False)
        self.decoder.flow_latent(images)

    def loss_terms(self, batch, noise=None):
        """BCE(D(g, x), g.x) summed per image."""
        x = batch["x"]
        reconstruction = bce_with_logits_sum(self.decoder.logits(batch["g"], x), batch["gx"]) / x.shape[0]
        return {"loss": reconstruction, "reconstruction": reconstruction}

    def onnx_parts(self):
        c, s, levels = self.config["channels"], self.config["imageSize"], self.config["glow"]["levels"]
        x = torch.zeros(2, c, s, s)
        u = torch.zeros(2, c * 4**levels, s // 2**levels, s // 2**levels)
        return [
            ("encoder", Part(self, "encode"), (x,), ["x"], ["u"], batch_axes(["x", "u"])),
            ("decoder", Part(self, "decode"), (self.action.identity(2), u), ["g", "u"], ["pixels"], batch_axes(["g", "u", "pixels"])),
        ]


def create(config, seed=0):
    torch.manual_seed(seed)
    return FlowAction(config, torch.Generator().manual_seed(seed))
