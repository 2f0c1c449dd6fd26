#!/usr/bin/env python3
"""Writes optimizer_fixtures.json: what PyTorch's own torch.optim.AdamW and torch.optim.SGD (weight_decay, with and
without momentum) do to a fixed parameter vector over several steps of fixed gradients. PyTorchOptimizerTests runs
our AdamW and Sgd on the same values and compares after every step.

Regenerate (Debian: apt-get install python3-torch libopenblas0-pthread) from the repository root with:
    /usr/bin/python3 tests/CompiledNets.Tests/Optimizers/make_optimizer_fixtures.py

Everything is float32, as PyTorch trains: the parameters, the gradients, and the optimizer's arithmetic (PyTorch's
single-tensor CPU path). The settings are rounded to float32 before PyTorch sees them, so both sides start from the
same numbers; the test's tolerance covers only the different order of float32 roundings.
"""
import json
import os

import torch

LENGTH = 37  # vector loop plus a tail at every vector width (4, 8, 16 floats)
STEPS = 6

CASES = [
    {"name": "adamw-defaults", "optimizer": "AdamW",
     "settings": {"learningRate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0.01}},
    # A large lr and λ so the decay dominates, betas far from the defaults and from each other, a large ε.
    {"name": "adamw-other", "optimizer": "AdamW",
     "settings": {"learningRate": 0.1, "beta1": 0.5, "beta2": 0.75, "epsilon": 1e-3, "weightDecay": 0.5}},
    {"name": "sgd-decay", "optimizer": "Sgd",
     "settings": {"learningRate": 0.1, "momentum": 0.0, "weightDecay": 0.25}},
    {"name": "sgd-momentum-decay", "optimizer": "Sgd",
     "settings": {"learningRate": 0.05, "momentum": 0.9, "weightDecay": 0.01}},
]


def f32(x):
    return float(torch.tensor(x, dtype=torch.float32))


def values(generator, scale):
    return ((torch.rand(LENGTH, generator=generator, dtype=torch.float32) * 2 - 1) * scale).to(torch.float32)


def gradients(generator):
    """Over many magnitudes: 0, tiny (where ε matters), ordinary and large, one large one in the tail."""
    g = values(generator, 1.0)
    g[0], g[1], g[2], g[3], g[LENGTH - 1] = 0.0, 1e-6, -3e-5, 1000.0, -250.0
    return g


def run(case, generator):
    s = {k: f32(v) for k, v in case["settings"].items()}
    theta = torch.nn.Parameter(values(generator, 0.5))
    initial = theta.detach().clone()
    if case["optimizer"] == "AdamW":
        opt = torch.optim.AdamW([theta], lr=s["learningRate"], betas=(s["beta1"], s["beta2"]), eps=s["epsilon"],
                                weight_decay=s["weightDecay"], foreach=False)
    else:
        opt = torch.optim.SGD([theta], lr=s["learningRate"], momentum=s["momentum"], weight_decay=s["weightDecay"],
                              dampening=0, nesterov=False, foreach=False)
    grads, after = [], []
    for _ in range(STEPS):
        g = gradients(generator)
        theta.grad = g.clone()
        opt.step()
        grads.append(g.tolist())
        after.append(theta.detach().clone().tolist())
    return {"name": case["name"], "optimizer": case["optimizer"], "settings": s,
            "parameters": initial.tolist(), "gradients": grads, "after": after}


def main():
    generator = torch.Generator().manual_seed(12)
    fixtures = [run(case, generator) for case in CASES]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_fixtures.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "steps": STEPS, "fixtures": fixtures}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
