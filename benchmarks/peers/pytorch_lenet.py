#!/usr/bin/env python3
"""PyTorch timings of the convolutional networks, to compare with the BenchmarkDotNet suite (benchmarks/README.md).

The LeNet of DESIGN.md (1x28x28 -> Conv2D(6, 5, ReLU) -> MaxPool2D(2) -> Conv2D(16, 5, ReLU) -> MaxPool2D(2) ->
SpatialDropout(0.2) -> Dense(120, ReLU) -> Dropout(0.5) -> Dense(84, ReLU) -> Dropout(0.5) -> Dense(10); nn.Dropout2d
for the spatial dropout), and with --strong also the stronger CNN of pytorch_cnn_accuracy.py (keys prefixed strong_).
Same batch (128), same data (Fashion-MNIST: training batches taken in turn from a shuffled epoch, test images for
inference), same thread count as pytorch_mlp.py, and the same keys:
  train_step_foreach   forward + loss + backward + Adam(lr 0.001, foreach=True), batch 128 (PyTorch's fastest Adam)
  train_step_default   the same with torch.optim.Adam's defaults
  infer_1, infer_128   eval mode, no_grad, softmax(model(x)), one image and 128 images
  infer_random_1, infer_random_128   the same on random dense inputs, uniform in [0, 1)
  epoch                one epoch (60,000 images, batch 128, last batch 96) with Adam(foreach=True)
Each time is the median of many timed repetitions after a warm-up, in microseconds (the epoch in seconds).
multiply_adds is the network's multiply-adds per example (forward), to turn times into throughput.

--threads N sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS before torch is imported, and
torch.set_num_threads(N); --blas-default leaves the BLAS pools alone (see pytorch_mlp.py). The vector level is
PyTorch's own (ATEN_CPU_CAPABILITY) and OpenBLAS's (OPENBLAS_CORETYPE), as benchmarks/run.sh sets them per table.

--export-onnx PATH writes the network's inference graph (softmax probabilities, symbolic batch) with
torch.onnx.export (opset 13; no onnx package needed), from --weights FILE.safetensors in CompiledNets' names and
layouts (conv{n}.weight [filters, inChannels, k, k], conv{n}.bias, dense{n}.weight [in, out], dense{n}.bias) or, without
--weights, from a fixed seed. --scaling at-inference (the default, as the declaration's [Dropout]/[SpatialDropout])
multiplies each dropout's input by its keep probability p in the graph; inverted leaves it out. The ONNX Runtime peer
can then run the very network CompiledNets runs.

Run with Debian's PyTorch:  /usr/bin/python3 benchmarks/peers/pytorch_lenet.py --threads 1
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--blas-default", action="store_true", help="only torch.set_num_threads; BLAS threads as configured")
    parser.add_argument("--steps", type=int, default=200, help="timed train steps per optimizer")
    parser.add_argument("--strong", action="store_true", help="also time the stronger CNN (keys strong_*)")
    parser.add_argument("--no-epoch", action="store_true", help="skip the timed epoch")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--export-onnx", metavar="PATH", help="write the inference graph to PATH and exit")
    parser.add_argument("--network", default="lenet", help="the network --export-onnx writes (pytorch_cnn.NETWORKS)")
    parser.add_argument("--weights", metavar="FILE", help="a .safetensors file in CompiledNets' names and layouts")
    parser.add_argument("--scaling", default="at-inference", choices=["at-inference", "inverted"])
    return parser.parse_args()


ARGS = parse()
if not ARGS.blas_default:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402

import pytorch_cnn  # noqa: E402
from pytorch_cnn import check_blas, cpu_capability, median_us, openblas_core  # noqa: E402


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().div(255).view(count, 1, rows, cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def read_safetensors(path):
    """name -> float32 tensor, from a .safetensors file (8-byte little-endian header length, JSON header, data)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + start:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).view(entry["shape"]).clone()
    return tensors


def load_weights(model, tensors, path):
    """Copies CompiledNets' tensors (conv{n}.*, dense{n}.* with weights [in, out]) into the model's layers in order."""
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    expected = {f"conv{i + 1}.{p}" for i in range(len(convs)) for p in ("weight", "bias")}
    expected |= {f"dense{i + 1}.{p}" for i in range(len(linears)) for p in ("weight", "bias")}
    if set(tensors) != expected:
        raise ValueError(f"{path}: tensors {sorted(tensors)}, expected {sorted(expected)}")
    with torch.no_grad():
        for i, conv in enumerate(convs, 1):
            conv.weight.copy_(tensors[f"conv{i}.weight"].view(conv.weight.shape))
            conv.bias.copy_(tensors[f"conv{i}.bias"])
        for i, linear in enumerate(linears, 1):
            weight = tensors[f"dense{i}.weight"]
            if tuple(weight.shape) != (linear.in_features, linear.out_features):
                raise ValueError(f"{path}: dense{i}.weight is {list(weight.shape)}, expected "
                                 f"[{linear.in_features}, {linear.out_features}]")
            linear.weight.copy_(weight.t())
            linear.bias.copy_(tensors[f"dense{i}.bias"])


class Scale(nn.Module):
    """AtInference dropout at inference: multiplies by the keep probability."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x * self.p


def export_onnx():
    torch.manual_seed(1)
    layers = pytorch_cnn.NETWORKS[ARGS.network]
    model, _, _, _ = pytorch_cnn.build(layers)
    if ARGS.weights:
        load_weights(model, read_safetensors(ARGS.weights), ARGS.weights)
    modules = []
    for m in model:
        if isinstance(m, (nn.Dropout, nn.Dropout2d)):
            if ARGS.scaling == "at-inference":
                modules.append(Scale(1.0 - m.p))
        else:
            modules.append(m)
    graph = nn.Sequential(*modules, nn.Softmax(dim=1)).eval()
    c, h, w = pytorch_cnn.INPUT
    example = torch.rand(1, c * h * w)

    class FlatInput(nn.Module):
        """Takes the flat [batch, C*H*W] rows CompiledNets takes, as its Predict does."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x.view(-1, c, h, w))

    torch.onnx.export(FlatInput(graph), example, ARGS.export_onnx, opset_version=13,
                      input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}})
    print(f"wrote {ARGS.export_onnx} ({ARGS.network}, weights {ARGS.weights or 'seed 1'}, scaling {ARGS.scaling})")
    return 0


def main():
    if ARGS.export_onnx:
        return export_onnx()
    torch.set_num_threads(ARGS.threads)
    check_blas()
    torch.manual_seed(1)
    x_train = load_idx(f"{ARGS.data}/train-images-idx3-ubyte.gz")
    y_train = load_idx(f"{ARGS.data}/train-labels-idx1-ubyte.gz")
    x_test = load_idx(f"{ARGS.data}/t10k-images-idx3-ubyte.gz")
    order = torch.randperm(x_train.shape[0])
    x_train, y_train = x_train[order].contiguous(), y_train[order].contiguous()
    batches = x_train.shape[0] // 128
    loss_fn = nn.CrossEntropyLoss()
    results = {
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": ARGS.threads,
        "blas_default": ARGS.blas_default,
        "torch_threads": torch.get_num_threads(),
        "aten_cpu_capability": os.environ.get("ATEN_CPU_CAPABILITY"),
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
    }

    def time_network(name, prefix, steps):
        layers = pytorch_cnn.NETWORKS[name]
        _, macs, parameters, _ = pytorch_cnn.build(layers)
        results[f"{prefix}network"] = name
        results[f"{prefix}multiply_adds"] = macs
        results[f"{prefix}parameters"] = parameters

        def train_step_timer(foreach):
            net, _, _, _ = pytorch_cnn.build(layers)
            optimizer = torch.optim.Adam(net.parameters(), lr=0.001, foreach=foreach)
            state = {"next": 0}

            def step():
                b = state["next"] % batches
                state["next"] += 1
                optimizer.zero_grad()
                loss = loss_fn(net(x_train[b * 128:(b + 1) * 128]), y_train[b * 128:(b + 1) * 128])
                loss.backward()
                optimizer.step()
                return loss

            return step

        results[f"{prefix}train_step_foreach_us"] = median_us(train_step_timer(True), steps, 20)
        results[f"{prefix}train_step_default_us"] = median_us(train_step_timer(None), steps, 20)

        net = pytorch_cnn.build(layers)[0].eval()
        x_random = torch.rand(2048, *pytorch_cnn.INPUT)
        for data, key in ((x_test, "infer"), (x_random, "infer_random")):
            for batch, repetitions in ((1, 3000), (128, 300)):
                state = {"next": 0}
                count = data.shape[0] // batch

                def infer():
                    i = state["next"] % count
                    state["next"] += 1
                    with torch.no_grad():
                        return torch.softmax(net(data[i * batch:(i + 1) * batch]), dim=1)

                results[f"{prefix}{key}_{batch}_us"] = median_us(infer, repetitions, 100)

        if ARGS.no_epoch:
            return
        net = pytorch_cnn.build(layers)[0]
        optimizer = torch.optim.Adam(net.parameters(), lr=0.001, foreach=True)
        for b in range(20):  # warm-up
            optimizer.zero_grad()
            loss_fn(net(x_train[b * 128:(b + 1) * 128]), y_train[b * 128:(b + 1) * 128]).backward()
            optimizer.step()
        epoch_order = torch.randperm(x_train.shape[0])
        start = time.perf_counter()
        for first in range(0, x_train.shape[0], 128):
            index = epoch_order[first:first + 128]
            optimizer.zero_grad()
            loss_fn(net(x_train[index]), y_train[index]).backward()
            optimizer.step()
        results[f"{prefix}epoch_s"] = time.perf_counter() - start

    time_network("lenet", "", ARGS.steps)
    if ARGS.strong:
        time_network("strong", "strong_", max(ARGS.steps // 2, 20))
    results["cpu_capability"] = cpu_capability()
    results["openblas_core"] = openblas_core()

    if ARGS.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:31} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
