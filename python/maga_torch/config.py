"""Reading a run's config.json (packages/cli/src/rundir.ts writes it): the model configuration
under "model", beside the data, training settings and seed. Checks name the file, the field, what
it must be and what it was."""

import json
import os


class ConfigError(ValueError):
    """A configuration that cannot build a model; the message names the field (and the file)."""


class RunError(Exception):
    """A run directory or one of its files that cannot be used; the message names the file."""


CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"


def run_files(run):
    """(config.json, model.safetensors) of a run directory; `run` may also name its config.json."""
    run = os.fspath(run)
    if os.path.basename(run) == CONFIG_FILE and os.path.isfile(run):
        run = os.path.dirname(run) or "."
    return os.path.join(run, CONFIG_FILE), os.path.join(run, MODEL_FILE)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise RunError(f"{path} does not exist (a run directory holds config.json and model.safetensors)") from None
    except OSError as e:
        raise RunError(f"{path}: cannot read ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunError(f"{path} is not valid JSON ({e})") from None


def model_config(document, where):
    """The model configuration of a run's config.json ({"model": {...}, ...}), or of a bare model
    configuration ({"model": "maganet", ...}, as bench:torch writes one)."""
    if not isinstance(document, dict):
        raise RunError(f"{where}: expected a JSON object, got {type(document).__name__}")
    model = document.get("model")
    if isinstance(model, dict):
        return model
    if isinstance(model, str):
        return document
    raise RunError(f"{where}: no model configuration (expected a \"model\" object, as a run's config.json has)")


# ---- field checks shared by the models' parsers -----------------------------------------------

def field(c, path, name):
    if name not in c:
        raise ConfigError(f"config: missing {path}{name}")
    return c[name]


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def positive_int(c, path, name):
    v = field(c, path, name)
    if not (_is_int(v) and v >= 1):
        raise ConfigError(f"config: {path}{name} must be a positive integer, got {json.dumps(v)}")
    return v


def non_negative_int(c, path, name):
    v = field(c, path, name)
    if not (_is_int(v) and v >= 0):
        raise ConfigError(f"config: {path}{name} must be a non-negative integer, got {json.dumps(v)}")
    return v


def non_negative(c, path, name):
    v = field(c, path, name)
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 and v != float("inf")):
        raise ConfigError(f"config: {path}{name} must be a non-negative number, got {json.dumps(v)}")
    return float(v)


def one_of(c, path, name, allowed):
    v = field(c, path, name)
    if v not in allowed:
        raise ConfigError(f"config: {path}{name} must be one of {', '.join(allowed)}, got {json.dumps(v)}")
    return v


def boolean(c, path, name):
    v = field(c, path, name)
    if not isinstance(v, bool):
        raise ConfigError(f"config: {path}{name} must be true or false, got {json.dumps(v)}")
    return v


def obj(c, path, name):
    v = field(c, path, name)
    if not isinstance(v, dict):
        raise ConfigError(f"config: {path}{name} must be an object, got {json.dumps(v)}")
    return v


def int_list(c, path, name, length=None, minimum=1):
    v = field(c, path, name)
    ok = isinstance(v, list) and v and (length is None or len(v) == length) and all(_is_int(w) and w >= minimum for w in v)
    if not ok:
        count = "a non-empty list of" if length is None else str(length)
        raise ConfigError(f"config: {path}{name} must be {count} integers >= {minimum}, got {json.dumps(v)}")
    return v


def glow(c, image_size):
    """A Glow's {levels, steps, coupling, hidden} (maganet, flow-action)."""
    g = obj(c, "", "glow")
    hidden = field(g, "glow.", "hidden")
    if hidden != "half" and not (_is_int(hidden) and hidden >= 1):
        raise ConfigError(f"config: glow.hidden must be a positive integer or \"half\", got {json.dumps(hidden)}")
    levels = positive_int(g, "glow.", "levels")
    if image_size % 2**levels:
        raise ConfigError(f"config: imageSize {image_size} is not divisible by 2^glow.levels = {2**levels}")
    return {"levels": levels, "steps": positive_int(g, "glow.", "steps"), "coupling": one_of(g, "glow.", "coupling", ("additive", "affine")), "hidden": hidden}


def epsilon(c):
    e = non_negative(c, "", "epsilon")
    if not 0 < e < 0.5:
        raise ConfigError(f"config: epsilon must be in (0, 0.5), got {e}")
    return e


def leaf_paths(value, prefix=""):
    """The dotted paths of a configuration's leaves ("glow.levels"); a group counts as one leaf."""
    out = []
    for k, v in value.items():
        if isinstance(v, dict) and k != "group":
            out += leaf_paths(v, f"{prefix}{k}.")
        else:
            out.append(prefix + k)
    return out
