#!/usr/bin/python3
"""Golden fixtures from PyTorch for minifig's layers, losses, SGD and the custom net.

Run from anywhere with Debian's PyTorch:  /usr/bin/python3 core/src/test/resources/golden/gen_golden.py
It rewrites the *.json files next to itself. Deterministic: one thread, fixed seeds, float32.

Format: each file is one JSON object; a tensor is {"shape": [...], "f32": "<base64 of little-endian float32>"}
(exact float32 values, ~5.3 characters per number); integers and scalars are plain JSON.
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
HERE = os.path.dirname(os.path.abspath(__file__))


def t(x):
    x = x.detach().to(torch.float32).contiguous()
    return {"shape": list(x.shape), "f32": base64.b64encode(x.numpy().astype("<f4").tobytes()).decode("ascii")}


def write(name, obj):
    path = os.path.join(HERE, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)
    print(f"{name}: {os.path.getsize(path)} bytes")


def layer_case(module, x, params):
    """Forward x, backward a random dy; returns input, output, dy, dx and each named param and its grad."""
    x = x.clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    case = {"x": t(x), "y": t(y), "dy": t(dy), "dx": t(x.grad)}
    for name in params:
        p = getattr(module, name)
        case[name] = t(p)
        case["d" + name] = t(p.grad)
    return case


def conv_cases():
    torch.manual_seed(1)
    cases = []
    #        N  C  H   W  O  K  stride pad bias
    for (n, c, h, w, o, k, s, p, b) in [(2, 3, 7, 7, 4, 3, 1, 1, True), (2, 3, 9, 8, 5, 3, 2, 1, True),
                                        (1, 4, 6, 6, 3, 1, 1, 0, False), (1, 3, 11, 11, 4, 7, 2, 3, False),
                                        (2, 2, 5, 5, 3, 1, 2, 0, True), (1, 2, 6, 7, 2, 5, 3, 2, True)]:
        conv = nn.Conv2d(c, o, k, stride=s, padding=p, bias=b)
        case = layer_case(conv, torch.randn(n, c, h, w), ["weight", "bias"] if b else ["weight"])
        case.update({"in": c, "out": o, "kernel": k, "stride": s, "padding": p, "has_bias": b})
        cases.append(case)
    write("conv.json", {"cases": cases})


def batchnorm_cases():
    torch.manual_seed(2)
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
    init = {"weight": t(bn.weight), "bias": t(bn.bias), "running_mean": t(bn.running_mean),
            "running_var": t(bn.running_var)}
    bn.train()
    x1 = torch.randn(4, 3, 5, 5) * 2 + 0.7
    case = layer_case(bn, x1, ["weight", "bias"])
    x2 = torch.randn(2, 3, 3, 4) - 0.3
    bn(x2)
    bn.eval()
    x3 = torch.randn(2, 3, 4, 4)
    y3 = bn(x3)
    write("batchnorm.json", {"init": init, "train": case, "x2": t(x2),
                             "running_mean": t(bn.running_mean), "running_var": t(bn.running_var),
                             "num_batches_tracked": int(bn.num_batches_tracked), "x_eval": t(x3), "y_eval": t(y3)})


def pool_cases():
    torch.manual_seed(3)
    out = {}
    for name, mod in [("max_k3_s2_p1", nn.MaxPool2d(3, 2, 1)), ("max_k2", nn.MaxPool2d(2, 2)),
                      ("avg_k3_s2_p1", nn.AvgPool2d(3, 2, 1)), ("avg_k2", nn.AvgPool2d(2)),
                      ("avg_k3_s1_p1", nn.AvgPool2d(3, 1, 1)), ("global", nn.AdaptiveAvgPool2d(1))]:
        out[name] = layer_case(mod, torch.randn(2, 3, 7, 6), [])
    write("pool.json", out)


def linear_cases():
    torch.manual_seed(4)
    out = {}
    for name, mod in [("bias", nn.Linear(7, 5)), ("nobias", nn.Linear(6, 4, bias=False))]:
        out[name] = layer_case(mod, torch.randn(3, mod.in_features), ["weight", "bias"] if mod.bias is not None else ["weight"])
    write("linear.json", out)


def loss_cases():
    torch.manual_seed(5)
    logits = (torch.randn(6, 5) * 3).requires_grad_(True)
    targets = torch.tensor([0, 4, 2, 2, 1, 3])
    logp = F.log_softmax(logits, dim=1)
    logp.retain_grad()
    nll = F.nll_loss(logp, targets)
    nll.backward()
    out = {"logits": t(logits), "targets": targets.tolist(), "log_softmax": t(logp), "nll": nll.item(),
           "dlog_softmax": t(logp.grad), "dlogits_nll": t(logits.grad)}
    logits2 = logits.detach().clone().requires_grad_(True)
    ce = F.cross_entropy(logits2, targets)
    ce.backward()
    out.update({"cross_entropy": ce.item(), "dlogits_ce": t(logits2.grad)})
    write("loss.json", out)


def sgd_cases():
    """Two params (one with weight decay, one without), lr multiplier groups, four steps of given grads."""
    torch.manual_seed(6)
    w0, b0 = torch.randn(3, 4), torch.randn(4)
    grads = [(torch.randn(3, 4), torch.randn(4)) for _ in range(4)]
    cases = []
    for nesterov in (False, True):
        w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        opt = torch.optim.SGD([{"params": [w], "weight_decay": 0.01, "lr": 0.1},
                               {"params": [b], "weight_decay": 0.0, "lr": 0.1 * 2.5}],
                              lr=0.1, momentum=0.9, dampening=0, nesterov=nesterov)
        steps = []
        for gw, gb in grads:
            w.grad, b.grad = gw.clone(), gb.clone()
            opt.step()
            steps.append({"w": t(w), "b": t(b)})
        cases.append({"nesterov": nesterov, "steps": steps})
    write("sgd.json", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "b_lr_scale": 2.5,
                       "w0": t(w0), "b0": t(b0), "grads": [{"w": t(gw), "b": t(gb)} for gw, gb in grads],
                       "cases": cases})


class CustomNet(nn.Module):
    """The appendix listing with in_channels/num_classes parameters; pool = AvgPool2d(H/4) = global."""

    def __init__(self, in_channels, num_classes, pool):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1)
        self.max_pool = nn.MaxPool2d(2, 2)
        self.global_pool = nn.AvgPool2d(pool)
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.max_pool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv2(x))
        x = self.max_pool(x)
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv2(x))
        x = self.global_pool(x)
        x = x.view(-1, 64)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def custom_net_case():
    torch.manual_seed(7)
    net = CustomNet(3, 5, 4)                       # 16x16 input -> 4x4 map -> AvgPool2d(4) is global
    x = torch.randn(2, 3, 16, 16)
    targets = torch.tensor([1, 3])
    init = {k: t(v) for k, v in net.state_dict().items()}
    xg = x.clone().requires_grad_(True)
    out = net(xg)
    loss = F.nll_loss(out, targets)
    loss.backward()
    grads = {k: t(p.grad) for k, p in net.named_parameters()}
    # Five SGD steps on the same batch; PyTorch's no-decay-on-bias rule via two param groups.
    decay = [p for n, p in net.named_parameters() if n.endswith("weight")]
    no_decay = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=0.05, momentum=0.9)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        l = F.nll_loss(net(x), targets)
        l.backward()
        opt.step()
        losses.append(l.item())
    final_loss = F.nll_loss(net(x), targets).item()
    sd = net.state_dict()
    write("custom_net.json", {"in_channels": 3, "num_classes": 5, "x": t(x), "targets": targets.tolist(),
                              "init": init, "out": t(out), "loss": loss.item(), "dx": t(xg.grad), "grads": grads,
                              "sgd": {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4, "losses": losses,
                                      "final_loss": final_loss,
                                      "final": {k: t(sd[k]) for k in ["conv1.weight", "conv2.bias", "fc2.weight",
                                                                      "fc2.bias"]}}})


if __name__ == "__main__":
    conv_cases()
    batchnorm_cases()
    pool_cases()
    linear_cases()
    loss_cases()
    sgd_cases()
    custom_net_case()
