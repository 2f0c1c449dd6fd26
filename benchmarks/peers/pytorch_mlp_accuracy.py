#!/usr/bin/env python3
"""The reference network trained with PyTorch, to compare accuracy curves with examples/Mnist.

Same network (784-200-100-10, ReLU, dropout 0.5 on both hidden layers), same init as the tutorial
(truncated normal sigma 0.1, bias 1), Adam 0.001, batch 128, one thread, training split -> test split.
Run with Debian's PyTorch:  /usr/bin/python3 benchmarks/peers/pytorch_mlp_accuracy.py --epochs 15
"""
import argparse
import gzip
import struct
import time

import torch
from torch import nn


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().div(255).view(count, rows * cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-dropout", action="store_true")
    parser.add_argument("--default-init", action="store_true", help="PyTorch's default init instead of the tutorial's")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    x_train = load_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    y_train = load_idx(f"{args.data}/train-labels-idx1-ubyte.gz")
    x_test = load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
    y_test = load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz")

    p = 0.0 if args.no_dropout else 0.5
    model = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Dropout(p),
                          nn.Linear(200, 100), nn.ReLU(), nn.Dropout(p), nn.Linear(100, 10))
    if not args.default_init:
        for layer in model:
            if isinstance(layer, nn.Linear):
                nn.init.trunc_normal_(layer.weight, std=0.1, a=-0.2, b=0.2)
                nn.init.constant_(layer.bias, 1.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def accuracy(x, y):
        model.eval()
        with torch.no_grad():
            return (model(x).argmax(1) == y).float().mean().item()

    print("epoch  train loss  train acc  test acc  seconds")
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(x_train))
        total = 0.0
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        print(f"{epoch:5d}  {total / len(x_train):10.4f}  {accuracy(x_train, y_train):9.2%}  "
              f"{accuracy(x_test, y_test):8.2%}  {seconds:7.2f}")


if __name__ == "__main__":
    main()
