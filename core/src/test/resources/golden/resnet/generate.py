#!/usr/bin/python3
"""Golden fixtures for the ResNet tests (minifig.models.ResNet*Test). Run from anywhere:

    /usr/bin/python3 core/src/test/resources/golden/resnet/generate.py

Needs torch 1.13 + torchvision 0.14 (Debian's). Writes, next to this script:
  names_resnet18.tsv, names_resnet34.tsv, names_resnet50.tsv
      torchvision's state_dict: one line per tensor, "name<TAB>shape<TAB>param|buffer", in state_dict order.
  resnet18_parity.json
      a torchvision resnet18 whose parameters and BN statistics come from the formula below (so no weights
      are shipped): eval logits for 2x3x64x64 and 1x3x224x224 inputs, then one training step (train-mode
      loss, every parameter gradient, BN running statistics afterwards, and the weight change made by one
      SGD momentum step), stored as per-tensor summaries (see summary()) because the full gradients of 11.7M
      parameters would be ~45 MB.
  bottleneck_parity.json, keras_bottleneck_parity.json
      a two-block stage (first block stride 2 with a downsample shortcut, second identity) of torchvision's
      Bottleneck, and of the Keras ResNet50 "v1" bottleneck (convs with bias, BN eps 1e-3, stride on the first
      1x1 conv and on the shortcut); small enough to store every tensor in full: eval output, train-mode output,
      input gradient, every parameter gradient, and parameters and BN statistics after two SGD momentum steps.

The deterministic tensor formula (mirrored by minifig.models.GoldenInit in the tests; integer hashing and
single float32 operations, so Java reproduces every bit):
  seed(name) = FNV-1a 32-bit of the UTF-8 name;  h(i) = fmix32(seed ^ (i * 0x9E3779B1 mod 2^32))
  u(i) = (h(i) >> 8) * 2^-24 - 0.5                                  uniform in [-0.5, 0.5), exact in float32
  weights (rank >= 2): u * 4 * s, s = float32(1 / sqrt(fan_in)), fan_in = prod(shape[1:])
  BN weight: 1 + 0.5 u, but 0.25 + 0.125 u for a block's bn2/bn3 (see below);  biases (rank 1 "bias"): 0.25 u;  running_mean: 0.25 u;  running_var: 0.75 + 0.5 u
  num_batches_tracked: 0;  inputs: 2 u
The smaller gamma on the later BatchNorms of each residual branch (a softer form of torchvision's
zero_init_residual) keeps the random network well conditioned: with gamma ~ 1 everywhere, PyTorch's own
float32 and float64 gradients of this resnet18 differ by up to 15% in layer2 (the train-mode loss surface
is chaotic there), which no float32 implementation could be tested against; with it they agree to 7e-6.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torchvision

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ the deterministic formula

def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def hash_u32(seed, idx):
    """fmix32(seed ^ idx * golden) over a uint32 array of indices."""
    with np.errstate(over="ignore"):
        h = np.uint32(seed) ^ (idx.astype(np.uint32) * np.uint32(0x9E3779B1))
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


def uniform(name, n):
    h = hash_u32(fnv1a(name), np.arange(n, dtype=np.uint32))
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -24) - np.float32(0.5)


def formula(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform(name, n)
    if name.startswith("input") or name.startswith("dout"):
        return u * np.float32(2)
    if name.endswith("num_batches_tracked"):
        return np.zeros(n, np.float32)
    if name.endswith("running_var"):
        v = np.float32(0.75) + u * np.float32(0.5)
    elif name.endswith("running_mean"):
        v = u * np.float32(0.25)
    elif len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        s = np.float32(1.0 / math.sqrt(fan_in))
        v = (u * np.float32(4)) * s
    elif name.endswith(".bn2.weight") or name.endswith(".bn3.weight"):
        v = np.float32(0.25) + u * np.float32(0.125)
    elif name.endswith("weight"):
        v = np.float32(1) + u * np.float32(0.5)
    elif name.endswith("bias"):
        v = u * np.float32(0.25)
    else:
        raise ValueError(name)
    return v.astype(np.float32)


def init(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            v = formula(name, list(t.shape))
            t.copy_(torch.from_numpy(v).reshape(t.shape).to(t.dtype))


def input_tensor(name, shape):
    return torch.from_numpy(formula(name, shape)).reshape(shape)


# ------------------------------------------------------------------ fixture helpers

def f32(values):
    """float32 values as the shortest decimal that round-trips (9 significant digits)."""
    return [float("%.9g" % v) for v in np.asarray(values, np.float32).ravel()]


def summary(name, t):
    """sum, sum|x|, sum x^2, max|x| (float64 over the float32 values) and the values at 8 indices spread by
    a hash of the name plus the index of max|x|: sums catch errors spread over a whole tensor, samples catch
    misplaced elements, and max|x| sets the scale for tolerances."""
    a = t.detach().double().numpy().ravel()
    n = a.size
    idx = [int(i) for i in hash_u32(fnv1a(name + "#sample"), np.arange(8, dtype=np.uint32)) % np.uint32(n)]
    idx.append(int(np.argmax(np.abs(a))))
    return {"sum": float(a.sum()), "sumAbs": float(np.abs(a).sum()), "sumSq": float((a * a).sum()),
            "maxAbs": float(np.abs(a).max()), "idx": idx, "val": [float("%.9g" % a[i]) for i in idx]}


def sgd(model, lr=0.1, momentum=0.9, weight_decay=1e-4):
    """torch.optim.SGD with weight decay only on conv/linear weights, as minifig's Param.decay flags."""
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    rest = [p for n, p in model.named_parameters() if p.dim() <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": weight_decay},
                            {"params": rest, "weight_decay": 0.0}], lr=lr, momentum=momentum)


def write_json(fname, obj):
    with open(os.path.join(HERE, fname), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


# ------------------------------------------------------------------ name lists

def names():
    params_of = {}
    for arch in ["resnet18", "resnet34", "resnet50"]:
        m = getattr(torchvision.models, arch)()
        pnames = {n for n, _ in m.named_parameters()}
        with open(os.path.join(HERE, "names_%s.tsv" % arch), "w") as f:
            for n, t in m.state_dict().items():
                f.write("%s\t%s\t%s\n" % (n, ",".join(str(d) for d in t.shape), "param" if n in pnames else "buffer"))


# ------------------------------------------------------------------ resnet18

def resnet18():
    m = torchvision.models.resnet18()
    init(m)
    m.eval()
    x = input_tensor("input", [2, 3, 64, 64])
    x224 = input_tensor("input224", [1, 3, 224, 224])
    with torch.no_grad():
        logits = m(x)
        logits224 = m(x224)
    targets = [3, 777]
    m.train()
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    out = m(x)
    loss = nn.functional.cross_entropy(out, torch.tensor(targets))
    loss.backward()
    grads = {n: summary(n, p.grad) for n, p in m.named_parameters()}
    opt = sgd(m)
    opt.step()
    delta = {n: summary(n, p.detach() - before[n]) for n, p in m.named_parameters()}
    stats = {n: summary(n, b) for n, b in m.state_dict().items() if "running" in n}
    write_json("resnet18_parity.json", {
        "input": [2, 3, 64, 64], "input224": [1, 3, 224, 224], "targets": targets,
        "sgd": {"lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4},
        "evalLogits": f32(logits), "evalLogits224": f32(logits224),
        "trainLogits": f32(out.detach()), "loss": float(loss),
        "grads": grads, "sgdDelta": delta, "runningStats": stats})


# ------------------------------------------------------------------ bottleneck stages

class KerasBottleneck(nn.Module):
    """Keras Applications ResNet50's conv_block / identity_block in PyTorch, torchvision's names."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        out = planes * 4
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=stride, bias=True)
        self.bn1 = nn.BatchNorm2d(planes, eps=1e-3)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=True)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-3)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=True)
        self.bn3 = nn.BatchNorm2d(out, eps=1e-3)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=True),
                                            nn.BatchNorm2d(out, eps=1e-3))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(y + s)


def torchvision_stage(inplanes, planes, stride):
    from torchvision.models.resnet import Bottleneck, conv1x1
    out = planes * 4
    ds = nn.Sequential(conv1x1(inplanes, out, stride), nn.BatchNorm2d(out))
    return nn.Sequential(Bottleneck(inplanes, planes, stride, ds), Bottleneck(out, planes))


def keras_stage(inplanes, planes, stride):
    return nn.Sequential(KerasBottleneck(inplanes, planes, stride), KerasBottleneck(planes * 4, planes, 1))


def block_fixture(fname, stage, in_shape):
    init(stage)
    x = input_tensor("input", in_shape).requires_grad_(True)
    stage.eval()
    with torch.no_grad():
        eval_out = stage(x)
    stage.train()
    opt = sgd(stage)
    outs, dx, grads = None, None, None
    for step in range(2):
        opt.zero_grad()
        if x.grad is not None:
            x.grad = None
        y = stage(x)
        dout = input_tensor("dout", list(y.shape))
        (y * dout).sum().backward()       # dL/dy = dout
        if step == 0:
            outs, dx = y.detach().clone(), x.grad.detach().clone()
            grads = {n: f32(p.grad) for n, p in stage.named_parameters()}
            stats1 = {n: f32(b) for n, b in stage.state_dict().items() if "running" in n}
        opt.step()
    write_json(fname, {
        "input": in_shape, "sgd": {"lr": 0.1, "momentum": 0.9, "weightDecay": 1e-4},
        "evalOut": f32(eval_out), "trainOut": f32(outs), "outShape": list(outs.shape), "dInput": f32(dx),
        "grads": grads, "runningStatsAfterStep1": stats1,
        "stateAfterStep2": {n: f32(t) for n, t in stage.state_dict().items() if "num_batches" not in n},
        "numBatchesTracked": int(stage.state_dict()["0.bn1.num_batches_tracked"])})


if __name__ == "__main__":
    names()
    block_fixture("bottleneck_parity.json", torchvision_stage(16, 8, 2), [2, 16, 9, 9])
    block_fixture("keras_bottleneck_parity.json", keras_stage(16, 8, 2), [2, 16, 9, 9])
    resnet18()
    for f in sorted(os.listdir(HERE)):
        print("%8d  %s" % (os.path.getsize(os.path.join(HERE, f)), f))
