"""What the data-space baselines share (rotate-x, copy-x), as packages/model/src/models/pixel-action.ts's
ImageBaseline: no parameters, x is its own code and latent, D(g, x) = decode(g, x) in pixel space;
the group laws measured through decode, nothing to learn."""

import torch

from ..groups import element_size, elements, vector_action
from .base import MagaModel, Part, batch_axes, measured_group_laws
from .winter import pixel_logits

FIELDS = {"model", "imageSize", "channels", "group"}


class ImageBaseline(MagaModel):
    KNOWN_GROUP = True

    def __init__(self, config):
        super().__init__(config)
        self.group = config["group"]
        self.element_size = element_size(self.group)
        self.action = vector_action(self.group, 0, 1)

    def decode(self, g, x):
        """D(g, x) (a single x or g broadcasts)."""
        raise NotImplementedError

    def encode(self, x):
        """The image is its own latent."""
        return x.flatten(1)

    def forward(self, x, g):
        return pixel_logits(self.decode(g, x))

    def inputs(self, x, pivot=None, g=None):
        return (x, self.action.identity(x.shape[0]) if g is None else elements(self.group, g, x.shape[0]))

    def group_laws(self, x, g1, g2):
        return measured_group_laws(self.action, x, g1, g2, lambda image: image, self.decode)

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
