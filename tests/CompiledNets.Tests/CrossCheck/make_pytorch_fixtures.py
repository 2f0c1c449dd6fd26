#!/usr/bin/env python3
"""Writes pytorch_fixtures.json: PyTorch's loss, outputs and every gradient for a few fixed networks,
parameters, inputs, labels and dropout masks. PyTorchCrossCheckTests loads our generated networks with the
same parameters and masks and compares.

Regenerate (Debian: apt-get install python3-torch) from the repository root with:
    /usr/bin/python3 tests/CompiledNets.Tests/CrossCheck/make_pytorch_fixtures.py

Everything random is drawn in float32 and then computed in float64, so the fixture holds the exact answer
for the float32 values our networks are given; the test's tolerance covers only our float32 arithmetic.
Parameters are written in CompiledNets' layout: per dense layer, weights [in, out] row-major (PyTorch's
weight transposed), then bias [out].
"""
import json
import os

import torch

# Each network matches a [Network] class in PyTorchNetworks.cs. Layers: ("dense", units, activation) or
# ("dropout", rate, scaling) with scaling "AtInference" (train unscaled) or "Inverted" (train scaled by 1/p).
NETWORKS = [
    {
        "name": "CrossCheckClassifier",
        "inputs": 6,
        "loss": "SoftmaxCrossEntropy",
        "batch": 4,
        "layers": [("dense", 5, "ReLU"), ("dropout", 0.5, "AtInference"),
                   ("dense", 4, "Tanh"), ("dropout", 0.3, "Inverted"), ("dense", 3, "None")],
    },
    {
        "name": "CrossCheckRegression",
        "inputs": 5,
        "loss": "MeanSquaredError",
        "batch": 3,
        "layers": [("dropout", 0.2, "Inverted"), ("dense", 7, "Sigmoid"), ("dense", 2, "None")],
    },
    {
        "name": "CrossCheckReferenceShape",
        "inputs": 20,
        "loss": "SoftmaxCrossEntropy",
        "batch": 8,
        "layers": [("dense", 16, "ReLU"), ("dropout", 0.5, "AtInference"),
                   ("dense", 8, "ReLU"), ("dropout", 0.5, "AtInference"), ("dense", 10, "None")],
    },
]

ACTIVATIONS = {"None": lambda x: x, "ReLU": torch.relu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid}


def as_list(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def build(spec, generator):
    batch, width = spec["batch"], spec["inputs"]
    x = torch.rand(batch, width, generator=generator, dtype=torch.float32).double()
    dense, masks = [], []
    for kind, a, b in spec["layers"]:
        if kind == "dense":
            w = (torch.randn(width, a, generator=generator, dtype=torch.float32) * 0.5).double().requires_grad_()
            bias = (torch.randn(a, generator=generator, dtype=torch.float32) * 0.1).double().requires_grad_()
            dense.append((w, bias, b))
            width = a
        else:
            keep = 1.0 - a
            masks.append((torch.rand(batch, width, generator=generator) < keep).double())
    return x, dense, masks


def forward(spec, x, dense, masks):
    h, d, m = x, 0, 0
    for kind, a, b in spec["layers"]:
        if kind == "dense":
            w, bias, activation = dense[d]
            h = ACTIVATIONS[activation](h @ w + bias)
            d += 1
        else:
            keep = 1.0 - a
            h = h * masks[m] * (1.0 / keep if b == "Inverted" else 1.0)
            m += 1
    return h


def main():
    generator = torch.Generator().manual_seed(20261125)
    fixtures = []
    for spec in NETWORKS:
        x, dense, masks = build(spec, generator)
        outputs = forward(spec, x, dense, masks)
        batch = spec["batch"]
        if spec["loss"] == "SoftmaxCrossEntropy":
            labels = torch.randint(0, outputs.shape[1], (batch,), generator=generator)
            loss = torch.nn.functional.cross_entropy(outputs, labels)
            targets = labels.tolist()
        else:
            t = torch.randn(outputs.shape, generator=generator, dtype=torch.float32).double()
            loss = torch.nn.functional.mse_loss(outputs, t)
            targets = as_list(t)
        loss.backward()
        parameters, gradients = [], []
        for w, bias, _ in dense:
            parameters += as_list(w) + as_list(bias)
            gradients += as_list(w.grad) + as_list(bias.grad)
        fixtures.append({
            "name": spec["name"],
            "batch": batch,
            "parameters": parameters,
            "inputs": as_list(x),
            "targets": targets,
            "masks": [as_list(m) for m in masks],
            "loss": float(loss),
            "outputs": as_list(outputs),
            "gradients": gradients,
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_fixtures.json")
    with open(path, "w") as f:
        json.dump({"generator": f"PyTorch {torch.__version__}, float64 on float32 values",
                   "fixtures": fixtures}, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
