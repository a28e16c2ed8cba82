"""Reference metrics for a real-data test: every CelebAMask-HQ mini training mask scored against
its own horizontal flip, with mmseg IoUMetric semantics (torch.histc areas, np.nanmean).

    /usr/bin/python3 packages/metrics/scripts/flip_reference.py [MASK_DIR]

Needs Debian's python3 (torch 1.13, numpy, PIL). Writes only metric values (no pixel data) to
packages/metrics/src/fixtures/celebamask-mini-flip-reference.json.
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
mask_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "data", "celebamask-mini", "train", "masks")
C, IGNORE = 19, 255
files = sorted(f for f in os.listdir(mask_dir) if f.endswith(".png"))
tot = [torch.zeros(C, dtype=torch.float64) for _ in range(4)]
for f in files:
    im = Image.open(os.path.join(mask_dir, f))
    assert im.mode in ("P", "L"), (f, im.mode)  # raw indices / grey values, never RGB
    gt = torch.from_numpy(np.array(im).astype(np.int64))
    pred = torch.flip(gt, dims=[1])
    keep = gt != IGNORE
    p, g = pred[keep], gt[keep]
    h = lambda t: torch.histc(t.float(), bins=C, min=0, max=C - 1).double()
    ai, ap, al = h(p[p == g]), h(p), h(g)
    for k, v in enumerate((ai, ai * 0 + ap + al - ai, ap, al)):
        tot[k] += v
ai, au, ap, al = (t.numpy() for t in tot)
with np.errstate(divide="ignore", invalid="ignore"):
    iou = ai / au
    dice = 2 * ai / (ap + al)
out = dict(
    generator="packages/metrics/scripts/flip_reference.py",
    files=len(files),
    mIoU=float(np.nanmean(iou)),
    aAcc=float(ai.sum() / al.sum()),
    mDice=float(np.nanmean(dice)),
    meanF1Foreground=float(np.nanmean(dice[1:])),
    iou=[None if np.isnan(v) else float(v) for v in iou],
)
dst = os.path.join(here, "..", "src", "fixtures", "celebamask-mini-flip-reference.json")
with open(dst, "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
print(json.dumps({k: v for k, v in out.items() if k != "iou"}))
