#!/usr/bin/env python3
"""PyTorch timings of the reference network, to compare with the BenchmarkDotNet suite (benchmarks/README.md).

Same network (784-200-100-10, ReLU, dropout 0.5 on both hidden layers, softmax cross-entropy), same batch (128),
same data (Fashion-MNIST: training batches taken in turn from a shuffled epoch, test images for inference), same
thread count. Measured:
  train_step_foreach   forward + loss + backward + Adam(foreach=True), batch 128 (PyTorch's fastest Adam)
  train_step_default   the same with torch.optim.Adam's defaults
  wide_train_step_*    the same two for the wide network, 784-1024-1024-10 (fewer repetitions: about 30 ms a step)
  infer_1, infer_128   eval mode, no_grad, softmax(model(x)), one image and 128 images
  infer_random_1, infer_random_128   the same on random dense inputs, uniform in [0, 1)
  mask_38400           torch.empty(128, 300).bernoulli_(0.5): one step's dropout masks (as nn.Dropout samples them)
  epoch                one epoch (60,000 images, batch 128, last batch 96) with Adam(foreach=True)
Each time is the median of many timed repetitions after a warm-up, in microseconds (the epoch in seconds).

--threads N sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS before torch is imported, and
torch.set_num_threads(N). --blas-default leaves the BLAS pools alone and only calls torch.set_num_threads(N): with
Debian's OpenBLAS (libopenblas0-pthread) the matrix products then still use every core, which is how the numbers
quoted in the issue were taken.

The vector level is PyTorch's own (ATEN_CPU_CAPABILITY: default, avx2, avx512) and OpenBLAS's (OPENBLAS_CORETYPE, e.g.
Haswell, Sandybridge); benchmarks/run.sh sets them per table. The JSON records which ones ran.

Run with Debian's PyTorch:  /usr/bin/python3 benchmarks/peers/pytorch_mlp.py --threads 1
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
    parser.add_argument("--steps", type=int, default=400, help="timed train steps per optimizer")
    parser.add_argument("--wide-steps", type=int, default=60, help="timed train steps per optimizer, wide network")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--check-blas", action="store_true", help="only check a matrix product against float64 and exit")
    return parser.parse_args()


ARGS = parse()
if not ARGS.blas_default:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(ARGS.threads)

import torch  # noqa: E402  (after the thread variables)
from torch import nn  # noqa: E402


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().div(255).view(count, rows * cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def median_us(function, repetitions, warmup):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def model(hidden=(200, 100)):
    return nn.Sequential(nn.Linear(784, hidden[0]), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(hidden[0], hidden[1]), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden[1], 10))


def cpu_capability():
    """The vector level of PyTorch's own kernels, as torch reports it."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return None


def openblas_core():
    """The kernel family the loaded OpenBLAS dispatched to (openblas_get_corename), if OpenBLAS is loaded."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line and line.split()[-1].startswith("/")})
        for path in paths:
            library = ctypes.CDLL(path)
            if hasattr(library, "openblas_get_corename"):
                library.openblas_get_corename.restype = ctypes.c_char_p
                return library.openblas_get_corename().decode()
    except OSError:
        pass
    return None


def check_blas():
    """Fails loudly if the BLAS kernels this process dispatched to compute a wrong product (exit code 3)."""
    generator = torch.Generator().manual_seed(2)
    a, b = torch.rand(257, 300, generator=generator), torch.rand(300, 129, generator=generator)
    error = ((a @ b).double() - a.double() @ b.double()).abs().max().item()
    if not error < 1e-3:
        print(f"BLAS check failed: largest error {error} of a 257x300 by 300x129 product (OpenBLAS core "
              f"{openblas_core()}, PyTorch {cpu_capability()})", file=sys.stderr)
        sys.exit(3)


def main():
    torch.set_num_threads(ARGS.threads)
    check_blas()
    if ARGS.check_blas:
        print(f"BLAS check passed: OpenBLAS core {openblas_core()}, PyTorch CPU capability {cpu_capability()}")
        return 0
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

    def train_step_timer(foreach, hidden=(200, 100)):
        net = model(hidden)
        optimizer = torch.optim.Adam(net.parameters(), lr=0.001, foreach=foreach)
        state = {"next": 0}

        def step():
            b = state["next"] % batches
            state["next"] += 1
            x = x_train[b * 128:(b + 1) * 128]
            y = y_train[b * 128:(b + 1) * 128]
            optimizer.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            optimizer.step()
            return loss

        return step

    results["train_step_foreach_us"] = median_us(train_step_timer(True), ARGS.steps, 50)
    results["train_step_default_us"] = median_us(train_step_timer(None), ARGS.steps, 50)
    results["wide_train_step_foreach_us"] = median_us(train_step_timer(True, (1024, 1024)), ARGS.wide_steps, 10)
    results["wide_train_step_default_us"] = median_us(train_step_timer(None, (1024, 1024)), ARGS.wide_steps, 10)

    net = model().eval()
    for batch, repetitions in ((1, 5000), (128, 1000)):
        state = {"next": 0}
        count = x_test.shape[0] // batch

        def infer():
            i = state["next"] % count
            state["next"] += 1
            with torch.no_grad():
                return torch.softmax(net(x_test[i * batch:(i + 1) * batch]), dim=1)

        results[f"infer_{batch}_us"] = median_us(infer, repetitions, 200)

    x_random = torch.rand(2048, 784)
    for batch, repetitions in ((1, 5000), (128, 1000)):
        state = {"next": 0}
        count = x_random.shape[0] // batch

        def infer_random():
            i = state["next"] % count
            state["next"] += 1
            with torch.no_grad():
                return torch.softmax(net(x_random[i * batch:(i + 1) * batch]), dim=1)

        results[f"infer_random_{batch}_us"] = median_us(infer_random, repetitions, 200)

    mask = torch.empty(128, 300)
    results["mask_38400_us"] = median_us(lambda: mask.bernoulli_(0.5), 5000, 200)

    net = model()
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
    results["epoch_s"] = time.perf_counter() - start
    results["cpu_capability"] = cpu_capability()
    results["openblas_core"] = openblas_core()

    if ARGS.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:24} {value}")


if __name__ == "__main__":
    sys.exit(main())
