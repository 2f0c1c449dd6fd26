#!/usr/bin/env python3
"""Convolutional networks trained with PyTorch on Fashion-MNIST, to compare accuracy curves with examples/LeNet.

Networks (pytorch_cnn.py, --list prints them in our attribute syntax):
  lenet    the LeNet of DESIGN.md: DESIGN.md quotes 0.816 test accuracy after 3 epochs, 0.870 after 10
  strong   the stronger CNN: Conv2D(16, 3, Same) - pool - Conv2D(32, 3, Same) - pool - Dropout - Dense(128) -
           Dropout - Dense(10), about 1.22 M multiply-adds per example, for >= 91% test accuracy within 15 epochs
  small, medium, strided, lenet_same   cheaper or different candidates tried for the stronger CNN
Adam 0.001, batch 128, softmax cross-entropy, inputs scaled to 0..1 (no normalization, no augmentation), one thread,
training split -> test split; PyTorch's default init unless --init ours (CompiledNets' defaults: He-normal for ReLU
layers, Glorot-uniform otherwise, bias 0). Per epoch: mean training loss (dropout on), train and test accuracy
(eval mode), seconds of the epoch's training.

Run with Debian's PyTorch:  /usr/bin/python3 benchmarks/peers/pytorch_cnn_accuracy.py --network lenet --epochs 10
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time


def thread_count():
    """--threads, read before torch is imported so that the BLAS and OpenMP pools are that size too."""
    for i, argument in enumerate(sys.argv):
        if argument == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if argument.startswith("--threads="):
            return argument.split("=", 1)[1]
    return "1"


for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = thread_count()

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402

import pytorch_cnn  # noqa: E402


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().div(255).view(count, 1, rows, cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--network", default="lenet", choices=sorted(pytorch_cnn.NETWORKS))
    parser.add_argument("--layers", help="a custom layer list instead of --network (pytorch_cnn.parse_layers)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", default="default", choices=["default", "ours"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object (the curve) instead of a table")
    parser.add_argument("--list", action="store_true", help="print every network's declaration and cost, then exit")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.list:
        for name, layers in pytorch_cnn.NETWORKS.items():
            _, macs, parameters, _ = pytorch_cnn.build(layers)
            print(f"// {name}: {macs:,} multiply-adds per example, {parameters:,} parameters")
            print(pytorch_cnn.declaration(layers, pytorch_cnn.CLASS_NAMES[name]) + "\n")
        return 0

    torch.manual_seed(args.seed)
    x_train = load_idx(f"{args.data}/train-images-idx3-ubyte.gz")
    y_train = load_idx(f"{args.data}/train-labels-idx1-ubyte.gz")
    x_test = load_idx(f"{args.data}/t10k-images-idx3-ubyte.gz")
    y_test = load_idx(f"{args.data}/t10k-labels-idx1-ubyte.gz")

    layers = pytorch_cnn.parse_layers(args.layers) if args.layers else pytorch_cnn.NETWORKS[args.network]
    if args.layers:
        args.network = "custom"
    model, macs, parameters, shapes = pytorch_cnn.build(layers, args.init)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def accuracy(x, y):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(x), 1000):
                correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
        return correct / len(x)

    result = {"network": args.network, "declaration": pytorch_cnn.declaration(layers, pytorch_cnn.CLASS_NAMES.get(args.network, "Custom")),
              "multiply_adds": macs, "parameters": parameters, "init": args.init, "seed": args.seed,
              "torch": torch.__version__, "threads": torch.get_num_threads(), "epochs": []}
    if not args.json:
        print(f"{args.layers or args.network}: {macs:,} multiply-adds per example, {parameters:,} parameters, init {args.init}, "
              f"seed {args.seed}; shapes {shapes}")
        print("epoch  train loss  train acc  test acc  seconds", flush=True)
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
        row = {"epoch": epoch, "train_loss": total / len(x_train), "train_accuracy": accuracy(x_train, y_train),
               "test_accuracy": accuracy(x_test, y_test), "seconds": seconds}
        result["epochs"].append(row)
        if not args.json:
            print(f"{epoch:5d}  {row['train_loss']:10.4f}  {row['train_accuracy']:9.2%}  "
                  f"{row['test_accuracy']:8.2%}  {seconds:7.2f}", flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
