"""The models by kind, as packages/model's MODELS registry: each entry is a module with KIND,
FIELDS (the configuration's leaf paths it reads), parse(config, image_size, channels) and
create(config, seed). Adding a model is its own module here plus one line below."""

import warnings

from .. import config as cfg
from . import copy_x, flow_action, latent_action, maganet, rotate_x, vae, winter

MODELS = {m.KIND: m for m in (maganet, vae, latent_action, flow_action, winter, rotate_x, copy_x)}
COMMON = ("model", "imageSize", "channels")


def parse_model_config(c, where="config"):
    """A model configuration read from JSON, checked; fields this package does not know are said once, loudly."""
    if not isinstance(c, dict):
        raise cfg.ConfigError(f"{where}: the model configuration must be an object")
    kind = c.get("model")
    if kind not in MODELS:
        raise cfg.ConfigError(f"{where}: model must be one of {', '.join(MODELS)}, got {kind!r} (a model newer than this maga_torch?)")
    spec = MODELS[kind]
    try:
        parsed = spec.parse(c, cfg.positive_int(c, "", "imageSize"), cfg.positive_int(c, "", "channels"))
    except cfg.ConfigError as e:
        raise cfg.ConfigError(f"{where}: {e}") from None
    unknown = sorted(set(cfg.leaf_paths(c)) - spec.FIELDS)
    if unknown:
        warnings.warn(f"{where}: maga_torch does not know the {kind} field(s) {', '.join(unknown)}: the model may differ from ours (a newer maga?)", stacklevel=3)
    return parsed


def create_model(config, seed=0):
    """A model of `config` with PyTorch's initialisation (our runs' weights come with load_run)."""
    config = parse_model_config(config)
    return MODELS[config["model"]].create(config, seed)
