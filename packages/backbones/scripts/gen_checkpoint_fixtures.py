"""PyTorch checkpoints in the two ResNet-50 key layouts users bring, for backbones' checkpoint tests.

Run with Debian's python3-torch 1.13:
    /usr/bin/python3 packages/backbones/scripts/gen_checkpoint_fixtures.py

The models are heads/scripts/ref_model.py's mmseg ResNet at 1/32 of every channel count (the
key names do not depend on the width), with deterministic random weights and BN statistics
(gen_golden.init_weights), output stride 32 as in ImageNet classifiers. Writes
packages/backbones/src/fixtures/:
- resnet50-v1c-w32.pth: mmcv's `open-mmlab://resnet50_v1c` layout (deep stem `stem.0..8`,
  `layerK.B.*`, an ImageNet-style `fc` classifier with 10 classes), a plain OrderedDict saved
  in the legacy (non-zip) format like the 2020 checkpoints of the mmcv model zoo;
- resnet50-tv-w32.pth: torchvision's ResNet-50 layout (`conv1`, `bn1`, `layerK.B.downsample.0/1`,
  `fc`), zip format, as torchvision's `resnet50-*.pth` files;
- resnet50-w32-golden.safetensors: a 1x3x48x48 input and both models' four eval-mode features
  (`v1c.feat.i`, `v1b.feat.i`).
"""

import collections
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'heads', 'scripts'))
from gen_golden import init_weights, write_safetensors  # noqa: E402
from ref_model import ResNet  # noqa: E402

OUT = os.path.join(HERE, '..', 'src', 'fixtures')


def classifier(deep_stem, seed):
    torch.manual_seed(seed)
    m = ResNet(50, stem_channels=2, base_channels=2, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1),
               deep_stem=deep_stem, avg_down=False, contract_dilation=False)
    m.fc = torch.nn.Linear(64, 10)  # registered last, as in torchvision and mmcls
    init_weights(m)
    m.eval()
    return m


def main():
    torch.set_grad_enabled(False)
    v1c = classifier(True, 11)
    v1b = classifier(False, 12)
    sd_c = collections.OrderedDict(v1c.state_dict())
    sd_b = collections.OrderedDict(v1b.state_dict())
    assert list(sd_c)[:2] == ['stem.0.weight', 'stem.1.weight'] and list(sd_c)[-2:] == ['fc.weight', 'fc.bias']
    assert 'layer1.0.downsample.0.weight' in sd_b and 'conv1.weight' in sd_b and 'bn1.running_var' in sd_b
    torch.save(sd_c, os.path.join(OUT, 'resnet50-v1c-w32.pth'), _use_new_zipfile_serialization=False)
    torch.save(sd_b, os.path.join(OUT, 'resnet50-tv-w32.pth'))
    x = torch.randn(1, 3, 48, 48, generator=torch.Generator().manual_seed(5))
    golden = {'input': x}
    for name, m in (('v1c', v1c), ('v1b', v1b)):
        for i, f in enumerate(m(x)):
            golden[f'{name}.feat.{i}'] = f
            print(f'{name}: feat.{i} {tuple(f.shape)} mean|x|={f.abs().mean():.4f}')
    write_safetensors(os.path.join(OUT, 'resnet50-w32-golden.safetensors'), golden)
    for name in ['resnet50-v1c-w32.pth', 'resnet50-tv-w32.pth', 'resnet50-w32-golden.safetensors']:
        print(f'{os.path.getsize(os.path.join(OUT, name)):8d}  {name}')


if __name__ == '__main__':
    main()
