#!/usr/bin/python3
"""PyTorch's side of bench/compare.py: the same network workloads as minifig.bench.NetCase.

Cases (36 classes, random input from a fixed seed):
  resnet18_fwd       torchvision resnet18, eval mode, no_grad forward, 224x224
  resnet18_train     resnet18 train mode: zero_grad, forward, cross_entropy, backward, SGD(0.01, momentum 0.9, wd 1e-4) step
  resnet50keras_fwd  torchvision resnet50 rebuilt as the Keras ResNet50 ("v1": stride on each stage's first 1x1 conv,
                     conv biases, BN eps 1e-3), eval forward, 224x224
  custom_fwd / custom_train   the custom net (minifig.models.CustomNet) at 64x64, NLL loss on log-probabilities
  MODE/name_C_H_O_K_stride_pad   one conv layer (no bias; NetCase's layer cases): fwd and fwd-gemm a no_grad
                     forward (oneDNN picks its own algorithm either way), train a forward and the gradients of the
                     input and the weight (torch.autograd.grad)

Modes:
  serve (default)  reads lines "CASE BATCH THREADS REPS" on stdin, prints "ok SECONDS_PER_STEP" (fastest rep)
  --rss CASE BATCH THREADS STEPS   runs STEPS steps and prints "rss_kb VmHWM"
Always calls torch.set_num_threads(n) explicitly.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchargs  # noqa: E402

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

CLASSES = 36


class CustomNet(nn.Module):
    """conv1 3x3 (3->64), then ONE 3x3 64->64 conv used five times, two 2x2 max pools, GAP, fc1, fc2, log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, CLASSES)

    def forward(self, x):
        c = lambda t: F.relu(self.conv2(t))
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(c(x), 2)
        x = F.max_pool2d(c(c(x)), 2)
        x = c(c(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def resnet50_keras():
    m = torchvision.models.resnet50(num_classes=CLASSES)
    for layer in (m.layer2, m.layer3, m.layer4):
        b = layer[0]
        b.conv1.stride, b.conv2.stride = b.conv2.stride, (1, 1)
    for mod in list(m.modules()):
        if isinstance(mod, nn.Conv2d):
            mod.bias = nn.Parameter(torch.zeros(mod.out_channels))
        elif isinstance(mod, nn.BatchNorm2d):
            mod.eps = 1e-3
    return m


class ConvCase:
    """One conv layer, as NetCase's layer cases: input and output gradient drawn once from a fixed seed."""

    def __init__(self, name, batch):
        mode, layer = name.split("/")
        if mode not in ("fwd", "fwd-gemm", "train"):
            raise ValueError(f"unknown conv mode {mode!r} in {name!r}: expected fwd, fwd-gemm or train")
        _, C, H, O, K, s, p = (int(v) if i else v for i, v in enumerate(layer.split("_")))
        torch.manual_seed(42)
        self.conv = nn.Conv2d(C, O, K, stride=s, padding=p, bias=False)
        g = torch.Generator().manual_seed(7)
        self.train = mode == "train"
        self.x = torch.randn(batch, C, H, H, generator=g).requires_grad_(self.train)
        OH = (H + 2 * p - K) // s + 1
        self.dy = torch.randn(batch, O, OH, OH, generator=g)

    def step(self):
        if not self.train:
            with torch.no_grad():
                return self.conv(self.x)
        y = self.conv(self.x)
        return torch.autograd.grad(y, (self.x, self.conv.weight), self.dy)


class Case:
    def __init__(self, name, batch):
        torch.manual_seed(42)
        model = {"resnet18": lambda: torchvision.models.resnet18(num_classes=CLASSES),
                 "resnet50keras": resnet50_keras, "custom": CustomNet}[name.split("_")[0]]()
        self.train = name.endswith("_train")
        size = 64 if name.startswith("custom") else 224
        g = torch.Generator().manual_seed(7)
        self.x = torch.randn(batch, 3, size, size, generator=g)
        self.t = torch.randint(0, CLASSES, (batch,), generator=g)
        self.model = model.train(self.train)
        self.loss = F.nll_loss if name.startswith("custom") else F.cross_entropy
        self.opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4) if self.train else None

    def step(self):
        if not self.train:
            with torch.no_grad():
                return self.model(self.x)
        self.opt.zero_grad()
        loss = self.loss(self.model(self.x), self.t)
        loss.backward()
        self.opt.step()
        return loss


def make_case(name, batch):
    return ConvCase(name, batch) if "/" in name else Case(name, batch)


def vm_hwm_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def request(fields, names=("CASE", "BATCH", "THREADS", "REPS")):
    """(case, n, n, n) from CASE and three whole numbers >= 1; ValueError with a one-line message naming the bad field."""
    if len(fields) != 4:
        raise ValueError(f"expected: {' '.join(names)}, got '{' '.join(fields)}'")
    name = fields[0]
    if name not in benchargs.NETWORKS and not benchargs.LAYER_CASE.fullmatch(name):      # no "peak": ours measures it
        raise ValueError(f"unknown case '{name}': expected one of {', '.join(benchargs.NETWORKS)} or "
                         "MODE/name_C_H_O_K_stride_pad with MODE fwd, fwd-gemm or train")
    out = [name]
    for label, text in zip(names[1:], fields[1:]):
        try:
            out.append(benchargs.positive_int(text))
        except Exception:
            raise ValueError(f"{label}: expected a whole number >= 1, got '{text}'") from None
    return tuple(out)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--rss":
        try:
            name, batch, threads, steps = request(sys.argv[2:], ("CASE", "BATCH", "THREADS", "STEPS"))
        except ValueError as e:
            benchargs.fail(f"--rss: {e}")
        torch.set_num_threads(threads)
        c = make_case(name, batch)
        for _ in range(steps):
            c.step()
        print("rss_kb", vm_hwm_kb())
        return
    # One case at a time, like NetDriver (the Java side): a case built anew runs one untimed step first.
    current_key, c = None, None
    for line in sys.stdin:
        try:        # a bad request gets one "error" line and the driver serves on, as NetDriver does
            name, batch, threads, reps = request(line.split())
        except ValueError as e:
            print(f"error {e}", flush=True)
            continue
        torch.set_num_threads(threads)
        if (name, batch) != current_key:
            c, current_key = None, None     # the old model is freed before the new one is built (and stays unset if that fails)
            c, current_key = make_case(name, batch), (name, batch)
            c.step()
        best = float("inf")
        for _ in range(reps):
            t0 = time.perf_counter()
            c.step()
            best = min(best, time.perf_counter() - t0)
        print(f"ok {best:.6f} -", flush=True)


if __name__ == "__main__":
    main()
