"""The PyTorch side of bench:torch (bench/torch.ts runs it with the interpreter bench/torch/python.ts
picks, MAGA_PYTHON or the first python3 that imports torch), on python/maga_torch's models:

  main.py bench --config config.json --checkpoint init.safetensors --images in.safetensors
                --batch B --steps S --warmup W [--kernels] [--threads N] [--device cuda]
      training images/s (Adam, global-norm clip 1, the first batch initialising ActNorm), inference
      images/s and peak RSS as JSON on stdout; --kernels adds matmul 1024^3 and the k4 s2 p1 conv;
      --threads sets torch's intra-op threads (default: every core); --device cuda runs it on the
      GPU (bench:gpu), timed with torch.cuda.synchronize().
      The images file holds pivot [1, C, S, S] and varying [M, C, S, S] (MAGANet, the VAE), or x,
      gx [M, C, S, S] and g [M] / [M, 4] (latent-action, flow-action); batches cycle through it.

The config is a run's config.json or a bare model configuration; the checkpoint is loaded by name.
"""

import argparse
import json
import os
import sys
import time

# python/ of this checkout first, so that the benchmark measures the package beside it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import torch  # noqa: E402

from maga_torch import safetensors_io  # noqa: E402
from maga_torch.config import model_config, read_json  # noqa: E402
from maga_torch.models import MODELS, parse_model_config  # noqa: E402


def build(args):
    config = parse_model_config(model_config(read_json(args.config), args.config), args.config)
    model = MODELS[config["model"]].create(config, seed=0)
    tensors, _ = safetensors_io.load(args.checkpoint)
    model.load_tensors(tensors, args.checkpoint)
    return config, model


def require(images, name, path):
    if name not in images:
        raise SystemExit(f"{path}: no tensor '{name}' (has {', '.join(sorted(images)) or 'none'})")
    return images[name]


def peak_rss_bytes():
    """VmHWM of this process (the same measure the TypeScript side reads)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


SYNC = [lambda: None]


def median_ms(f, reps):
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        f()
        SYNC[0]()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2]


def kernels(device="cpu"):
    """matmul 1024^3 and the conv 64x32x32x32 -> 32, k4 s2 p1, forward+backward (as bench:tensor)."""
    n = 1024
    a, b = torch.full((n, n), 0.5, device=device), torch.full((n, n), 0.25, device=device)
    torch.matmul(a, b)
    matmul_ms = median_ms(lambda: torch.matmul(a, b), 5)
    x = torch.full((64, 32, 32, 32), 0.1, requires_grad=True, device=device)
    w = torch.full((32, 32, 4, 4), 0.01, requires_grad=True, device=device)
    bias = torch.zeros(32, requires_grad=True, device=device)

    def conv_both():
        y = torch.nn.functional.conv2d(x, w, bias, stride=2, padding=1)
        torch.autograd.grad(y.sum(), [x, w, bias])

    conv_both()
    conv_ms = median_ms(conv_both, 5)
    return {"matmulGflops": 2 * n**3 / matmul_ms / 1e6, "matmulMs": matmul_ms, "convForwardBackwardMs": conv_ms}


def batches(model, images, path, b):
    """The next training batch (a dict as model.loss_terms takes it), cycling through the file."""
    pairs = model.KNOWN_GROUP
    pool = {name: require(images, name, path) for name in (("x", "gx", "g") if pairs else ("varying",))}
    if model.PIVOT:
        pool_pivot = require(images, "pivot", path)
    count = next(iter(pool.values())).shape[0] // b
    if count < 1:
        raise SystemExit(f"bench: {next(iter(pool.values())).shape[0]} images in {path}, fewer than one batch of {b}")
    cursor = [0]

    def next_batch():
        i = cursor[0] % count
        cursor[0] += 1
        batch = {name: t[i * b : (i + 1) * b] for name, t in pool.items()}
        if model.PIVOT:
            batch["pivot"] = pool_pivot
        return batch

    return next_batch


def cmd_bench(args):
    config, model = build(args)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("bench --device cuda: torch has no CUDA device here")
        SYNC[0] = torch.cuda.synchronize
    model.to(device)
    images = {name: torch.from_numpy(a).to(device) for name, a in safetensors_io.load(args.images)[0].items()}
    next_batch = batches(model, images, args.images, args.batch)
    first = next_batch()
    if hasattr(model, "initialize"):
        model.initialize(first["x" if model.KNOWN_GROUP else "varying"])
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    latent = config.get("latentDim")

    def train_step():
        batch = next_batch()
        n = batch["x" if model.KNOWN_GROUP else "varying"].shape[0]
        noise = torch.randn(n, latent, device=device) if latent else None
        terms = model.loss_terms(batch, noise)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    def inference():
        batch = next_batch()
        with torch.no_grad():
            if model.KNOWN_GROUP:
                model(batch["x"], batch["g"])
            elif model.PIVOT:
                model(batch["pivot"], batch["varying"])
            else:
                model(batch["varying"])

    for _ in range(args.warmup):
        train_step()
        inference()
    train_ms = median_ms(train_step, args.steps)
    infer_ms = median_ms(inference, args.steps)
    b = args.batch
    result = {
        "backend": f"torch {torch.__version__}, " + (torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"),
        "model": config["model"],
        "batch": b,
        "steps": args.steps,
        "trainStepMs": train_ms,
        "inferMs": infer_ms,
        "trainImagesPerSecond": b / train_ms * 1000,
        "inferImagesPerSecond": b / infer_ms * 1000,
        "peakRssBytes": peak_rss_bytes(),
    }
    if device.type == "cuda":
        result["peakDeviceBytes"] = torch.cuda.max_memory_allocated(device)
    if args.kernels:
        result.update(kernels(device))
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description="the PyTorch side of bench:torch")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bench")
    p.add_argument("--config", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--kernels", action="store_true")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu")
    args = parser.parse_args()
    # As many threads as cores, the like-for-like setting for a CPU comparison (--threads N: N).
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    cmd_bench(args)


if __name__ == "__main__":
    sys.exit(main())
