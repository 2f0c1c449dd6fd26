#!/usr/bin/env python3
"""Writes pytorch_cnn_fixtures.json: PyTorch's outputs, loss and every gradient for a few small convolutional
networks with fixed parameters, inputs, labels and dropout masks, plus the inference-mode outputs.
PyTorchCnnCrossCheckTests loads our generated networks (PyTorchCnnNetworks.cs) with the same parameters and masks
and compares.

Regenerate (Debian: apt-get install python3-torch) from the repository root with:
    /usr/bin/python3 tests/CompiledNets.Tests/CrossCheck/make_pytorch_cnn_fixtures.py

As in make_pytorch_fixtures.py, everything random is drawn in float32 and then computed in float64, so the fixture
holds the exact answer for the float32 values our networks are given. The script also runs each network in float32,
as given and with the batch reversed (another summation order), and stops if PyTorch's own float32 error relative to
a tensor's largest element (the measure the test uses, tolerance 1e-5) exceeds 1e-6: the seed was picked so that
no tensor is a sum cancelling so deeply that a correct float32 implementation could miss the tolerance (with seed
20261126 a first-convolution bias gradient, a sum of 363 terms, reached 3.5e-6).

Layouts (CompiledNets'):
  parameters, flat, in layer order: Conv2D weights [filters, inChannels, k, k] (PyTorch's own layout) then bias
  [filters]; Dense weights [in, out] row-major (PyTorch Linear.weight transposed) then bias [out]. A Dense after an
  image layer reads it flattened in [C, H, W] order (NCHW, as torch.flatten).
  masks, one per dropout-family layer in declaration order, each holding the kept value (1 for AtInference
  scaling, 1/p for Inverted, p = 1 - rate) or 0: [Dropout] -> [batch, C*H*W] (per element), [SpatialDropout] ->
  [batch, C] (a whole channel).
  inference: AtInference dropout multiplies by p, Inverted is the identity.

Padding "Same" is TensorFlow's: output ceil(in / stride), total zero padding max((out - 1) * stride + k - in, 0),
top/left total // 2, the odd one at the bottom/right; done here with F.pad and a valid convolution. "Valid": no
padding, output floor((in - k) / stride) + 1. MaxPool2D pads nothing.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

# Each network matches a [Network] class in PyTorchCnnNetworks.cs; keep the two in step. Layers:
#   ("conv", filters, k, activation, stride, padding)    padding "Valid" or "Same"
#   ("pool", size, stride)
#   ("spatial", rate, scaling) / ("dropout", rate, scaling)   scaling "AtInference" or "Inverted"
#   ("dense", units, activation)
NETWORKS = [
    {
        # The shape of the brief: Same padding at stride 1, pooling that drops a row and a column, inverted spatial
        # dropout, a strided valid convolution, per-element dropout after an image layer, Dense on [C, H, W].
        "name": "CnnCrossCheckClassifier",
        "input": (2, 11, 11),
        "loss": "SoftmaxCrossEntropy",
        "batch": 3,
        "layers": [("conv", 3, 3, "ReLU", 1, "Same"),          # 3x11x11
                   ("pool", 2, 2),                             # 3x5x5
                   ("spatial", 0.25, "Inverted"),
                   ("conv", 4, 3, "Tanh", 2, "Valid"),         # 4x2x2
                   ("dropout", 0.5, "AtInference"),            # per element, 16 values
                   ("dense", 5, "Sigmoid"),
                   ("dense", 3, "None")],
    },
    {
        # Stride 2 + Same on a non-square input: height 12 pads 1 in total (0 top, 1 bottom: the odd one), width 11
        # pads 2 (1 and 1). Overlapping pooling windows (3, stride 2). An even kernel with Same at stride 1 (total 1:
        # 0 top/left, 1 bottom/right). AtInference spatial dropout, inverted per-element dropout.
        "name": "CnnCrossCheckStridedSame",
        "input": (3, 12, 11),
        "loss": "SoftmaxCrossEntropy",
        "batch": 4,
        "layers": [("conv", 4, 3, "ReLU", 2, "Same"),          # 4x6x6
                   ("pool", 3, 2),                             # 4x2x2
                   ("spatial", 0.5, "AtInference"),
                   ("conv", 5, 2, "Sigmoid", 1, "Same"),       # 5x2x2
                   ("dropout", 0.3, "Inverted"),               # per element, 20 values
                   ("dense", 6, "ReLU"),
                   ("dense", 4, "None")],
    },
    {
        # Mean squared error. A kernel larger than its input under Same (5 on 4x4: 2 and 2), pooling at stride 1, a
        # strided Same convolution with an even kernel (4 on 3x3, stride 2: total 3, 1 top/left, 2 bottom/right),
        # Dense straight after a convolution.
        "name": "CnnCrossCheckRegression",
        "input": (1, 9, 9),
        "loss": "MeanSquaredError",
        "batch": 3,
        "layers": [("conv", 2, 3, "Tanh", 2, "Valid"),         # 2x4x4
                   ("spatial", 0.5, "Inverted"),
                   ("conv", 3, 5, "None", 1, "Same"),          # 3x4x4
                   ("pool", 2, 1),                             # 3x3x3
                   ("conv", 2, 4, "Sigmoid", 2, "Same"),       # 2x2x2
                   ("dense", 2, "None")],
    },
]

SEED = 20261127
FLOAT32_MARGIN = 1e-6  # a tenth of the C# test's tolerance

ACTIVATIONS = {"None": lambda x: x, "ReLU": torch.relu, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid}


def as_list(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def same_padding(size, k, stride):
    """TensorFlow's Same: (before, after) zero padding along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def check_same_padding():
    """TensorFlow's rule on the cases the networks use, and PyTorch's padding=k//2 where the two must agree."""
    assert same_padding(12, 3, 2) == (0, 1) and same_padding(11, 3, 2) == (1, 1)   # 12 -> 6, 11 -> 6
    assert same_padding(2, 2, 1) == (0, 1) and same_padding(4, 5, 1) == (2, 2)     # even kernel; kernel > input
    assert same_padding(3, 4, 2) == (1, 2) and same_padding(11, 3, 1) == (1, 1)
    g = torch.Generator().manual_seed(1)
    x, w = torch.randn(2, 3, 9, 8, generator=g).double(), torch.randn(4, 3, 5, 5, generator=g).double()
    top, bottom = same_padding(9, 5, 1)
    left, right = same_padding(8, 5, 1)
    ours = F.conv2d(F.pad(x, (left, right, top, bottom)), w)
    assert torch.allclose(ours, F.conv2d(x, w, padding=2), rtol=0, atol=1e-12)


def conv_output(size, k, stride, padding):
    return -(-size // stride) if padding == "Same" else (size - k) // stride + 1


def keep_value(rate, scaling):
    p = 1.0 - rate
    return 1.0 / p if scaling == "Inverted" else 1.0


def draw_mask(shape, rate, scaling, generator):
    """A mask holding the kept value or 0, redrawn until it has both (so the test sees dropping and keeping)."""
    kept = keep_value(rate, scaling)
    while True:
        keep = torch.rand(shape, generator=generator) < 1.0 - rate
        if keep.any() and not keep.all():
            return keep.double() * kept


def build(spec, generator):
    """Draws inputs, parameters (float32 values, held in float64) and masks; returns them and the shapes."""
    batch = spec["batch"]
    c, h, w = spec["input"]
    x = torch.rand(batch, c, h, w, generator=generator, dtype=torch.float32).double()
    params, masks, shapes = [], [], []
    width = None  # set once a Dense has flattened the image
    for layer in spec["layers"]:
        kind = layer[0]
        if kind == "conv":
            _, filters, k, _, stride, padding = layer
            scale = 1.0 / math.sqrt(c * k * k)
            weight = torch.randn(filters, c, k, k, generator=generator, dtype=torch.float32) * scale
            bias = torch.randn(filters, generator=generator, dtype=torch.float32) * 0.1
            params += [weight.double().requires_grad_(), bias.double().requires_grad_()]
            c, h, w = filters, conv_output(h, k, stride, padding), conv_output(w, k, stride, padding)
        elif kind == "pool":
            _, size, stride = layer
            h, w = (h - size) // stride + 1, (w - size) // stride + 1
        elif kind == "spatial":
            masks.append(draw_mask((batch, c), layer[1], layer[2], generator))
        elif kind == "dropout":
            masks.append(draw_mask((batch, c * h * w if width is None else width), layer[1], layer[2], generator))
        elif kind == "dense":
            fan_in = c * h * w if width is None else width
            weight = torch.randn(fan_in, layer[1], generator=generator, dtype=torch.float32) / math.sqrt(fan_in)
            bias = torch.randn(layer[1], generator=generator, dtype=torch.float32) * 0.1
            params += [weight.double().requires_grad_(), bias.double().requires_grad_()]
            width = layer[1]
        shapes.append((c, h, w) if width is None else (width,))
    return x, params, masks, shapes


def forward(spec, x, params, masks, training):
    """The network in PyTorch: training uses the given masks; inference applies each dropout's inference scaling."""
    h, p_index, m_index = x, 0, 0
    for layer in spec["layers"]:
        kind = layer[0]
        if kind == "conv":
            _, _, k, activation, stride, padding = layer
            weight, bias = params[p_index], params[p_index + 1]
            p_index += 2
            if padding == "Same":
                top, bottom = same_padding(h.shape[2], k, stride)
                left, right = same_padding(h.shape[3], k, stride)
                h = F.pad(h, (left, right, top, bottom))  # F.pad: last axis first
            h = ACTIVATIONS[activation](F.conv2d(h, weight, bias, stride=stride))
        elif kind == "pool":
            h = F.max_pool2d(h, kernel_size=layer[1], stride=layer[2])
        elif kind in ("spatial", "dropout"):
            rate, scaling = layer[1], layer[2]
            if training:
                mask = masks[m_index].to(h.dtype)
                if kind == "spatial":
                    h = h * mask[:, :, None, None]
                else:
                    h = (h.reshape(h.shape[0], -1) * mask).reshape(h.shape)
            elif scaling == "AtInference":
                h = h * (1.0 - rate)
            m_index += 1
        elif kind == "dense":
            weight, bias = params[p_index], params[p_index + 1]
            p_index += 2
            h = ACTIVATIONS[layer[2]](h.reshape(h.shape[0], -1) @ weight + bias)
    return h


def loss_of(spec, outputs, targets):
    if spec["loss"] == "SoftmaxCrossEntropy":
        return F.cross_entropy(outputs, targets)
    return F.mse_loss(outputs, targets)  # mean over batch x outputs


def relative_error(reference, other):
    """Largest |other - reference| over the tensor's largest |element|: the measure the C# test bounds."""
    reference, other = reference.detach().double().reshape(-1), other.detach().double().reshape(-1)
    return float((other - reference).abs().max() / reference.abs().max())


def float32_check(spec, x, params, masks, targets, outputs, loss, gradients, inference):
    """Runs the network again in float32 and returns its largest relative error against the float64 answer."""
    params32 = [p.detach().float().requires_grad_() for p in params]
    masks32 = [m.float() for m in masks]
    t32 = targets if targets.dtype == torch.long else targets.float()
    out32 = forward(spec, x.float(), params32, masks32, training=True)
    loss32 = loss_of(spec, out32, t32)
    loss32.backward()
    errors = [relative_error(outputs, out32), abs(float(loss32) - float(loss)) / abs(float(loss))]
    errors += [relative_error(g, p.grad) for g, p in zip(gradients, params32)]
    with torch.no_grad():
        errors.append(relative_error(inference, forward(spec, x.float(), params32, masks32, training=False)))
    return max(errors)


def main():
    check_same_padding()
    generator = torch.Generator().manual_seed(SEED)
    fixtures = []
    for spec in NETWORKS:
        x, params, masks, shapes = build(spec, generator)
        outputs = forward(spec, x, params, masks, training=True)
        batch = spec["batch"]
        if spec["loss"] == "SoftmaxCrossEntropy":
            # Distinct labels where the batch allows, so every class's softmax gradient row is exercised.
            classes = outputs.shape[1]
            targets = (torch.randperm(classes, generator=generator)[:batch] if batch <= classes
                       else torch.randint(0, classes, (batch,), generator=generator))
            target_list = targets.tolist()
        else:
            targets = torch.randn(outputs.shape, generator=generator, dtype=torch.float32).double()
            target_list = as_list(targets)
        loss = loss_of(spec, outputs, targets)
        loss.backward()
        gradients = [p.grad.clone() for p in params]
        with torch.no_grad():
            inference = forward(spec, x, params, masks, training=False)
        error32 = float32_check(spec, x, params, masks, targets, outputs, loss, gradients, inference)
        r = torch.arange(batch - 1, -1, -1)
        error32 = max(error32, float32_check(spec, x[r], params, [m[r] for m in masks], targets[r], outputs[r], loss,
                                             gradients, inference[r]))
        parameter_count = sum(p.numel() for p in params)
        print(f"{spec['name']}: shapes {shapes}, {parameter_count} parameters, "
              f"float32 PyTorch vs float64: largest relative error {error32:.2e}")
        if error32 > FLOAT32_MARGIN:
            sys.exit(f"{spec['name']}: float32 error {error32:.2e} > {FLOAT32_MARGIN}: pick another SEED")
        fixtures.append({
            "name": spec["name"],
            "batch": batch,
            "input_shape": list(spec["input"]),
            "layer_shapes": [list(s) for s in shapes],
            "parameters": [v for p in params for v in as_list(p)],
            "inputs": as_list(x),
            "targets": target_list,
            "masks": [as_list(m) for m in masks],
            "loss": float(loss),
            "outputs": as_list(outputs),
            "gradients": [v for g in gradients for v in as_list(g)],
            "inference_outputs": as_list(inference),
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_cnn_fixtures.json")
    with open(path, "w") as f:
        json.dump({"generator": f"PyTorch {torch.__version__}, float64 on float32 values",
                   "fixtures": fixtures}, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
