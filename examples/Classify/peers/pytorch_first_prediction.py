#!/usr/bin/env python3
"""PyTorch's cold start for comparison with examples/Classify: import torch, build the same network, load the same
.safetensors parameters (read with the standard library: Debian has no safetensors package), classify one IDX image.
Usage: /usr/bin/python3 pytorch_first_prediction.py MODEL.safetensors IMAGES-IDX.gz
"""
import json
import struct
import sys

import torch  # the cost being measured starts here

model_path, image_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
with open(model_path, "rb") as f:
    blob = f.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
body = blob[8 + n:]


def tensor(name):
    begin, end = header[name]["data_offsets"]
    return torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32).view(*header[name]["shape"])


net = torch.nn.Sequential(torch.nn.Linear(784, 200), torch.nn.ReLU(), torch.nn.Linear(200, 100), torch.nn.ReLU(),
                          torch.nn.Linear(100, 10))
with torch.no_grad():
    for i, layer in enumerate([net[0], net[2], net[4]], start=1):
        layer.weight.copy_(tensor(f"dense{i}.weight").t())  # ours is [in, out]; PyTorch's is [out, in]
        layer.bias.copy_(tensor(f"dense{i}.bias"))
    # Dropout at inference with the AtInference rule: hidden outputs scaled by p = 0.5.
    with open(image_path, "rb") as f:
        pixels = f.read()[-784:]  # the raster is the last 784 bytes of a 28×28, 8-bit P5 file
    image = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).float().div(255).view(1, 784)
    h = torch.relu(net[0](image)) * 0.5
    h = torch.relu(net[2](h)) * 0.5
    p = torch.softmax(net[4](h), dim=1)
    print(int(p.argmax()), float(p.max()))
