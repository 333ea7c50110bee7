"""x copied, as packages/model/src/models/copy-x.ts: D(g, x) = x, whatever g (any known group). The
trivial action keeps every group law exactly: each image is x."""

from .. import config as cfg
from ..groups import parse_group
from .image_baseline import FIELDS, ImageBaseline  # noqa: F401 (FIELDS: the registry reads it here)

KIND = "copy-x"


def parse(c, image_size, channels):
    return {"model": KIND, "imageSize": image_size, "channels": channels, "group": parse_group(cfg.field(c, "", "group"))}


class CopyX(ImageBaseline):
    KIND = KIND

    def decode(self, g, x):
        return x.expand(max(x.shape[0], g.shape[0]), -1, -1, -1) * 1


def create(config, seed=0):
    return CopyX(config)
