"""python -m maga_torch <command>:

  reconstruct RUN --images FILE... --out FILE [--g G] [--pivot FILE] [--batch N]
      the run's reconstructions (sigmoid of its logits, as `cli eval` predicts) of the images in
      FILE: a .safetensors/.npz holding x (or varying) [N, C, H, W] and, where the model takes
      them, pivot (MAGANet) and g (the pair models); a .npy; or PNG files. --g gives the group
      element of every image (SO(2): radians, C_n: a step j, SO(3): a quaternion w,x,y,z), default
      the identity. --out: .safetensors/.npz (`reconstruction`), .npy, or .png (a strip).
  export-onnx RUN --out DIR [--opset N]
      DIR/encoder.onnx and DIR/decoder.onnx (docs/python.md lists their inputs and outputs).
  info RUN
      the model, its parameters and the checkpoint's step.
  fields
      the configuration fields each model reads, as JSON (the docs-drift test compares them with ours).

Exit codes: 0 done, 1 a run or file that cannot be used (the message names it), 2 a usage error.
"""

import argparse
import json
import sys

import torch

from . import MODELS, RunError, export_onnx, load_run
from .groups import element_size, elements
from .images import ImageError, read_tensors, write_tensors


def _images(paths):
    tensors = {}
    for path in paths:
        for name, array in read_tensors(path).items():
            tensors[name] = torch.cat([tensors[name], torch.from_numpy(array)]) if name in tensors else torch.from_numpy(array)
    x = tensors.get("x", tensors.get("varying"))
    if x is None:
        raise ImageError(f"{', '.join(paths)}: no tensor named x or varying (has {', '.join(sorted(tensors)) or 'none'})")
    if x.dim() == 3:
        x = x[None]
    return x, tensors


def _group_elements(model, text, count):
    values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    size = element_size(model.group)
    if not values or len(values) % size:
        raise ValueError(f"--g {text!r}: expected {'one number' if size == 1 else 'four numbers w,x,y,z'} per element")
    g = torch.tensor(values).reshape(-1, size) if size > 1 else torch.tensor(values)
    if g.shape[0] not in (1, count):
        raise ValueError(f"--g {text!r}: {g.shape[0]} elements for {count} images (give one, or one per image)")
    return g


def cmd_reconstruct(args):
    model = load_run(args.run)
    x, tensors = _images(args.images)
    c, s = model.config["channels"], model.config["imageSize"]
    if tuple(x.shape[1:]) != (c, s, s):
        raise ImageError(f"{', '.join(args.images)}: images are {list(x.shape[1:])}, the run's model takes [{c}, {s}, {s}]")
    pivot = None
    if model.PIVOT:
        pivot = _images([args.pivot])[0] if args.pivot else tensors.get("pivot")
        if pivot is None:
            raise ImageError("MAGANet reconstructs a varying image from a pivot image: give --pivot FILE, or a tensor named pivot beside x")
    g = None
    if model.KNOWN_GROUP:
        g = _group_elements(model, args.g, x.shape[0]) if args.g is not None else tensors.get("g")
        if g is not None:
            g = elements(model.group, g, x.shape[0])
    elif args.g is not None:
        raise ValueError(f"--g: a {model.KIND} model takes no known group element")
    outs = []
    for start in range(0, x.shape[0], args.batch):
        end = start + args.batch
        p = None if pivot is None else pivot if pivot.shape[0] == 1 else pivot[start:end]
        outs.append(model.reconstruct(x[start:end], pivot=p, g=None if g is None else g[start:end]))
    write_tensors(args.out, {"reconstruction": torch.cat(outs).numpy()})
    print(f"{args.out}: {x.shape[0]} reconstructions by the {model.KIND} model of {args.run} (step {model.run.step})", file=sys.stderr)


def cmd_export_onnx(args):
    model = load_run(args.run)
    for name, path in export_onnx(model, args.out, opset=args.opset).items():
        print(f"{name}: {path}")


def cmd_info(args):
    model = load_run(args.run)
    print(json.dumps({"model": model.KIND, "step": model.run.step, "parameters": sum(p.numel() for p in model.parameters()), "config": model.config}, indent=2))


def cmd_fields(_args):
    print(json.dumps({kind: sorted(spec.FIELDS) for kind, spec in MODELS.items()}))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m maga_torch", description="maga runs in PyTorch")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("reconstruct", help="reconstruct images with a run's model")
    p.add_argument("run")
    p.add_argument("--images", nargs="+", required=True, metavar="FILE")
    p.add_argument("--out", required=True)
    p.add_argument("--g", help="group element(s): an angle, a step j, or w,x,y,z; one, or one per image")
    p.add_argument("--pivot", metavar="FILE", help="MAGANet's pivot image")
    p.add_argument("--batch", type=int, default=64)
    p = sub.add_parser("export-onnx", help="write encoder.onnx and decoder.onnx")
    p.add_argument("run")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--opset", type=int, default=13)
    sub.add_parser("info", help="the run's model").add_argument("run")
    sub.add_parser("fields", help="the configuration fields each model reads (JSON)")
    args = parser.parse_args(argv)
    try:
        {"reconstruct": cmd_reconstruct, "export-onnx": cmd_export_onnx, "info": cmd_info, "fields": cmd_fields}[args.command](args)
    except (RunError, ImageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
