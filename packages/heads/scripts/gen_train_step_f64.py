"""Float64 reference of one full-width deeplabv3plus_r50-d8 training step (the report's model).

Run from the repo root with Debian's python3-torch 1.13:
    /usr/bin/python3 packages/heads/scripts/gen_train_step_f64.py [--width 8] [--dump DIR]

--width K builds the same structure at 1/K of every channel count (the cpu backend's check: the
full width takes it more than 13 CPU-minutes per step).

The step: 19 classes, decode head + auxiliary FCN head, BatchNorm in training mode (batch
statistics), dropout off, batch 2 of 64x64, loss = CE(decode) + 0.4 CE(aux), each the mmseg
CrossEntropyLoss with the report's class weights (mean of w_y * CE over all pixels, ignored
pixels counted as 0), logits resized to the labels (bilinear, align_corners=False).

Nothing big is stored: the weights, the input and the labels come from a counter-based hash that
the JS test reproduces bit for bit (below), and each parameter's float64 gradient is kept as
  - its L2 norm, and
  - the gradient itself when it has <= SKETCH elements, else a CountSketch of SKETCH buckets
    (bucket and sign of element j from the same hash): for any error e, the sketch of e has the
    norm of e in expectation (relative spread about sqrt(2 / SKETCH) = 9 %), so
    |sketch(g) - sketch(g64)| / |g64| estimates the relative L2 error of a gradient g.
PyTorch's own float32 step on the same weights is measured against the float64 one here, exactly
(not sketched), and stored beside it.

Writes src/fixtures/train-step-f64-64.safetensors (or -w<K>): `sketch.<key>` (F32), `norm` (F64, one per key
in the order of metadata `keys`), metadata `loss`, `torch_f32_rel_err` (JSON), `sketch_size`.
--dump DIR also writes DIR/train-step-f64-64-full.safetensors with every float64 gradient and
the float32 PyTorch gradients (F32; ~350 MB, for investigations, never committed).

The hash (uint32 arithmetic):
  fnv1a(s)      = 32-bit FNV-1a of the UTF-8 bytes of s
  mix(x)        = x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16
  bits(s, j)    = mix(j * 0x9e3779b9 + fnv1a(s))
  uniform(s, j) = 2 * (bits(s, j) >> 8) / 2**24 - 1            in [-1, 1), exact in float32
Values (float32, PyTorch layout, element j in C order):
  conv weight    uniform * float32(sqrt(3) * std): std = sqrt(2 / fan_out) (mmseg's kaiming
                 init), conv_seg 0.01 (mmseg's normal init); conv bias 0
  BN weight      float32(0.1 + 0.05 * uniform) for a Bottleneck's bn3, else
                 float32(0.9 + 0.3 * uniform); BN bias float32(0.5 * uniform); running stats 0, 1
  input          [2, 3, 64, 64], smooth like a photo: float32(1.5 * up(L) + 0.2 * F) in float64,
                 F = uniform('input') [2, 3, 64, 64], L = uniform('input-low') [2, 3, 8, 8], up = the
                 bilinear 8x upsample (half-pixel centres, edge-clamped): for output index i,
                 s = max((i + 0.5) / 8 - 0.5, 0), i0 = floor(s), i1 = min(i0 + 1, 7), t = s - i0,
                 up(L)[i, j] = (1 - ty) * ((1 - tx) * L[i0, j0] + tx * L[i0, j1])
                               + ty * ((1 - tx) * L[i1, j0] + tx * L[i1, j1])
  labels         bits('labels', j) % 19, or 255 where bits('labels-ignore', j) >> 24 < 5
  sketch bucket  bits('bucket:' + key, j) & (SKETCH - 1), sign + where bits('sign:' + key, j) >> 31
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_golden import DTYPES, write_safetensors  # noqa: E402
from ref_model import EncoderDecoder  # noqa: E402

DTYPES[torch.float64] = 'F64'

FIXTURES = os.path.join(HERE, '..', 'src', 'fixtures')
SKETCH = 256
SIZE = 64
BATCH = 2
NUM_CLASSES = 19
AUX_WEIGHT = 0.4
# The report's Table 2 (@facepar/losses REPORT_CLASS_WEIGHTS).
CLASS_WEIGHTS = [1.805, 1.976, 5.6004, 8.5621, 8.8014, 8.8059, 7.8778, 7.9143, 7.7323, 8.0199,
                 8.3939, 7.9185, 7.2026, 1.6725, 6.695, 8.7228, 12.7002, 4.6004, 4.8802]
M32 = np.uint64(0xFFFFFFFF)


def fnv1a(s):
    h = 0x811C9DC5
    for b in s.encode('utf-8'):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def mix(x):
    x = x.astype(np.uint64)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & M32
    x ^= x >> np.uint64(16)
    return x


def bits(key, n):
    j = np.arange(n, dtype=np.uint64)
    return mix((j * np.uint64(0x9E3779B9) + np.uint64(fnv1a(key))) & M32)


def uniform(key, n):
    return (2.0 * (bits(key, n) >> np.uint64(8)).astype(np.float64) / 2.0**24 - 1.0).astype(np.float32)


def seeded_state(model):
    out = {}
    modules = dict(model.named_modules())
    for key, p in model.state_dict().items():
        owner = modules[key.rsplit('.', 1)[0]]
        n = p.numel()
        if key.endswith('num_batches_tracked'):
            v = np.zeros(n, np.int64)
        elif key.endswith('running_mean'):
            v = np.zeros(n, np.float32)
        elif key.endswith('running_var'):
            v = np.ones(n, np.float32)
        elif isinstance(owner, torch.nn.BatchNorm2d):
            u = uniform(key, n).astype(np.float64)
            if key.endswith('bias'):
                v = 0.5 * u
            elif '.bn3.' in key:  # the residual branch's last BN: small, like a trained ResNet
                v = 0.1 + 0.05 * u
            else:
                v = 0.9 + 0.3 * u
            v = v.astype(np.float32)
        elif key.endswith('bias'):
            v = np.zeros(n, np.float32)
        else:
            fan_out = p.shape[0] * p.shape[2] * p.shape[3]
            std = 0.01 if key.endswith('conv_seg.weight') else math.sqrt(2 / fan_out)
            v = uniform(key, n) * np.float32(math.sqrt(3) * std)
        out[key] = torch.from_numpy(v.reshape(tuple(p.shape)))
    return out


def upsample_taps(n_out, n_in):
    s = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    i0 = np.floor(s).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, s - i0


def seeded_batch():
    low = uniform('input-low', BATCH * 3 * 8 * 8).astype(np.float64).reshape(BATCH, 3, 8, 8)
    i0, i1, t = upsample_taps(SIZE, 8)
    ty, tx = t[:, None], t[None, :]
    a, b = low[:, :, i0][:, :, :, i0], low[:, :, i0][:, :, :, i1]
    c, d = low[:, :, i1][:, :, :, i0], low[:, :, i1][:, :, :, i1]
    smooth = (1 - ty) * ((1 - tx) * a + tx * b) + ty * ((1 - tx) * c + tx * d)
    fine = uniform('input', BATCH * 3 * SIZE * SIZE).astype(np.float64).reshape(smooth.shape)
    x = (1.5 * smooth + 0.2 * fine).astype(np.float32)
    n = BATCH * SIZE * SIZE
    labels = (bits('labels', n) % np.uint64(NUM_CLASSES)).astype(np.int64)
    labels[(bits('labels-ignore', n) >> np.uint64(24)) < 5] = 255
    return (torch.from_numpy(x.reshape(BATCH, 3, SIZE, SIZE)),
            torch.from_numpy(labels.reshape(BATCH, SIZE, SIZE)))


def sketch(key, g):
    flat = g.reshape(-1).astype(np.float64)
    if flat.size <= SKETCH:
        return flat
    bucket = (bits('bucket:' + key, flat.size) & np.uint64(SKETCH - 1)).astype(np.int64)
    sign = np.where((bits('sign:' + key, flat.size) >> np.uint64(31)) == 0, 1.0, -1.0)
    return np.bincount(bucket, weights=sign * flat, minlength=SKETCH)


def mmseg_ce(logits, labels, weight):
    up = F.interpolate(logits, size=labels.shape[1:], mode='bilinear', align_corners=False)
    per_pixel = F.cross_entropy(up, labels, weight=weight, reduction='none', ignore_index=255)
    return per_pixel.mean()


def step(dtype, state, x, labels, width):
    torch.manual_seed(0)
    model = EncoderDecoder(width=width, num_classes=NUM_CLASSES)
    model.load_state_dict(state)
    model.decode_head.dropout.p = 0.0
    model.auxiliary_head.dropout.p = 0.0
    model = model.to(dtype).train()
    weight = torch.tensor(CLASS_WEIGHTS, dtype=dtype)
    _, dec, _, aux = model(x.to(dtype))
    loss = mmseg_ce(dec, labels, weight) + AUX_WEIGHT * mmseg_ce(aux, labels, weight)
    loss.backward()
    grads = {k: p.grad.detach().numpy() for k, p in model.named_parameters()}
    return float(loss), grads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dump', default=None)
    ap.add_argument('--width', type=int, default=1)
    args = ap.parse_args()
    width = 1.0 / args.width
    suffix = '' if args.width == 1 else f'-w{args.width}'
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    state = seeded_state(EncoderDecoder(width=width, num_classes=NUM_CLASSES))
    x, labels = seeded_batch()
    loss64, g64 = step(torch.float64, state, x, labels, width)
    loss32, g32 = step(torch.float32, state, x, labels, width)
    keys = list(g64)
    rel32 = {k: float(np.linalg.norm(g32[k].astype(np.float64) - g64[k]) / np.linalg.norm(g64[k]))
             for k in keys}
    out = {f'sketch.{k}': torch.from_numpy(sketch(k, g64[k]).astype(np.float32)) for k in keys}
    out['norm'] = torch.tensor([float(np.linalg.norm(g64[k])) for k in keys], dtype=torch.float64)
    meta = {'keys': json.dumps(keys), 'loss': repr(loss64), 'torch_f32_loss': repr(loss32),
            'torch_f32_rel_err': json.dumps(rel32), 'sketch_size': str(SKETCH),
            'torch': torch.__version__, 'width': str(width)}
    write_safetensors(os.path.join(FIXTURES, f'train-step-f64-64{suffix}.safetensors'), out, meta)
    worst = sorted(rel32.items(), key=lambda kv: -kv[1])[:8]
    print(f'loss float64 {loss64!r} float32 {loss32!r}; {len(keys)} parameters')
    print('PyTorch float32 vs float64, worst relative L2:', [(k, f'{v:.2e}') for k, v in worst])
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        full = {}
        for k in keys:
            full[f'f64.{k}'] = torch.from_numpy(g64[k].astype(np.float32))
            full[f'f32.{k}'] = torch.from_numpy(g32[k])
        write_safetensors(os.path.join(args.dump, f'train-step-f64-64{suffix}-full.safetensors'), full)


if __name__ == '__main__':
    main()
