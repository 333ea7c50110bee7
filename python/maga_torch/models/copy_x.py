"""x copied, as packages/model/src/models/copy-x.ts: D(g, x) = x, whatever g (any known group)."""

import torch

from .. import config as cfg
from ..groups import element_size, elements, parse_group, vector_action
from .base import MagaModel, Part, batch_axes
from .winter import pixel_logits

KIND = "copy-x"
FIELDS = {"model", "imageSize", "channels", "group"}


def parse(c, image_size, channels):
    return {"model": KIND, "imageSize": image_size, "channels": channels, "group": parse_group(cfg.field(c, "", "group"))}


class CopyX(MagaModel):
    KIND = KIND
    KNOWN_GROUP = True

    def __init__(self, config):
        super().__init__(config)
        self.group = config["group"]
        self.element_size = element_size(self.group)
        self.action = vector_action(self.group, 0, 1)

    def encode(self, x):
        return x.flatten(1)

    def decode(self, g, x):
        return x.expand(max(x.shape[0], g.shape[0]), -1, -1, -1) * 1

    def forward(self, x, g):
        return pixel_logits(self.decode(g, x))

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        """The trivial action keeps every law exactly: each image is x."""
        return {"input": x, "identity": x, "sequential": x, "combined": x, "roundTrip": x}

    def loss_terms(self, batch, noise=None):
        return {"loss": torch.zeros(())}

    def onnx_parts(self):
        c, s = self.config["channels"], self.config["imageSize"]
        x = torch.zeros(2, c, s, s)
        return [
            ("encoder", Part(self, "encode"), (x,), ["x"], ["z"], batch_axes(["x", "z"])),
            ("decoder", Part(self, "decode"), (self.action.identity(2), x), ["g", "x"], ["pixels"], batch_axes(["g", "x", "pixels"])),
        ]


def create(config, seed=0):
    return CopyX(config)
