#!/usr/bin/env python3
"""Step 1 of the README's walk-through "From PyTorch to a native executable": trains the dropout tutorial's network
(784-200-100-10, ReLU, dropout 0.5 on both hidden layers) in PyTorch and saves its state dict with torch.save.

    /usr/bin/python3 examples/FromPyTorch/train_in_pytorch.py --data /usr/share/datasets/fashion-mnist --epochs 3 --out model.pt

Prints the test accuracy PyTorch measures ("test accuracy 0.8512 (8512 of 10000)"), which step 2
(`dotnet run --project examples/FromPyTorch -- --model model.pt`) reproduces from the same weights. Needs Debian's
python3-torch; reads the IDX files (plain or .gz) with the standard library.
"""
import argparse
import gzip
import os
import struct

import torch
import torch.nn as nn


def read_idx(directory, name):
    for suffix in ("", ".gz"):
        path = os.path.join(directory, name + suffix)
        if os.path.exists(path):
            with (gzip.open if suffix else open)(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
            return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).view(*shape)
    raise SystemExit(f"{directory}: no {name} (plain or .gz)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0, help="train on only the first N training images (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="model.pt")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_x = read_idx(args.data, "train-images-idx3-ubyte").reshape(-1, 784).float() / 255
    train_y = read_idx(args.data, "train-labels-idx1-ubyte").long()
    test_x = read_idx(args.data, "t10k-images-idx3-ubyte").reshape(-1, 784).float() / 255
    test_y = read_idx(args.data, "t10k-labels-idx1-ubyte").long()
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]

    # Modules "0", "3" and "6" hold the parameters: the names PyTorch.LoadStateDict infers.
    model = nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(200, 100), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(100, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_function = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            optimizer.zero_grad()
            loss_function(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()

    model.eval()
    with torch.no_grad():
        correct = int((model(test_x).argmax(1) == test_y).sum())
    print(f"test accuracy {correct / len(test_y):.4f} ({correct} of {len(test_y)})")
    torch.save(model.state_dict(), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
