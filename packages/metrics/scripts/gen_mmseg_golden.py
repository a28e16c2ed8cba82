"""Golden values for @facepar/metrics against mmseg IoUMetric semantics.

Run with Debian's python3 (torch 1.13 + numpy):
    /usr/bin/python3 packages/metrics/scripts/gen_mmseg_golden.py
Writes packages/metrics/src/fixtures/mmseg-golden.json. The inputs are small synthetic label
maps (no real data). The areas follow mmseg's `intersect_and_union` (mask by ignore_index, then
torch.histc over [0, C-1] with C bins, which drops out-of-range labels), and the scores follow
`total_area_to_metrics` + np.nanmean, written out here from their documented formulas.
"""
import json
import math
import os

import numpy as np
import torch


def areas(pred, label, num_classes, ignore_index):
    keep = label != ignore_index
    pred = pred[keep]
    label = label[keep]
    hit = pred[pred == label]
    h = lambda t: torch.histc(t.float(), bins=num_classes, min=0, max=num_classes - 1)
    ai, ap, al = h(hit), h(pred), h(label)
    return ai, ap + al - ai, ap, al


def scores(ai, au, ap, al, beta):
    with np.errstate(divide="ignore", invalid="ignore"):
        ai, au, ap, al = (x.double().numpy() for x in (ai, au, ap, al))
        iou = ai / au
        acc = ai / al
        dice = 2 * ai / (ap + al)
        prec = ai / ap
        fs = (1 + beta**2) * (prec * acc) / (beta**2 * prec + acc)
        aacc = ai.sum() / al.sum()
    return dict(aAcc=aacc, IoU=iou, Acc=acc, Dice=dice, Precision=prec, Fscore=fs)


def nanmean(v):
    v = np.asarray(v, dtype=np.float64)
    return float(np.nanmean(v)) if np.any(~np.isnan(v)) else float("nan")


def js(x):
    if isinstance(x, torch.Tensor):
        x = x.double().numpy()
    if isinstance(x, (list, tuple, np.ndarray)):
        return [js(v) for v in x]
    x = float(x)
    return None if math.isnan(x) else x


def case(name, num_classes, ignore_index, images, dtype, beta=1):
    tot = None
    for p, g in images:
        a = areas(torch.tensor(p, dtype=torch.int64), torch.tensor(g, dtype=torch.int64), num_classes, ignore_index)
        tot = a if tot is None else tuple(x + y for x, y in zip(tot, a))
    if tot is None:  # no image at all
        tot = tuple(torch.zeros(num_classes) for _ in range(4))
    s = scores(*tot, beta)
    return dict(
        name=name, numClasses=num_classes, ignoreIndex=ignore_index, dtype=dtype, beta=beta,
        images=[dict(pred=np.asarray(p).reshape(-1).tolist(), gt=np.asarray(g).reshape(-1).tolist()) for p, g in images],
        areas=dict(intersect=js(tot[0]), union=js(tot[1]), predArea=js(tot[2]), labelArea=js(tot[3])),
        perClass=dict(iou=js(s["IoU"]), acc=js(s["Acc"]), dice=js(s["Dice"]), precision=js(s["Precision"]), fscore=js(s["Fscore"])),
        summary=dict(aAcc=js(s["aAcc"]), mIoU=js(nanmean(s["IoU"])), mAcc=js(nanmean(s["Acc"])), mDice=js(nanmean(s["Dice"])),
                     mPrecision=js(nanmean(s["Precision"])), mFscore=js(nanmean(s["Fscore"]))),
    )


rng = np.random.default_rng(20261130)
cases = []

# 1. 19 classes, uint8, 3 images of 7x9 with ignore (255) and out-of-range labels (19, 23, 200) on both sides.
imgs = []
for _ in range(3):
    g = rng.integers(0, 19, size=(7, 9))
    p = np.where(rng.random((7, 9)) < 0.6, g, rng.integers(0, 19, size=(7, 9)))
    g = np.where(rng.random((7, 9)) < 0.1, 255, g)
    g = np.where(rng.random((7, 9)) < 0.05, 23, g)
    p = np.where(rng.random((7, 9)) < 0.05, rng.choice([19, 200, 255]), p)
    imgs.append((p, g))
cases.append(case("random19_uint8_ignore_oor", 19, 255, imgs, "uint8"))
# 2. same data with beta = 2
cases.append(case("random19_uint8_beta2", 19, 255, imgs, "uint8", beta=2))
# 3. class 4 absent from GT and prediction, class 3 absent from GT only, class 2 present with zero intersection.
g = np.array([0, 0, 1, 1, 1, 2, 2, 0, 255, 255])
p = np.array([0, 1, 1, 1, 3, 0, 0, 3, 4, 2])
cases.append(case("absent_classes", 5, 255, [(p, g)], "uint8"))
# 4. empty input: one image with zero pixels
cases.append(case("empty_image", 3, 255, [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))], "uint8"))
# 5. every pixel ignored
cases.append(case("all_ignored", 3, 255, [(np.array([0, 1, 2]), np.array([255, 255, 255]))], "uint8"))
# 6. int32 with negative labels and ignore_index -1... mmseg-style ignore 255, negatives out of range
g = rng.integers(-2, 6, size=40)
p = rng.integers(-2, 7, size=40)
g[:4] = 255
cases.append(case("int32_negative_oor", 5, 255, [(p, g)], "int32"))
# 7. uint16 labels, 300 classes sparse, ignore 65535
g = rng.integers(0, 310, size=200)
p = np.where(rng.random(200) < 0.5, g, rng.integers(0, 310, size=200))
g[::17] = 65535
cases.append(case("uint16_300_classes", 300, 65535, [(p, g)], "uint16"))

out = os.path.join(os.path.dirname(__file__), "..", "src", "fixtures", "mmseg-golden.json")
with open(out, "w") as f:
    json.dump(dict(generator="packages/metrics/scripts/gen_mmseg_golden.py", torch=torch.__version__, cases=cases), f)
    f.write("\n")
print("wrote", os.path.normpath(out), len(cases), "cases")
