"""The Python half of test/torch-twin.test.ts: loads a run with maga_torch.load_run and writes
what the test compares with ours.

  torch_twin.py RUN IN.safetensors OUT.safetensors ONNX_DIR

IN holds the test's images: varying (and pivot, z1, z2, noise) for MAGANet and the VAE; x, gx, g,
g1, g2 for the pair models. OUT gets the group laws' images (law_identity, law_sequential,
law_combined, law_roundTrip) and, for the pair models, identity = D(e, x). Stdout: one JSON line
with the loss terms, the checkpoint's step and the ONNX export's check (or why it was skipped).
"""

import json
import sys

import torch

import maga_torch
from maga_torch import safetensors_io


def main(run, images_path, out_path, onnx_dir):
    model = maga_torch.load_run(run)
    images = {name: torch.from_numpy(a) for name, a in safetensors_io.load(images_path)[0].items()}
    out = {}
    with torch.no_grad():
        if model.KNOWN_GROUP:
            out["identity"] = model.reconstruct(images["x"])
            laws = model.group_laws(images["x"], images["g1"], images["g2"])
            terms = model.loss_terms({"x": images["x"], "gx": images["gx"], "g": images["g"]})
        elif model.PIVOT:
            laws = model.group_laws(images["pivot"], images["z1"], images["z2"])
            terms = model.loss_terms({"pivot": images["pivot"], "varying": images["varying"]}, images["noise"])
        else:
            laws = {}
            terms = model.loss_terms({"varying": images["varying"]}, images["noise"])
    for name, t in laws.items():
        if name != "input":
            out[f"law_{name}"] = t
    safetensors_io.save(out_path, {name: t.numpy() for name, t in out.items()})
    report = {"step": model.run.step, "losses": {name: t.item() for name, t in terms.items()}}
    try:
        import onnx
    except ImportError as e:
        report["onnx"] = {"skipped": f"the onnx module does not import ({e}); on Debian: apt-get install python3-onnx"}
    else:
        paths = maga_torch.export_onnx(model, onnx_dir)
        parts = {}
        for name, path in paths.items():
            graph = onnx.load(path)
            onnx.checker.check_model(graph)
            parts[name] = {
                "inputs": [i.name for i in graph.graph.input],
                "outputs": [o.name for o in graph.graph.output],
                "batch": [i.type.tensor_type.shape.dim[0].dim_param for i in graph.graph.input],
            }
        report["onnx"] = parts
        report["onnxruntime"] = run_onnx(model, paths, images)
    print(json.dumps(report))


def run_onnx(model, paths, images):
    """The exported encoder and decoder run by onnxruntime at another batch size than the export's,
    against the model's own methods: the largest difference, or why it could not run."""
    try:
        import onnxruntime
    except ImportError as e:
        return {"skipped": f"onnxruntime does not import ({e})"}
    x = images.get("x", images.get("varying"))
    n = x.shape[0]
    parts = {name: (part, inputs, outputs) for name, part, _, inputs, outputs, _ in model.onnx_parts()}
    delta = 0.0

    def run(name, feeds):
        nonlocal delta
        part, inputs, outputs = parts[name]
        session = onnxruntime.InferenceSession(paths[name], providers=["CPUExecutionProvider"])
        got = session.run(outputs, {k: feeds[k].numpy() for k in inputs})
        with torch.no_grad():
            want = part(*[feeds[k] for k in inputs])
        want = want if isinstance(want, (tuple, list)) else (want,)
        for g, w in zip(got, want):
            delta = max(delta, float((torch.from_numpy(g) - w).abs().max()))
        return dict(zip(outputs, (torch.from_numpy(g) for g in got)))

    encoded = run("encoder", {"x": x})
    feeds = dict(encoded)
    feeds["z"] = encoded.get("z", encoded.get("mu"))
    if "pivot" in images:
        feeds["pivot"] = images["pivot"].expand(n, -1, -1, -1).contiguous()
    if "g" in images:
        feeds["g"] = images["g"]
    run("decoder", feeds)
    return {"maxDelta": delta, "batch": n}


if __name__ == "__main__":
    main(*sys.argv[1:5])
