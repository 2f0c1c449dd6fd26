#!/usr/bin/env python3
"""The configurations of examples/DropoutStudy that PyTorch has, trained with PyTorch, for comparison of the curves.

  reference            784-200-100-10 without dropout
  wide                 784-1024-1024-10 without dropout
  wide-dropout         the wide network with dropout 0.2 on the inputs and 0.5 after each hidden layer
  wide-dropout-maxnorm the same, and after every Adam step each unit's incoming weights (a row of nn.Linear's
                       [out, in] weight) renormed to at most 3 (torch.renorm, Keras' MaxNorm(3) on every Dense)

ReLU, PyTorch's default init, Adam 0.001, batch 128, Fashion-MNIST, one thread, the same seed for every configuration.
Writes one CSV line per epoch (configuration, epoch, train accuracy, test accuracy, seconds) to --output.
Run with Debian's PyTorch:
  /usr/bin/python3 examples/DropoutStudy/peers/pytorch_study.py --epochs 30 --output docs/dropout-study/pytorch.csv
"""
import argparse
import gzip
import os
import struct
import time

import torch
from torch import nn

CONFIGURATIONS = ["reference", "wide", "wide-dropout", "wide-dropout-maxnorm"]


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().div(255).view(count, rows * cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def build(name):
    if name == "reference":
        return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 100), nn.ReLU(), nn.Linear(100, 10))
    p_in, p_hidden = (0.2, 0.5) if name.startswith("wide-dropout") else (0.0, 0.0)
    return nn.Sequential(nn.Dropout(p_in), nn.Linear(784, 1024), nn.ReLU(), nn.Dropout(p_hidden),
                         nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(p_hidden), nn.Linear(1024, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--configurations", default=",".join(CONFIGURATIONS))
    parser.add_argument("--output", default="docs/dropout-study/pytorch.csv")
    args = parser.parse_args()
    torch.set_num_threads(1)

    x_train = load_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    y_train = load_idx(f"{args.data}/train-labels-idx1-ubyte.gz")
    x_test = load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
    y_test = load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        out.write("configuration,epoch,train_accuracy,test_accuracy,seconds\n")
        for name in args.configurations.split(","):
            if name not in CONFIGURATIONS:
                raise SystemExit(f"--configurations: unknown {name!r}; known: {', '.join(CONFIGURATIONS)}")
            torch.manual_seed(args.seed)
            model = build(name)
            linears = [m for m in model if isinstance(m, nn.Linear)]
            optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
            loss_fn = nn.CrossEntropyLoss()

            def accuracy(x, y):
                model.eval()
                with torch.no_grad():
                    return sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000)) / len(x)

            for epoch in range(1, args.epochs + 1):
                model.train()
                start = time.perf_counter()
                order = torch.randperm(len(x_train))
                for i in range(0, len(order), 128):
                    idx = order[i:i + 128]
                    optimizer.zero_grad()
                    loss_fn(model(x_train[idx]), y_train[idx]).backward()
                    optimizer.step()
                    if name.endswith("maxnorm"):
                        with torch.no_grad():
                            for layer in linears:
                                layer.weight.copy_(torch.renorm(layer.weight, 2, 0, 3.0))
                seconds = time.perf_counter() - start
                train, test = accuracy(x_train, y_train), accuracy(x_test, y_test)
                out.write(f"{name},{epoch},{train:.4f},{test:.4f},{seconds:.2f}\n")
                out.flush()
                print(f"{name:22s} epoch {epoch:3d}: train {train:.2%}, test {test:.2%}, {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
