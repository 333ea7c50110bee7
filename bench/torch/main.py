"""Command line of the PyTorch twin (run with Debian's /usr/bin/python3 and python3-torch):

  main.py reconstruct --config config.json --checkpoint model.safetensors --images in.safetensors --out out.safetensors
      sigmoid of the deterministic reconstruction logits (z = mu) of `varying`, from `pivot` for
      MAGANet, written as `reconstruction` [N, C, H, W].
  main.py losses --config ... --checkpoint ... --images in.safetensors
      the loss terms (JSON on stdout) for `varying` (and `pivot`) with the given `noise` [N, d].
  main.py bench --config ... --checkpoint ... --images in.safetensors --batch B --steps S --warmup W [--kernels] [--threads N]
      training images/s (Adam, global-norm clip 1, the first batch initialising ActNorm), inference
      images/s and peak RSS as JSON on stdout; --kernels adds matmul 1024^3 and the k4 s2 p1 conv;
      --threads sets torch's intra-op threads (default: every core); --device cuda runs it on the GPU
      (bench:gpu), timing with torch.cuda.synchronize().

Images, checkpoints and outputs are safetensors files, so the TypeScript side reads and writes
them with the project's own functions.
"""

import argparse
import json
import os
import sys
import time

import torch

import safetensors_io
import twin


def build(args):
    with open(args.config) as f:
        config = json.load(f)
    model = twin.create_model(config, seed=0)
    tensors, _ = safetensors_io.load(args.checkpoint)
    twin.load_checkpoint(model, tensors)
    return config, model


def read_images(path):
    tensors, _ = safetensors_io.load(path)
    return {name: torch.from_numpy(array) for name, array in tensors.items()}


def require(images, name, path):
    if name not in images:
        raise SystemExit(f"{path}: no tensor '{name}' (has {', '.join(sorted(images)) or 'none'})")
    return images[name]


def cmd_reconstruct(args):
    config, model = build(args)
    images = read_images(args.images)
    varying = require(images, "varying", args.images)
    model.eval()
    outs = []
    with torch.no_grad():
        for start in range(0, varying.shape[0], args.batch):
            v = varying[start : start + args.batch]
            if config["model"] == "maganet":
                pivot = require(images, "pivot", args.images)
                p = pivot if pivot.shape[0] == 1 else pivot[start : start + args.batch]
                logits = model.reconstruct_logits(p, v)
            else:
                logits = model.reconstruct_logits(v)
            outs.append(torch.sigmoid(logits))
    safetensors_io.save(args.out, {"reconstruction": torch.cat(outs).numpy()})


def cmd_losses(args):
    config, model = build(args)
    images = read_images(args.images)
    varying, noise = require(images, "varying", args.images), require(images, "noise", args.images)
    if config["model"] == "maganet":
        terms = model.losses(require(images, "pivot", args.images), varying, noise)
    else:
        terms = model.losses(varying, noise)
    print(json.dumps({name: t.item() for name, t in terms.items()}))


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


def cmd_bench(args):
    config, model = build(args)
    if config["model"] != "maganet":
        raise SystemExit("bench: only MAGANet is benchmarked")
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("bench --device cuda: torch has no CUDA device here")
        SYNC[0] = torch.cuda.synchronize
    model.to(device)
    images = read_images(args.images)
    pivot, pool = require(images, "pivot", args.images).to(device), require(images, "varying", args.images).to(device)
    b = args.batch
    batches = pool.shape[0] // b
    if batches < 1:
        raise SystemExit(f"bench: {pool.shape[0]} images in {args.images}, fewer than one batch of {b}")
    cursor = [0]

    def next_batch():
        i = cursor[0] % batches
        cursor[0] += 1
        return pool[i * b : (i + 1) * b]

    model.initialize(next_batch())
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)

    def train_step():
        v = next_batch()
        noise = torch.randn(v.shape[0], config["latentDim"], device=device)
        terms = model.losses(pivot, v, noise)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    def inference():
        with torch.no_grad():
            model.reconstruct_logits(pivot, next_batch())

    for _ in range(args.warmup):
        train_step()
        inference()
    train_ms = median_ms(train_step, args.steps)
    infer_ms = median_ms(inference, args.steps)
    result = {
        "backend": f"torch {torch.__version__}, " + (torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"),
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
    parser = argparse.ArgumentParser(description="PyTorch twin of @maga/model")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("reconstruct", "losses", "bench"):
        p = sub.add_parser(name)
        p.add_argument("--config", required=True)
        p.add_argument("--checkpoint", required=True)
        p.add_argument("--images", required=True)
        p.add_argument("--batch", type=int, default=64)
        if name == "reconstruct":
            p.add_argument("--out", required=True)
        if name == "bench":
            p.add_argument("--steps", type=int, default=5)
            p.add_argument("--warmup", type=int, default=1)
            p.add_argument("--kernels", action="store_true")
            p.add_argument("--threads", type=int, default=0)
            p.add_argument("--device", default="cpu")
    args = parser.parse_args()
    # As many threads as cores, the like-for-like setting for a CPU comparison (bench --threads N: N).
    threads = getattr(args, "threads", 0) or os.cpu_count() or 1
    torch.set_num_threads(threads)
    {"reconstruct": cmd_reconstruct, "losses": cmd_losses, "bench": cmd_bench}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
