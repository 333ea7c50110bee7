"""maga_torch: our runs in PyTorch.

    import maga_torch
    model = maga_torch.load_run("runs/X")     # a torch.nn.Module, weights loaded, in eval mode
    pixels = model.reconstruct(x, g=angles)   # the same numbers as ours, to float rounding
    maga_torch.export_onnx(model, "onnx/")    # encoder.onnx and decoder.onnx

The four models of packages/model (maganet, vae, latent-action, flow-action) layer for layer, with
the same parameter names, forward, inverse and group action; docs/python.md says what each
module's methods take and return.
"""

import inspect
import os
import warnings

import torch

from . import safetensors_io
from .config import ConfigError, RunError, model_config, read_json, run_files
from .groups import elements
from .models import MODELS, create_model, parse_model_config
from .nn import freeze, thaw

__all__ = ["load_run", "load_config", "create_model", "export_onnx", "elements", "MODELS", "ConfigError", "RunError"]
__version__ = "0.1.0"


def load_config(run):
    """(the run's whole config.json, its model configuration checked)."""
    config_file, _ = run_files(run)
    document = read_json(config_file)
    try:
        return document, parse_model_config(model_config(document, config_file), config_file)
    except ConfigError as e:
        raise RunError(str(e)) from None


class RunInfo:
    """Where a loaded model came from: the run directory, its whole config.json and the checkpoint's step."""

    def __init__(self, directory, config, step):
        self.directory, self.config, self.step = directory, config, step

    def __repr__(self):
        return f"RunInfo({self.directory!r}, step={self.step})"


def load_run(run, checkpoint=None, map_location="cpu"):
    """The run's model as a torch.nn.Module in eval mode: built from the run's config.json, weights
    from its model.safetensors (or `checkpoint`), checked against the file's CRC-32. Errors name the file."""
    document, config = load_config(run)
    config_file, model_file = run_files(run)
    model_file = os.fspath(checkpoint) if checkpoint is not None else model_file
    try:
        tensors, metadata = safetensors_io.load(model_file)
    except safetensors_io.SafetensorsError as e:
        raise RunError(str(e) if os.path.exists(model_file) else f"{model_file} does not exist (has the run saved a checkpoint yet?)") from None
    model = MODELS[config["model"]].create(config, seed=0)
    try:
        model.load_tensors(tensors, model_file)
    except ValueError as e:
        raise RunError(str(e)) from None
    step = metadata.get("step")
    model.run = RunInfo(os.path.dirname(config_file), document, int(step) if step and step.isdigit() else None)
    return model.to(map_location).eval()


# torch >= 2.5 takes dynamo=; from 2.9 it defaults to the torch.export exporter, which refuses the
# data-dependent checks our layers make. The TorchScript tracer exports them (shape checks become constants).
_TRACING = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def export_onnx(model, out_dir, opset=13):
    """Writes the model's encoder and decoder as out_dir/encoder.onnx and out_dir/decoder.onnx, the
    batch dimension dynamic; returns {name: path}. Each 1x1 convolution's inverse is fixed at its
    current value (ONNX's standard opsets have no matrix inverse). Inputs and outputs per model are
    in docs/python.md."""
    os.makedirs(out_dir, exist_ok=True)
    was_training = model.training
    model.eval()
    freeze(model)
    paths = {}
    try:
        for name, part, example, inputs, outputs, axes in model.onnx_parts():
            path = os.path.join(out_dir, f"{name}.onnx")
            tmp = f"{path}.tmp-{os.getpid()}"
            with torch.no_grad(), warnings.catch_warnings():
                # The tracer warns of every shape check it turns into a constant; the batch stays dynamic.
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                torch.onnx.export(part, example, tmp, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=opset, **_TRACING)
            os.replace(tmp, path)
            paths[name] = path
    finally:
        thaw(model)
        model.train(was_training)
    return paths
