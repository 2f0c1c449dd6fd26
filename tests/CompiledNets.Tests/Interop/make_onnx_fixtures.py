#!/usr/bin/python3
"""Writes the ONNX fixtures of Interop/OnnxPyTorchTests.cs: two small networks trained briefly in PyTorch and exported
with torch.onnx.export as PyTorch users export them, and the probabilities PyTorch predicts for a few inputs.

    /usr/bin/python3 tests/CompiledNets.Tests/Interop/make_onnx_fixtures.py

Needs Debian's python3-torch (torch.onnx.export works without the onnx package). Writes, beside this script,
Fixtures/pytorch_mlp.onnx, Fixtures/pytorch_cnn.onnx and Fixtures/onnx_fixtures.json. Deterministic: the same torch
build gives the same bytes.

- mlp: named modules fc1, fc2, fc3 (initializers fc1.weight, ...), nn.Linear exported as Gemm with transB = 1
  (weights [out, in]), nn.Dropout (inverted: gone at inference), `x.view(x.size(0), -1)` (a Shape → Gather →
  Unsqueeze → Concat → Reshape subgraph), logits out. C#: PyTorchOnnxMlp.
- cnn: an nn.Sequential (initializers 1.weight, ...) with TensorFlow Same padding as nn.ZeroPad2d + valid Conv2d
  (exported as a Pad whose pads are computed by a constant subgraph), overlapping MaxPool2d, Dropout2d, a
  symmetric-padded stride-2 Conv2d, nn.Flatten, Linear layers, nn.Softmax at the end; a 4-D input [batch, C, H, W].
  C#: PyTorchOnnxCnn.
"""
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Fixtures")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 16)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(16, 8)
        self.fc3 = nn.Linear(8, 4)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.drop(torch.relu(self.fc1(x)))
        return self.fc3(torch.tanh(self.fc2(x)))


def cnn():
    return nn.Sequential(
        nn.ZeroPad2d((0, 1, 0, 1)),            # left, right, top, bottom: TensorFlow Same for a 2x2 kernel at stride 1
        nn.Conv2d(2, 4, 2),                    # [2, 8, 7] -> [4, 8, 7]
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2),             # -> [4, 3, 3]
        nn.Dropout2d(0.25),
        nn.Conv2d(4, 3, 3, stride=2, padding=1),  # Same at stride 2 with an even total: -> [3, 2, 2]
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(12, 6),
        nn.Sigmoid(),
        nn.Linear(6, 3),
        nn.Softmax(dim=1),
    )


def train(model, inputs, labels, steps, logits):
    """A few Adam steps on random data, so the weights are trained ones rather than PyTorch's initialization."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        out = model(inputs)
        loss = nn.functional.cross_entropy(out, labels) if logits else nn.functional.nll_loss(torch.log(out), labels)
        loss.backward()
        optimizer.step()
    model.eval()


def export(model, example, name, probabilities_of):
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, example, path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=13)
    with torch.no_grad():
        probabilities = probabilities_of(model(example))
    return {
        "file": name + ".onnx",
        "inputShape": list(example.shape),
        "inputs": [float(v) for v in example.reshape(-1)],
        "probabilities": [float(v) for v in probabilities.reshape(-1)],
    }


def main():
    torch.manual_seed(20240613)
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)

    mlp = Mlp()
    train(mlp, torch.randn(64, 10), torch.randint(0, 4, (64,)), steps=30, logits=True)
    conv = cnn()
    train(conv, torch.rand(32, 2, 8, 7), torch.randint(0, 3, (32,)), steps=30, logits=False)

    fixtures = {
        "torch": torch.__version__,
        "mlp": export(mlp, torch.randn(5, 10), "pytorch_mlp", lambda out: torch.softmax(out, dim=1)),
        "cnn": export(conv, torch.rand(5, 2, 8, 7), "pytorch_cnn", lambda out: out),
    }
    with open(os.path.join(OUT, "onnx_fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1)
        f.write("\n")
    for name in ("pytorch_mlp", "pytorch_cnn"):
        print(name, os.path.getsize(os.path.join(OUT, name + ".onnx")), "bytes")


if __name__ == "__main__":
    main()
