"""Golden outputs for the tfjs parity tests.

Run from the repo root with Debian's python3-torch 1.13:
    /usr/bin/python3 packages/heads/scripts/gen_golden.py

1. Checks that the full-width deeplabv3plus_r50-d8 (19 classes) has the report's parameter counts.
2. Builds the same structure at 1/16 of every channel count (dilations, strides, kernel sizes
   unchanged) with 8 classes, gives it deterministic random weights and non-trivial BN running
   statistics, and writes (all NCHW float32, PyTorch layout, little endian):
   - src/fixtures/deeplab-w16.safetensors: the mmseg EncoderDecoder state dict (with
     num_batches_tracked as I64, which importers must ignore),
   - src/fixtures/golden-{128,65}.safetensors: input, backbone features feat.0..3, decode-head
     logits at stride 4 (decode_logits), those resized to the input (seg_logits), aux logits.
3. Writes src/fixtures/train-step-65.safetensors: training-mode loss and BN running statistics,
   eval-mode loss and selected gradients of the same model (dropout off), batch 2 at 65x65.
4. Writes ../../backbones/src/fixtures/resnet18-v1d-w16.safetensors: a ResNet-18 v1d at width
   1/16 (avg-pool shortcuts) with golden features on a 37x37 input.
Safetensors is written by hand (8-byte LE header length, JSON header, raw data) so no extra
Python package is needed.
"""

import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_model import EncoderDecoder, ResNet, count  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'src', 'fixtures')
DTYPES = {torch.float32: 'F32', torch.int64: 'I64'}


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def check_full_width_counts():
    m = EncoderDecoder(width=1.0, num_classes=19)
    got = {
        'backbone': count(m.backbone),
        'decode_head': count(m.decode_head),
        'auxiliary_head': count(m.auxiliary_head),
        'total': count(m),
    }
    want = {'backbone': 23_527_264, 'decode_head': 17_697_923, 'auxiliary_head': 2_364_691,
            'total': 43_589_878}
    print('full-width parameter counts:', got)
    assert got == want, (got, want)
    assert got['total'] - got['auxiliary_head'] == 41_225_187


def init_weights(model):
    g = torch.Generator().manual_seed(20261130)
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Conv2d):
            fan_in = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
            std = math.sqrt(2.0 / fan_in) * 0.8
            if name.endswith('conv_seg'):
                std = 3.0 / math.sqrt(fan_in)  # logits O(1): a 1e-3 tolerance must bite
            with torch.no_grad():
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * std)
                if mod.bias is not None:
                    mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.1)
        elif isinstance(mod, torch.nn.BatchNorm2d):
            c = mod.num_features
            with torch.no_grad():
                mod.weight.copy_(0.6 + 0.6 * torch.rand(c, generator=g))
                mod.bias.copy_(0.1 * torch.randn(c, generator=g))
                mod.running_mean.copy_(0.2 * torch.randn(c, generator=g))
                mod.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=g))
                mod.num_batches_tracked.fill_(7)


def main():
    torch.set_grad_enabled(False)
    check_full_width_counts()
    torch.manual_seed(0)
    model = EncoderDecoder(width=1 / 16, num_classes=8)
    init_weights(model)
    model.eval()
    os.makedirs(FIXTURES, exist_ok=True)
    sd = model.state_dict()
    print('reduced model parameters:', count(model), 'state-dict keys:', len(sd))
    write_safetensors(os.path.join(FIXTURES, 'deeplab-w16.safetensors'), sd,
                      {'model': 'deeplabv3plus_r50-d8 at width 1/16, 8 classes'})
    g = torch.Generator().manual_seed(7)
    for size in (128, 65):
        x = torch.randn(1, 3, size, size, generator=g)
        feats, dec, seg, aux = model(x)
        out = {'input': x, 'decode_logits': dec, 'seg_logits': seg, 'aux_logits': aux}
        for i, f in enumerate(feats):
            out[f'feat.{i}'] = f
        for k, v in sorted(out.items()):
            print(f'{size}: {k} {tuple(v.shape)} mean|x|={v.abs().mean():.4f} max|x|={v.abs().max():.4f}')
        write_safetensors(os.path.join(FIXTURES, f'golden-{size}.safetensors'), out)


def backbone_golden():
    """ResNet-18 v1d (deep stem + avg-pool shortcut) at width 1/16, output stride 32, on a 37x37
    input: odd sizes exercise the shortcut's AvgPool2d(ceil_mode=True, count_include_pad=False).
    One file: the backbone state dict under mmseg backbone names plus golden.input/feat.i."""
    torch.manual_seed(1)
    m = ResNet(18, stem_channels=4, base_channels=4, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
               deep_stem=True, avg_down=True, contract_dilation=False)
    init_weights(m)
    m.eval()
    out = dict(m.state_dict())
    x = torch.randn(1, 3, 37, 37, generator=torch.Generator().manual_seed(3))
    out['golden.input'] = x
    for i, f in enumerate(m(x)):
        out[f'golden.feat.{i}'] = f
        print(f'resnet18-v1d: feat.{i} {tuple(f.shape)} mean|x|={f.abs().mean():.4f}')
    bb = os.path.join(HERE, '..', '..', 'backbones', 'src', 'fixtures')
    os.makedirs(bb, exist_ok=True)
    write_safetensors(os.path.join(bb, 'resnet18-v1d-w16.safetensors'), out)


GRAD_KEYS = [
    'backbone.stem.0.weight',
    'backbone.layer1.0.bn1.weight',
    'backbone.layer4.2.conv2.weight',
    'backbone.layer4.2.conv3.weight',
    'backbone.layer4.2.bn3.weight',
    'decode_head.image_pool.1.conv.weight',
    'decode_head.aspp_modules.0.conv.weight',
    'decode_head.aspp_modules.1.depthwise_conv.conv.weight',
    'decode_head.aspp_modules.1.pointwise_conv.conv.weight',
    'decode_head.aspp_modules.3.depthwise_conv.conv.weight',
    'decode_head.bottleneck.conv.weight',
    'decode_head.bottleneck.bn.weight',
    'decode_head.c1_bottleneck.conv.weight',
    'decode_head.sep_bottleneck.0.depthwise_conv.conv.weight',
    'decode_head.sep_bottleneck.0.pointwise_conv.conv.weight',
    'decode_head.sep_bottleneck.1.depthwise_conv.conv.weight',
    'decode_head.sep_bottleneck.1.depthwise_conv.bn.weight',
    'decode_head.sep_bottleneck.1.pointwise_conv.conv.weight',
    'decode_head.sep_bottleneck.1.pointwise_conv.bn.weight',
    'decode_head.conv_seg.weight',
    'decode_head.conv_seg.bias',
    'auxiliary_head.convs.0.conv.weight',
]
STAT_KEYS = [
    'backbone.stem.1.running_mean',
    'backbone.layer3.1.bn2.running_var',
    'decode_head.image_pool.1.bn.running_mean',
    'decode_head.image_pool.1.bn.running_var',
]


def grad_golden():
    """Training-path fixture for the 1/16-width model, batch two 65x65 inputs, dropout off,
    loss = CE(seg) + 0.4 CE(aux resized to the input):
    - train mode (batch statistics): the loss and the BN running statistics after the forward
      (momentum 0.1, unbiased variance);
    - eval mode (running statistics): the loss and the gradients of GRAD_KEYS. Gradients through
      training-mode BN are ill-conditioned in this random model (BN makes each conv output
      invariant to its weight scale, so the gradient is a difference of large terms), so they
      are compared with BN in eval mode; BN's own training gradient is tested in @facepar/core.
    """
    torch.set_grad_enabled(True)
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 65, 65, generator=g)
    y = torch.randint(0, 8, (2, 65, 65), generator=g)
    out = {'input': x, 'labels': y.to(torch.int64)}

    def build():
        torch.manual_seed(0)
        model = EncoderDecoder(width=1 / 16, num_classes=8)
        init_weights(model)
        model.decode_head.dropout.p = 0.0
        model.auxiliary_head.dropout.p = 0.0
        return model

    def loss_of(model):
        _, _, seg, aux = model(x)
        aux_up = torch.nn.functional.interpolate(aux, size=(65, 65), mode='bilinear',
                                                 align_corners=False)
        return (torch.nn.functional.cross_entropy(seg, y)
                + 0.4 * torch.nn.functional.cross_entropy(aux_up, y))

    model = build()
    model.train()
    out['train_loss'] = loss_of(model).detach().reshape(1)
    buffers = dict(model.named_buffers())
    for k in STAT_KEYS:
        out[f'stat.{k}'] = buffers[k].clone()
    model = build()
    model.eval()
    loss = loss_of(model)
    loss.backward()
    out['eval_loss'] = loss.detach().reshape(1)
    params = dict(model.named_parameters())
    for k in GRAD_KEYS:
        out[f'grad.{k}'] = params[k].grad
    print('train loss', float(out['train_loss']), 'eval loss', float(loss))
    write_safetensors(os.path.join(FIXTURES, 'train-step-65.safetensors'), out)


if __name__ == '__main__':
    main()
    backbone_golden()
    grad_golden()
