"""No model at all, as packages/model/src/models/rotate-x.ts: D(g, x) = x's pixels turned by g
(rotate2d, the data sets' rotation: bilinear, zero outside, exact for quarter turns). SO(2), C_n."""

from .. import config as cfg
from ..groups import parse_group
from ..nn import plane_angles, rotate2d
from .image_baseline import FIELDS, ImageBaseline  # noqa: F401 (FIELDS: the registry reads it here)

KIND = "rotate-x"


def parse(c, image_size, channels):
    group = parse_group(cfg.field(c, "", "group"))
    if group["kind"] == "so3":
        raise cfg.ConfigError("config: rotate-x takes the groups so2 and cyclic (turns of the image plane), not so3")
    return {"model": KIND, "imageSize": image_size, "channels": channels, "group": group}


class RotateX(ImageBaseline):
    KIND = KIND

    def decode(self, g, x):
        rows = max(x.shape[0], g.shape[0])
        return rotate2d(x.expand(rows, -1, -1, -1), plane_angles(self.group, g).expand(rows))


def create(config, seed=0):
    return RotateX(config)
