"""The convolutional networks the CNN peers run, built in PyTorch from the same layer list our attributes declare.

A network is a list of layers in declaration order:
  ("conv", filters, k, activation, stride, padding)   [Conv2D(filters, k, activation, Stride = s, Padding = ...)]
  ("pool", size, stride)                              [MaxPool2D(size, Stride = s)]
  ("spatial", rate)                                   [SpatialDropout(rate)]    nn.Dropout2d
  ("dropout", rate)                                   [Dropout(rate)]           nn.Dropout
  ("dense", units, activation)                        [Dense(units, activation)]
on a 1x28x28 input. PyTorch's dropouts are inverted (identity at inference); ours default to AtInference scaling,
which gives the same expected activations. Padding "Same" is TensorFlow's: output ceil(in / stride), total zero padding
max((out - 1) * stride + k - in, 0), the odd one at the bottom/right; for stride 1 and an odd kernel that is PyTorch's
padding=k//2, used then; otherwise F.pad before a valid convolution.

Also the timing helpers of pytorch_mlp.py (median_us, cpu_capability, openblas_core, check_blas), for pytorch_lenet.py.
Import this module after setting the thread variables: it imports torch.
"""
import ctypes
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

INPUT = (1, 28, 28)

NETWORKS = {
    # The LeNet of DESIGN.md (about 0.42 M multiply-adds per example).
    "lenet": [("conv", 6, 5, "ReLU", 1, "Valid"), ("pool", 2, 2),
              ("conv", 16, 5, "ReLU", 1, "Valid"), ("pool", 2, 2), ("spatial", 0.2),
              ("dense", 120, "ReLU"), ("dropout", 0.5),
              ("dense", 84, "ReLU"), ("dropout", 0.5),
              ("dense", 10, "None")],
    # The stronger CNN: two Same 3x3 convolutions, 16 and 32 filters (about 1.22 M multiply-adds per example).
    "strong": [("conv", 16, 3, "ReLU", 1, "Same"), ("pool", 2, 2),
               ("conv", 32, 3, "ReLU", 1, "Same"), ("pool", 2, 2), ("dropout", 0.25),
               ("dense", 128, "ReLU"), ("dropout", 0.5),
               ("dense", 10, "None")],
    # Cheaper candidates tried for the stronger CNN (see pytorch_cnn_accuracy.py --network).
    "small": [("conv", 8, 3, "ReLU", 1, "Same"), ("pool", 2, 2),
              ("conv", 16, 3, "ReLU", 1, "Same"), ("pool", 2, 2), ("dropout", 0.25),
              ("dense", 64, "ReLU"), ("dropout", 0.5),
              ("dense", 10, "None")],
    "medium": [("conv", 12, 3, "ReLU", 1, "Same"), ("pool", 2, 2),
               ("conv", 24, 3, "ReLU", 1, "Same"), ("pool", 2, 2), ("dropout", 0.25),
               ("dense", 96, "ReLU"), ("dropout", 0.5),
               ("dense", 10, "None")],
    "strided": [("conv", 16, 3, "ReLU", 2, "Same"),
                ("conv", 32, 3, "ReLU", 1, "Same"), ("pool", 2, 2), ("dropout", 0.25),
                ("dense", 128, "ReLU"), ("dropout", 0.5),
                ("dense", 10, "None")],
    "lenet_same": [("conv", 16, 5, "ReLU", 1, "Same"), ("pool", 2, 2),
                   ("conv", 32, 5, "ReLU", 1, "Valid"), ("pool", 2, 2), ("spatial", 0.2),
                   ("dense", 128, "ReLU"), ("dropout", 0.5),
                   ("dense", 10, "None")],
}

# The class names the declarations are printed with.
CLASS_NAMES = {"lenet": "LeNet", "strong": "FashionCnn", "small": "FashionCnnSmall", "medium": "FashionCnnMedium",
               "strided": "FashionCnnStrided", "lenet_same": "FashionCnnLeNetSame"}

ACTIVATIONS = {"None": nn.Identity, "ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid}


def parse_layers(text):
    """A layer list from text such as "conv:16:3:ReLU:1:Same,pool:2:2,dropout:0.25,dense:128:ReLU,dense:10:None"."""
    layers = []
    for item in text.split(","):
        kind, *fields = item.strip().split(":")
        if kind == "conv":
            filters, k, activation, stride, padding = fields
            layers.append(("conv", int(filters), int(k), activation, int(stride), padding))
        elif kind == "pool":
            size, stride = (fields + [fields[0]])[:2]
            layers.append(("pool", int(size), int(stride)))
        elif kind in ("spatial", "dropout"):
            layers.append((kind, float(fields[0])))
        elif kind == "dense":
            layers.append(("dense", int(fields[0]), fields[1] if len(fields) > 1 else "None"))
        else:
            raise ValueError(f"unknown layer kind {kind!r} in {item!r}")
    return layers


def same_padding(size, k, stride):
    """TensorFlow's Same: (before, after) zero padding along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class TfSamePad(nn.Module):
    def __init__(self, height, width, k, stride):
        super().__init__()
        top, bottom = same_padding(height, k, stride)
        left, right = same_padding(width, k, stride)
        self.pad = (left, right, top, bottom)

    def forward(self, x):
        return F.pad(x, self.pad)


def build(layers, init="default", generator=None):
    """The nn.Sequential of a layer list, its multiply-adds per example, parameter count and shapes.

    init "default": PyTorch's default init. "ours": CompiledNets' defaults: He-normal (std sqrt(2 / fan-in)) for
    ReLU layers, Glorot-uniform (+-sqrt(6 / (fan-in + fan-out))) otherwise, bias 0; a convolution's fan-in is C*k*k,
    its fan-out filters*k*k.
    """
    c, h, w = INPUT
    flat = None
    modules, macs, shapes = [], 0, []
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, filters, k, activation, stride, padding = layer
            if padding == "Same" and not (stride == 1 and k % 2 == 1):
                modules.append(TfSamePad(h, w, k, stride))
            conv = nn.Conv2d(c, filters, k, stride=stride,
                             padding=k // 2 if padding == "Same" and stride == 1 and k % 2 == 1 else 0)
            if padding == "Same":
                oh, ow = -(-h // stride), -(-w // stride)
            else:
                oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
            macs += filters * oh * ow * c * k * k
            init_weights(conv.weight, activation, c * k * k, filters * k * k, init, generator)
            modules += [conv, ACTIVATIONS[activation]()]
            c, h, w = filters, oh, ow
        elif kind == "pool":
            _, size, stride = layer
            modules.append(nn.MaxPool2d(size, stride))
            h, w = (h - size) // stride + 1, (w - size) // stride + 1
        elif kind == "spatial":
            modules.append(nn.Dropout2d(layer[1]))
        elif kind == "dropout":
            modules.append(nn.Dropout(layer[1]))
        elif kind == "dense":
            _, units, activation = layer
            if flat is None:
                modules.append(nn.Flatten())
                flat = c * h * w
            linear = nn.Linear(flat, units)
            macs += flat * units
            init_weights(linear.weight, activation, flat, units, init, generator)
            modules += [linear, ACTIVATIONS[activation]()]
            flat = units
        shapes.append((c, h, w) if flat is None else (flat,))
    model = nn.Sequential(*modules)
    if init == "ours":
        for m in model:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.zeros_(m.bias)
    parameters = sum(p.numel() for p in model.parameters())
    return model, macs, parameters, shapes


def init_weights(weight, activation, fan_in, fan_out, init, generator):
    if init == "default":
        return
    with torch.no_grad():
        if activation == "ReLU":
            weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
        else:
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            weight.uniform_(-bound, bound, generator=generator)


def declaration(layers, name):
    """The layer list in CompiledNets' attribute syntax."""
    lines = [f"[Network({', '.join(map(str, INPUT))})]"]
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, filters, k, activation, stride, padding = layer
            text = f"[Conv2D({filters}, {k}" + ("" if activation == "None" else f", Activation.{activation}")
            text += "" if stride == 1 else f", Stride = {stride}"
            text += "" if padding == "Valid" else f", Padding = Padding.{padding}"
            lines.append(text + ")]")
        elif kind == "pool":
            _, size, stride = layer
            lines.append(f"[MaxPool2D({size}" + ("" if stride == size else f", Stride = {stride}") + ")]")
        elif kind == "spatial":
            lines.append(f"[SpatialDropout({layer[1]})]")
        elif kind == "dropout":
            lines.append(f"[Dropout({layer[1]})]")
        elif kind == "dense":
            _, units, activation = layer
            lines.append(f"[Dense({units}" + ("" if activation == "None" else f", Activation.{activation}") + ")]")
    lines.append(f"public partial class {name};")
    return "\n".join(lines)


def median_us(function, repetitions, warmup):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def cpu_capability():
    """The vector level of PyTorch's own kernels, as torch reports it."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return None


def openblas_core():
    """The kernel family the loaded OpenBLAS dispatched to (openblas_get_corename), if OpenBLAS is loaded."""
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
