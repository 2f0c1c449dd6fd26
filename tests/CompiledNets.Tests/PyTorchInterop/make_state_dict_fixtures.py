#!/usr/bin/env python3
"""Writes the PyTorch state-dict fixtures that PyTorchStateDictTests load with PyTorch.LoadStateDict:

  mlp.pt, mlp.safetensors    an nn.Sequential MLP (Linear, ReLU, Dropout, ...), keys "0.*", "3.*", "6.*"
  cnn.pt, cnn.safetensors    a LeNet-like CNN with named modules conv1, conv2, fc1, fc2, fc3 (valid padding,
                             max pooling, Dropout2d and Dropout), keys "conv1.*", ..., "fc3.*"
  mlp_protocol4.pt           the MLP saved with pickle_protocol=4 (FRAME, MEMOIZE, SHORT_BINUNICODE, ...)
  mlp_float64.pt             the MLP's state dict in float64 (loaded converted to float32: the same values)
  reduce_payload.pt          a torch.save-shaped zip whose data.pkl is a __reduce__ payload (os.system): the loader
                             must refuse it by its global without running anything
  state_dict_fixtures.json   for each network: a few inputs and PyTorch's softmax probabilities at eval()

Both networks are trained briefly (Adam, random data and labels, fixed seeds) so the weights are not PyTorch's
initial ones. The .pt files are torch.save's zip format; the .safetensors files are written by hand below (Debian has
no safetensors package): 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
padded with spaces to a multiple of 8, then the raw little-endian float32 data in state-dict order.

The networks are declared for the generator in PyTorchStateDictNetworks.cs; keep the two in step. PyTorch's
nn.Dropout / nn.Dropout2d scale kept units by 1/p while training (DropoutScaling.Inverted), identity at eval().

Regenerate from the repository root (Debian: apt-get install python3-torch):
    /usr/bin/python3 tests/CompiledNets.Tests/PyTorchInterop/make_state_dict_fixtures.py

With --check FILE.safetensors REFERENCE.pt the script instead reads FILE (written by PyTorch.SaveStateDict) with the
reader below and torch.frombuffer, loads it into the network that REFERENCE.pt belongs to with load_state_dict
(strict), and prints "ok" if every tensor equals the reference bit for bit.
"""
import json
import os
import pickle
import struct
import sys
import zipfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp():
    return nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.3),   # "0", "1", "2"
        nn.Linear(16, 10), nn.ReLU(), nn.Dropout(0.2),   # "3", "4", "5"
        nn.Linear(10, 4))                                # "6"


class Cnn(nn.Module):
    """1x12x12 -> conv1 3x3 (3x10x10) -> pool 2 (3x5x5) -> conv2 2x2 (4x4x4) -> pool 2 (4x2x2) -> Dropout2d
    -> fc1 16->12 -> Dropout -> fc2 12->8 -> fc3 8->3."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3)
        self.conv2 = nn.Conv2d(3, 4, 2)
        self.spatial = nn.Dropout2d(0.25)
        self.fc1 = nn.Linear(16, 12)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(12, 8)
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(self.spatial(x), 1)
        x = self.dropout(torch.relu(self.fc1(x)))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


def train(model, input_shape, classes, seed):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    inputs = torch.rand((64,) + input_shape)
    labels = torch.randint(0, classes, (64,))
    model.train()
    for _ in range(60):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
    model.eval()


def write_safetensors(state_dict, path):
    header, offset, blobs = {}, 0, []
    for name, tensor in state_dict.items():
        data = tensor.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """An independent reader of the format, as the specification says (no safetensors package)."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32).reshape(entry["shape"])
    return tensors


class Payload:
    """What a malicious "state dict" looks like: unpickling calls os.system."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def write_reduce_payload(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in [("data.pkl", pickle.dumps({"0.weight": Payload()}, protocol=2)), ("version", b"3\n")]:
            z.writestr(zipfile.ZipInfo("reduce_payload/" + name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def check(saved, reference):
    state = torch.load(reference)
    model = mlp() if "0.weight" in state else Cnn()
    model.load_state_dict(state)
    tensors = read_safetensors(saved)
    model.load_state_dict(tensors, strict=True)  # names and shapes are PyTorch's
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor.view(torch.int32), state[name].view(torch.int32)), name
    print("ok")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
        return
    torch.set_num_threads(1)
    fixtures = {}
    for name, make, shape, classes, seed in [("mlp", mlp, (12,), 4, 1), ("cnn", Cnn, (1, 12, 12), 3, 2)]:
        torch.manual_seed(seed)
        model = make()
        train(model, shape, classes, seed)
        state = model.state_dict()
        torch.save(state, os.path.join(HERE, name + ".pt"))
        write_safetensors(state, os.path.join(HERE, name + ".safetensors"))
        if name == "mlp":
            torch.save(state, os.path.join(HERE, "mlp_protocol4.pt"), pickle_protocol=4)
            torch.save({k: v.double() for k, v in state.items()}, os.path.join(HERE, "mlp_float64.pt"))
        torch.manual_seed(seed + 100)
        inputs = torch.rand((5,) + shape)
        with torch.no_grad():
            probabilities = torch.softmax(model(inputs), dim=1)
        fixtures[name] = {
            "modules": list(dict.fromkeys(key.rsplit(".", 1)[0] for key in state)),
            "inputs": [float(v) for v in inputs.flatten()],
            "probabilities": [float(v) for v in probabilities.flatten()],
        }
        # The hand-written file reads back as the state dict.
        for key, tensor in read_safetensors(os.path.join(HERE, name + ".safetensors")).items():
            assert torch.equal(tensor, state[key]), key
    write_reduce_payload(os.path.join(HERE, "reduce_payload.pt"))
    with open(os.path.join(HERE, "state_dict_fixtures.json"), "w") as f:
        json.dump({"torch": torch.__version__, "fixtures": fixtures}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
