"""No model at all, as packages/model/src/models/rotate-x.ts: D(g, x) = x's pixels turned by g
(rotate2d, the data sets' rotation: bilinear, zero outside, exact for quarter turns). SO(2), C_n."""

import torch

from .. import config as cfg
from ..groups import element_size, elements, parse_group, vector_action
from ..nn import plane_angles, rotate2d
from .base import MagaModel, Part, batch_axes
from .winter import pixel_logits

KIND = "rotate-x"
FIELDS = {"model", "imageSize", "channels", "group"}


def parse(c, image_size, channels):
    group = parse_group(cfg.field(c, "", "group"))
    if group["kind"] == "so3":
        raise cfg.ConfigError("config: rotate-x takes the groups so2 and cyclic (turns of the image plane), not so3")
    return {"model": KIND, "imageSize": image_size, "channels": channels, "group": group}


class RotateX(MagaModel):
    KIND = KIND
    KNOWN_GROUP = True

    def __init__(self, config):
        super().__init__(config)
        self.group = config["group"]
        self.element_size = element_size(self.group)
        self.action = vector_action(self.group, 0, 1)

    def encode(self, x):
        """The image is its own latent."""
        return x.flatten(1)

    def decode(self, g, x):
        rows = max(x.shape[0], g.shape[0])
        return rotate2d(x.expand(rows, -1, -1, -1), plane_angles(self.group, g).expand(rows))

    def forward(self, x, g):
        return pixel_logits(self.decode(g, x))

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        once = self.decode(g1, x)
        return {
            "input": x,
            "identity": self.decode(self.action.identity(1), x),
            "sequential": self.decode(g2, once),
            "combined": self.decode(self.action.compose(g2, g1), x),
            "roundTrip": self.decode(self.action.inverse(g1), once),
        }

    def loss_terms(self, batch, noise=None):
        """Nothing to learn: a constant 0."""
        return {"loss": torch.zeros(())}

    def onnx_parts(self):
        c, s = self.config["channels"], self.config["imageSize"]
        x = torch.zeros(2, c, s, s)
        return [
            ("encoder", Part(self, "encode"), (x,), ["x"], ["z"], batch_axes(["x", "z"])),
            ("decoder", Part(self, "decode"), (self.action.identity(2), x), ["g", "x"], ["pixels"], batch_axes(["g", "x", "pixels"])),
        ]


def create(config, seed=0):
    return RotateX(config)
