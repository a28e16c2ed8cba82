"""Golden values for @facepar/core's gradient fixes, from PyTorch (run with /usr/bin/python3).

Writes src/gradients/fixtures/ops-golden.json: for each case the NHWC inputs, the upstream
gradient r (loss = sum(op(x) * r)), and PyTorch's output and input/weight gradients, all NHWC
(conv weights HWIO, depthwise weights [kh, kw, C, mult]). float64 throughout.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', 'src', 'gradients', 'fixtures', 'ops-golden.json')


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous()


def flat(t):
    return [float('%.9g' % v) for v in t.reshape(-1).tolist()]


def rnd(*shape):
    # values rounded to float32 so the tfjs side sees exactly the same inputs
    return torch.randn(*shape).float().double()


cases = []


def conv_case(name, x_shape, w_shape, stride, padding, dilation, groups=1):
    x = rnd(*x_shape).requires_grad_()
    w = rnd(*w_shape).requires_grad_()
    y = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    if groups == 1:
        w_t = w.detach().permute(2, 3, 1, 0)  # OIHW -> HWIO
        dw_t = w.grad.permute(2, 3, 1, 0)
    else:  # [C*m, 1, kh, kw] -> [kh, kw, C, m]
        c = groups
        m = w_shape[0] // c
        w_t = w.detach().reshape(c, m, w_shape[2], w_shape[3]).permute(2, 3, 0, 1)
        dw_t = w.grad.reshape(c, m, w_shape[2], w_shape[3]).permute(2, 3, 0, 1)
    cases.append({
        'name': name, 'op': 'conv2d' if groups == 1 else 'depthwise',
        'stride': list(stride), 'padding': list(padding), 'dilation': list(dilation),
        'xShape': list(nhwc(x).shape), 'x': flat(nhwc(x)),
        'wShape': list(w_t.shape), 'w': flat(w_t),
        'yShape': list(nhwc(y).shape), 'r': flat(nhwc(r)), 'y': flat(nhwc(y)),
        'dx': flat(nhwc(x.grad)), 'dw': flat(dw_t),
    })


def resize_case(name, x_shape, size, align_corners):
    x = rnd(*x_shape).requires_grad_()
    y = F.interpolate(x, size=size, mode='bilinear', align_corners=align_corners)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    cases.append({
        'name': name, 'op': 'resize', 'size': list(size), 'alignCorners': align_corners,
        'xShape': list(nhwc(x).shape), 'x': flat(nhwc(x)),
        'yShape': list(nhwc(y).shape), 'r': flat(nhwc(r)), 'y': flat(nhwc(y)), 'dx': flat(nhwc(x.grad)),
    })


def maxpool_case(name, x, kernel, stride, padding):
    x = x.clone().requires_grad_()
    y = F.max_pool2d(x, kernel, stride, padding)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    cases.append({
        'name': name, 'op': 'maxpool', 'kernel': list(kernel), 'stride': list(stride), 'padding': list(padding),
        'xShape': list(nhwc(x).shape), 'x': flat(nhwc(x)),
        'yShape': list(nhwc(y).shape), 'r': flat(nhwc(r)), 'y': flat(nhwc(y)), 'dx': flat(nhwc(x.grad)),
    })


conv_case('conv 3x3 dilation 2 padding 2', (2, 3, 7, 8), (4, 3, 3, 3), (1, 1), (2, 2), (2, 2))
conv_case('conv 3x3 stride 2 padding 1 (even size)', (2, 3, 8, 8), (4, 3, 3, 3), (2, 2), (1, 1), (1, 1))
conv_case('conv 3x3 dilation 6 padding 6 (ASPP-like)', (1, 4, 9, 10), (3, 4, 3, 3), (1, 1), (6, 6), (6, 6))
conv_case('depthwise 3x3 mult 2 dilation 3 padding 3', (1, 4, 9, 10), (8, 1, 3, 3), (1, 1), (3, 3), (3, 3), groups=4)
conv_case('depthwise 3x3 stride 2 padding 1', (2, 3, 8, 7), (3, 1, 3, 3), (2, 2), (1, 1), (1, 1), groups=3)
resize_case('resize 5x7 -> 11x16 align_corners=False', (1, 2, 5, 7), (11, 16), False)
resize_case('resize 4x4 -> 16x16 align_corners=False', (2, 3, 4, 4), (16, 16), False)
resize_case('resize 13x9 -> 5x4 align_corners=False', (1, 2, 13, 9), (5, 4), False)
resize_case('resize 5x7 -> 11x16 align_corners=True', (1, 2, 5, 7), (11, 16), True)
neg = rnd(1, 2, 8, 8) - 2.0
maxpool_case('maxpool 3/2/1 all negative', neg, (3, 3), (2, 2), (1, 1))
relu = torch.relu(rnd(2, 3, 9, 9))  # zeros tie inside windows
maxpool_case('maxpool 3/2/1 after relu (ties)', relu, (3, 3), (2, 2), (1, 1))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'packages/core/scripts/gen_ops_golden.py', 'torch': torch.__version__, 'cases': cases}, f)
print(OUT, os.path.getsize(OUT), 'bytes,', len(cases), 'cases')
