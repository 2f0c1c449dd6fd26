#!/usr/bin/env python3
"""Writes pytorch_alpha_dropout_fixture.json: PyTorch's own F.alpha_dropout (with SELU) in a small MLP, its outputs,
loss and every gradient, with the masks PyTorch drew, plus the inference-mode outputs. PyTorchAlphaDropoutCrossCheckTests
loads our AlphaDropoutCrossCheckNet (PyTorchAlphaDropoutNetwork.cs, keep the two in step) with the same parameters and
masks and compares.

Regenerate (Debian: apt-get install python3-torch) from the repository root with:
    /usr/bin/python3 tests/CompiledNets.Tests/CrossCheck/make_pytorch_alpha_dropout_fixture.py

F.alpha_dropout takes no mask, so each one is read back from PyTorch: with the generator at a saved state, alpha dropout
of a tensor of ones gives one value where a unit was kept and another where it was dropped; the same state then drops
the same units of the real activations (the Bernoulli draw depends only on the shape and the state). The values are
float32 draws held in float64, so the fixture is the exact answer for the float32 values our network is given.

Layouts (CompiledNets'): parameters flat, per Dense its weights [in, out] row-major (Linear.weight transposed) then
bias [out]; masks, one per [AlphaDropout] in declaration order, [batch, width], 1 where PyTorch kept the unit, 0 where
it dropped it.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 20261203
BATCH = 4
INPUTS = 6
# (units, activation) per Dense; an AlphaDropout(rate) after each SELU layer: keep in step with the C# declaration.
DENSE = [(8, "SELU"), (5, "SELU"), (3, "None")]
RATES = [0.2, 0.1]


def main():
    generator = torch.Generator().manual_seed(SEED)
    x = torch.randn(BATCH, INPUTS, generator=generator, dtype=torch.float32).double()
    labels = torch.randint(0, DENSE[-1][0], (BATCH,), generator=generator)
    params = []
    fan_in = INPUTS
    for units, _ in DENSE:
        weight = (torch.randn(fan_in, units, generator=generator, dtype=torch.float32) / math.sqrt(fan_in)).double()
        bias = (torch.randn(units, generator=generator, dtype=torch.float32) * 0.1).double()
        params += [weight.requires_grad_(), bias.requires_grad_()]
        fan_in = units

    torch.manual_seed(SEED)  # F.alpha_dropout draws from the default generator
    masks = []
    h = x
    for i, (units, activation) in enumerate(DENSE):
        h = h @ params[2 * i] + params[2 * i + 1]
        if activation == "SELU":
            h = F.selu(h)
            rate = RATES[len(masks)]
            state = torch.get_rng_state()
            ones = F.alpha_dropout(torch.ones_like(h), p=rate, training=True)
            torch.set_rng_state(state)
            h = F.alpha_dropout(h, p=rate, training=True)
            kept_value = ones.max().item()
            mask = (ones == kept_value).double()
            assert 0 < mask.sum().item() < mask.numel(), "a mask that keeps all or nothing checks little"
            masks.append(mask)
    logits = h
    loss = F.cross_entropy(logits, labels)
    loss.backward()

    with torch.no_grad():
        h = x
        for i, (units, activation) in enumerate(DENSE):
            h = h @ params[2 * i] + params[2 * i + 1]
            if activation == "SELU":
                h = F.alpha_dropout(F.selu(h), p=0.5, training=False)  # identity at inference
        inference = h

    fixture = {
        "generator": f"PyTorch {torch.__version__}, F.selu and F.alpha_dropout in float64 on float32 values",
        "batch": BATCH,
        "rates": RATES,
        "inputs": x.flatten().tolist(),
        "labels": labels.tolist(),
        "parameters": torch.cat([p.detach().flatten() for p in params]).tolist(),
        "masks": [m.flatten().tolist() for m in masks],
        "outputs": logits.detach().flatten().tolist(),
        "loss": loss.item(),
        "gradients": torch.cat([p.grad.flatten() for p in params]).tolist(),
        "inference_outputs": inference.flatten().tolist(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_alpha_dropout_fixture.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
