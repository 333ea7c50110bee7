"""What every model of the package has, whatever its kind: its configuration, construction from it
and a seed, a loader of our checkpoints by parameter name, and the two halves ONNX exports."""

import torch
from torch import nn

from ..nn import initialize_actnorms


class MagaModel(nn.Module):
    """A model of packages/model as a torch.nn.Module. Subclasses set KIND and implement forward
    (logits, as ours: Model.predictLogits), reconstruct, loss_terms and onnx_parts."""

    KIND = None
    #: A pair model takes a known group element g (latent-action, flow-action).
    KNOWN_GROUP = False
    #: MAGANet acts on a pivot image.
    PIVOT = False

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.run = None  # set by load_run: the run directory, its whole config.json and the checkpoint's step

    @torch.no_grad()
    def reconstruct(self, x, pivot=None, g=None):
        """Pixels in [0, 1]: sigmoid of the logits (ours: cli eval's predictions)."""
        return torch.sigmoid(self(*self.inputs(x, pivot=pivot, g=g)))

    def inputs(self, x, pivot=None, g=None):
        """The forward arguments for images x (and a pivot or g where the model takes one)."""
        return (x,)

    def load_tensors(self, tensors, where="checkpoint"):
        """Loads {name: ndarray} by name. Any missing or unexpected name or shape mismatch is listed
        in one error and nothing is loaded. ActNorms count as initialised afterwards."""
        expected = self.state_dict()
        problems = []
        for name in sorted(expected):
            if name not in tensors:
                problems.append(f"missing from the checkpoint: {name} {list(expected[name].shape)}")
            elif tuple(tensors[name].shape) != tuple(expected[name].shape):
                problems.append(f"{name}: checkpoint {list(tensors[name].shape)}, model {list(expected[name].shape)}")
        for name in sorted(tensors):
            if name not in expected:
                problems.append(f"unexpected in the checkpoint (not a parameter of {self.KIND}): {name} {list(tensors[name].shape)}")
        if problems:
            raise ValueError(f"{where} does not fit the {self.KIND} model of the config:\n  " + "\n  ".join(problems))
        self.load_state_dict({name: torch.from_numpy(tensors[name]) for name in expected})
        initialize_actnorms(self, True)
        return self

    def onnx_parts(self):
        """[(name, module, example inputs, input names, output names, dynamic axes)] for export_onnx."""
        raise NotImplementedError


class Part(nn.Module):
    """One exported half of a model: a bound method as a module, so torch.onnx can trace it."""

    def __init__(self, model, method):
        super().__init__()
        self.model = model
        self.method = method

    def forward(self, *args):
        return getattr(self.model, self.method)(*args)


def batch_axes(names):
    return {name: {0: "batch"} for name in names}


def measured_group_laws(action, x, g1, g2, encode, decode):
    """The group laws measured through a model's encoder and decoder, as packages/model's
    measuredGroupLaws: D(e, x); D(g2, E(D(g1, x))) vs D(g2 g1, x); D(g1^-1, E(D(g1, x))) vs x."""
    code = encode(x)
    once = decode(g1, code)
    once_code = encode(once)
    return {
        "input": x,
        "identity": decode(action.identity(1), code),
        "sequential": decode(g2, once_code),
        "combined": decode(action.compose(g2, g1), code),
        "roundTrip": decode(action.inverse(g1), once_code),
    }
