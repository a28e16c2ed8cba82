"""An mmseg-style `.pth` checkpoint of the reference model and the same weights as safetensors.

Run with Debian's python3-torch 1.13:
    /usr/bin/python3 packages/heads/scripts/gen_pth_checkpoint.py

deeplabv3plus_r50-d8 (ref_model.EncoderDecoder) at 1/32 of every channel count, 19 classes,
deterministic random weights and BN statistics (gen_golden.init_weights). Writes src/fixtures/:
- deeplab-w32.pth: what mmcv's runner saves with `save_optimizer=False`,
  `{'meta': ..., 'state_dict': ...}` (torch.save zip format; the state
  dict an OrderedDict with `_metadata`). core's fixtures cover a checkpoint with SGD state;
- deeplab-w32-golden.safetensors: the same state dict (written by hand, not from the .pth) plus
  `golden.input` (1x3x32x32) and PyTorch's eval-mode `golden.seg_logits` (resized to the input).
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_golden import init_weights, write_safetensors  # noqa: E402
from ref_model import EncoderDecoder  # noqa: E402

FIXTURES = os.path.join(HERE, '..', 'src', 'fixtures')
CLASSES = ('background', 'skin', 'nose', 'eye_g', 'l_eye', 'r_eye', 'l_brow', 'r_brow', 'l_ear',
           'r_ear', 'mouth', 'u_lip', 'l_lip', 'hair', 'hat', 'ear_r', 'neck_l', 'neck', 'cloth')


def main():
    torch.manual_seed(0)
    model = EncoderDecoder(width=1 / 32, num_classes=19)
    init_weights(model)
    model.eval()
    torch.set_grad_enabled(False)
    sd = model.state_dict()
    assert hasattr(sd, '_metadata')
    meta = {
        'env_info': 'sys.platform: linux\nPyTorch: 1.13.1',
        'config': "model = dict(type='EncoderDecoder', backbone=dict(type='ResNetV1c', depth=50))\n",
        'seed': 0,
        'exp_name': 'deeplabv3plus_r50-d8_512x512_40k_celebamask.py',
        'mmseg_version': '0.30.0',
        'CLASSES': CLASSES,
        'PALETTE': [[i * 13 % 256, i * 53 % 256, i * 97 % 256] for i in range(19)],
        'epoch': 1,
        'iter': 40000,
        'time': 'Mon Dec  1 12:00:00 2026',
        'hook_msgs': {'last_ckpt': 'work_dirs/iter_40000.pth'},
    }
    torch.save({'meta': meta, 'state_dict': sd},
               os.path.join(FIXTURES, 'deeplab-w32.pth'))
    xin = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    _, _, seg, _ = model(xin)
    out = dict(sd)
    out['golden.input'] = xin
    out['golden.seg_logits'] = seg
    write_safetensors(os.path.join(FIXTURES, 'deeplab-w32-golden.safetensors'), out)
    print('seg_logits', tuple(seg.shape), f'mean|x|={seg.abs().mean():.4f}')
    for name in ['deeplab-w32.pth', 'deeplab-w32-golden.safetensors']:
        print(f'{os.path.getsize(os.path.join(FIXTURES, name)):8d}  {name}')


if __name__ == '__main__':
    main()
