"""A tiny mmcv-style PyTorch model's state dict as .safetensors (written by hand with struct +
json, no pip packages) and its eval-mode output, for @facepar/core state-dict tests.

Run: /usr/bin/python3 packages/core/scripts/gen_state_dict_fixture.py
"""
import json
import os
import struct

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../src/state-dict/fixtures")
torch.manual_seed(0)


class ConvModule(nn.Module):
    # mmcv ConvModule naming: conv (bias only without norm), bn, activate
    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, norm=True, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding, dilation, groups, bias=not norm)
        self.bn = nn.BatchNorm2d(cout) if norm else None
        self.activate = nn.ReLU() if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.activate is not None:
            x = self.activate(x)
        return x


class DepthwiseSeparableConvModule(nn.Module):
    def __init__(self, cin, cout, k, padding, dilation):
        super().__init__()
        self.depthwise_conv = ConvModule(cin, cin, k, 1, padding, dilation, groups=cin)
        self.pointwise_conv = ConvModule(cin, cout, 1)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(ConvModule(3, 4, 3, 2, 1))


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Stem()
        self.decode_head = nn.Module()
        self.decode_head.sep = DepthwiseSeparableConvModule(4, 6, 3, 2, 2)
        self.decode_head.conv_seg = ConvModule(6, 3, 1, norm=False, act=False)

    def forward(self, x):
        x = self.backbone.stem(x)
        x = self.decode_head.sep(x)
        return self.decode_head.conv_seg(x)


def main():
    model = Tiny()
    # non-trivial BN statistics: a few training passes
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(2, 3, 9, 8) * 2 + 0.5)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    model.eval()
    x = torch.randn(1, 3, 9, 8)
    with torch.no_grad():
        y = model(x)
    sd = model.state_dict()
    codes = {torch.float32: ("F32", "f"), torch.int64: ("I64", "q")}
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for k, v in sd.items():
        dt, fmt = codes[v.dtype]
        flat = v.contiguous().reshape(-1).tolist()
        raw = struct.pack("<%d%s" % (len(flat), fmt), *flat)
        header[k] = {"dtype": dt, "shape": list(v.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tiny-mmcv.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + data)
    expected = {
        "keys": list(sd.keys()),
        "x": {"shape": list(x.permute(0, 2, 3, 1).shape), "data": x.permute(0, 2, 3, 1).reshape(-1).tolist()},
        "y": {"shape": list(y.permute(0, 2, 3, 1).shape), "data": y.permute(0, 2, 3, 1).reshape(-1).tolist()},
    }
    with open(os.path.join(OUT, "tiny-mmcv-expected.json"), "w") as f:
        json.dump(expected, f)
    print(len(sd), "keys;", os.listdir(OUT))


if __name__ == "__main__":
    main()
