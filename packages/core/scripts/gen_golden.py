"""Golden values for @facepar/core layer and optimiser tests.

Run with Debian's torch: /usr/bin/python3 packages/core/scripts/gen_golden.py
Writes packages/core/src/layers/fixtures/layers-golden.json and
packages/core/src/optim/fixtures/sgd-golden.json. Tensors are stored NHWC / HWIO (the tfjs
layout) as flat lists plus shapes, so the tests need no layout logic of their own.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


def r4(t):
    return [round(float(v), 7) for v in t.reshape(-1).tolist()]


def nhwc(t):
    return {"shape": list(t.permute(0, 2, 3, 1).shape), "data": r4(t.permute(0, 2, 3, 1).contiguous())}


def flat(t):
    return {"shape": list(t.shape), "data": r4(t.contiguous())}


def conv_case(name, n, cin, h, w, cout, k, stride, padding, dilation, bias):
    x = torch.randn(n, cin, h, w)
    wt = torch.randn(cout, cin, k[0], k[1])
    b = torch.randn(cout) if bias else None
    y = F.conv2d(x, wt, b, stride=stride, padding=padding, dilation=dilation)
    return {
        "name": name, "stride": stride, "padding": padding, "dilation": dilation,
        "x": nhwc(x),
        "kernel": flat(wt.permute(2, 3, 1, 0)),  # OIHW -> HWIO
        "weightOIHW": flat(wt),
        "bias": flat(b) if bias else None,
        "y": nhwc(y),
    }


def dw_case(name, n, c, m, h, w, k, stride, padding, dilation):
    x = torch.randn(n, c, h, w)
    wt = torch.randn(c * m, 1, k[0], k[1])
    y = F.conv2d(x, wt, None, stride=stride, padding=padding, dilation=dilation, groups=c)
    # [C*m,1,kh,kw] -> [kh,kw,C,m]
    hwcm = wt.reshape(c, m, k[0], k[1]).permute(2, 3, 0, 1)
    return {
        "name": name, "stride": stride, "padding": padding, "dilation": dilation, "depthMultiplier": m,
        "x": nhwc(x), "kernel": flat(hwcm), "weightTorch": flat(wt), "y": nhwc(y),
    }


def pool_case(name, n, c, h, w, k, stride, padding):
    x = torch.randn(n, c, h, w)
    y = F.max_pool2d(x, k, stride, padding)
    return {"name": name, "kernelSize": k, "stride": stride, "padding": padding, "x": nhwc(x), "y": nhwc(y)}


def bn_case():
    c = 3
    bn = torch.nn.BatchNorm2d(c)  # eps 1e-5, momentum 0.1
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        bn.running_mean.copy_(torch.tensor([0.2, -0.1, 0.0]))
        bn.running_var.copy_(torch.tensor([1.0, 2.0, 0.5]))
    init = {k: flat(v.clone()) for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    x1 = torch.randn(2, c, 3, 2) * 2 + 1
    x2 = torch.randn(2, c, 3, 2) - 0.5
    bn.train()
    x1r = x1.clone().requires_grad_(True)
    y1 = bn(x1r)
    # gradient of sum(y * r) w.r.t. x, gamma, beta
    rr = torch.randn_like(y1)
    (y1 * rr).sum().backward()
    y2 = bn(x2)
    after = {k: flat(v.clone()) for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    bn.eval()
    x3 = torch.randn(1, c, 2, 2)
    y3 = bn(x3)
    return {
        "init": init,
        "x1": nhwc(x1), "y1": nhwc(y1.detach()), "r": nhwc(rr), "dx1": nhwc(x1r.grad),
        "dgamma": flat(bn.weight.grad), "dbeta": flat(bn.bias.grad),
        "x2": nhwc(x2), "y2": nhwc(y2.detach()),
        "after": after,
        "x3": nhwc(x3), "y3": nhwc(y3.detach()),
    }


def sgd_case(momentum, weight_decay, nesterov, steps=4):
    torch.manual_seed(1)
    w = torch.randn(2, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    init = {"w": flat(w.detach().clone()), "b": flat(b.detach().clone())}
    opt = torch.optim.SGD([w, b], lr=0.1, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    grads = []
    traj = []
    for i in range(steps):
        gw = torch.randn(2, 3)
        gb = torch.randn(3)
        w.grad = gw.clone()
        b.grad = gb.clone()
        if i == 2:
            for g in opt.param_groups:
                g["lr"] = 0.05
        opt.step()
        grads.append({"w": flat(gw), "b": flat(gb)})
        traj.append({"w": flat(w.detach().clone()), "b": flat(b.detach().clone())})
    return {
        "momentum": momentum, "weightDecay": weight_decay, "nesterov": nesterov,
        "lrs": [0.1, 0.1, 0.05, 0.05], "init": init, "grads": grads, "after": traj,
    }


def grad_cases():
    """d/d(inputs, weights) of sum(layer(x) * r) for the layers whose tfjs gradients needed fixes."""
    out = []

    def case(name, kind, x, fn, wt=None, extra=None):
        x = x.clone().requires_grad_(True)
        if wt is not None:
            wt = wt.clone().requires_grad_(True)
        y = fn(x, wt)
        r = torch.randn_like(y)
        (y * r).sum().backward()
        c = {"name": name, "kind": kind, "x": nhwc(x.detach()), "r": nhwc(r), "y": nhwc(y.detach()),
             "dx": nhwc(x.grad)}
        if wt is not None:
            c["weightTorch"] = flat(wt.detach())
            c["dweightTorch"] = flat(wt.grad)
        c.update(extra or {})
        out.append(c)

    case("conv k3 d2 p2", "conv", torch.randn(1, 2, 7, 6),
         lambda x, w: F.conv2d(x, w, None, 1, 2, 2), torch.randn(3, 2, 3, 3),
         {"stride": 1, "padding": 2, "dilation": 2})
    case("conv k3 s2 p1 even", "conv", torch.randn(2, 2, 6, 6),
         lambda x, w: F.conv2d(x, w, None, 2, 1, 1), torch.randn(2, 2, 3, 3),
         {"stride": 2, "padding": 1, "dilation": 1})
    case("depthwise k3 d2 p2 m2", "depthwise", torch.randn(1, 2, 7, 7),
         lambda x, w: F.conv2d(x, w, None, 1, 2, 2, groups=2), torch.randn(4, 1, 3, 3),
         {"stride": 1, "padding": 2, "dilation": 2, "depthMultiplier": 2})
    case("maxpool k3 s2 p1 even", "maxpool", torch.randn(1, 2, 6, 6),
         lambda x, w: F.max_pool2d(x, 3, 2, 1), None, {"kernelSize": 3, "stride": 2, "padding": 1})
    case("resize 3x4 -> 7x5 align_corners=False", "resize", torch.randn(1, 2, 3, 4),
         lambda x, w: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=False), None,
         {"size": [7, 5], "alignCorners": False})
    case("resize 5x6 -> 3x4 align_corners=True", "resize", torch.randn(1, 1, 5, 6),
         lambda x, w: F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=True), None,
         {"size": [3, 4], "alignCorners": True})
    return out


def main():
    layers = {
        "conv": [
            conv_case("k3 s1 p1", 1, 2, 5, 4, 3, (3, 3), 1, 1, 1, True),
            conv_case("k3 s2 p1 odd", 2, 2, 5, 5, 2, (3, 3), 2, 1, 1, True),
            conv_case("k3 s2 p1 even", 1, 3, 6, 6, 2, (3, 3), 2, 1, 1, False),
            conv_case("k3 d2 p2", 1, 2, 7, 6, 2, (3, 3), 1, 2, 2, True),
            conv_case("k2x3 p(1,0)", 1, 2, 4, 5, 2, (2, 3), 1, (1, 0), 1, True),
        ],
        "depthwise": [
            dw_case("k3 s1 p1", 1, 3, 1, 5, 4, (3, 3), 1, 1, 1),
            dw_case("k3 s2 p1 m2", 2, 2, 2, 5, 6, (3, 3), 2, 1, 1),
            dw_case("k3 d2 p2", 1, 3, 1, 7, 7, (3, 3), 1, 2, 2),
            dw_case("k3 d3 p3 m2", 1, 2, 2, 8, 7, (3, 3), 1, 3, 3),
        ],
        "maxpool": [
            pool_case("k3 s2 p1 odd", 1, 2, 7, 7, 3, 2, 1),
            pool_case("k3 s2 p1 even", 2, 2, 6, 8, 3, 2, 1),
            pool_case("k2 s2 p0", 1, 1, 4, 5, 2, 2, 0),
        ],
        "batchnorm": bn_case(),
    }
    # A pool case where every window near the border would pick a padded zero if padding
    # were zeros rather than -inf.
    neg = -torch.rand(1, 2, 5, 5) - 1.0
    layers["maxpool"].append(
        {"name": "negative k3 s2 p1", "kernelSize": 3, "stride": 2, "padding": 1,
         "x": nhwc(neg), "y": nhwc(F.max_pool2d(neg, 3, 2, 1))})
    layers["grads"] = grad_cases()
    sgd = {
        "cases": [
            sgd_case(0.0, 0.0, False),
            sgd_case(0.9, 5e-4, False),
            sgd_case(0.9, 0.01, True),
            sgd_case(0.5, 0.1, False),
        ]
    }
    for rel, obj in (("../src/layers/fixtures/layers-golden.json", layers),
                     ("../src/optim/fixtures/sgd-golden.json", sgd)):
        path = os.path.join(HERE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(obj, f, separators=(",", ":"))
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
