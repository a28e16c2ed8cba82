"""Golden values for @facepar/losses, computed with PyTorch.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 packages/losses/scripts/gen_golden.py
Writes packages/losses/src/fixtures/golden.json. Tensors are stored flat, NHWC for logits and
their gradients (tfjs layout); the PyTorch side works in NCHW as mmseg does.

Reference semantics reimplemented here (not imported, so the script needs torch only):
- mmseg CrossEntropyLoss: F.cross_entropy(pred, label, weight=class_weight, reduction='none',
  ignore_index=255), then weight_reduce_loss: mean over all pixels, or with avg_non_ignore=True
  sum / (numel - count(ignore) + finfo(float32).eps).
- PyTorch F.cross_entropy(weight=w, reduction='mean'|'sum'|'none', label_smoothing=eps).
- smp DiceLoss(mode='multiclass', from_logits=True, smooth=0, eps=1e-7, ignore_index=255).
- Berman et al. lovasz_softmax(probas, labels, classes='present', per_image=False, ignore=255).
- softmax focal loss -alpha_y (1 - p_y)^gamma log p_y.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)  # references in float64; tfjs runs float32

IGNORE = 255
C = 19
REPORT_WEIGHTS = [1.805, 1.976, 5.6004, 8.5621, 8.8014, 8.8059, 7.8778, 7.9143, 7.7323, 8.0199,
                  8.3939, 7.9185, 7.2026, 1.6725, 6.695, 8.7228, 12.7002, 4.6004, 4.8802]
W = torch.tensor(REPORT_WEIGHTS)
F32_EPS = float(torch.finfo(torch.float32).eps)


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().reshape(-1).tolist()


def make_labels(n, h, w, n_ignore):
    labels = torch.randint(0, C, (n, h, w))
    flat = labels.view(-1)
    idx = torch.randperm(flat.numel())[:n_ignore]
    flat[idx] = IGNORE
    return labels


def ce_reductions(logits, labels, weight, label_smoothing=0.0):
    """All five reductions of the weighted CE."""
    out = {}
    per_pixel = F.cross_entropy(logits, labels, weight=weight, reduction='none',
                                ignore_index=IGNORE, label_smoothing=label_smoothing)
    valid = labels != IGNORE
    out['none'] = per_pixel.reshape(-1).tolist()
    out['sum'] = F.cross_entropy(logits, labels, weight=weight, reduction='sum',
                                 ignore_index=IGNORE, label_smoothing=label_smoothing).item()
    # mmseg default: mean over all pixels, ignored ones included as 0.
    out['mmseg'] = per_pixel.mean().item()
    # mmseg avg_non_ignore=True: avg_factor = numel - count(ignore), plus float32 eps.
    avg_factor = labels.numel() - (labels == IGNORE).sum().item()
    out['non-ignored'] = (per_pixel.sum() / (avg_factor + F32_EPS)).item()
    # PyTorch mean: divided by the sum of the target-class weights.
    out['weight-sum'] = F.cross_entropy(logits, labels, weight=weight, reduction='mean',
                                        ignore_index=IGNORE,
                                        label_smoothing=label_smoothing).item()
    out['validCount'] = int(valid.sum().item())
    return out


def dice_smp(logits, labels, smooth=0.0, eps=1e-7, class_weights=None):
    n = logits.shape[0]
    y_pred = logits.log_softmax(dim=1).exp().view(n, C, -1)
    y_true = labels.view(n, -1)
    mask = y_true != IGNORE
    y_pred = y_pred * mask.unsqueeze(1)
    y_true = F.one_hot((y_true * mask).long(), C).permute(0, 2, 1) * mask.unsqueeze(1)
    dims = (0, 2)
    inter = torch.sum(y_pred * y_true, dim=dims)
    card = torch.sum(y_pred + y_true, dim=dims)
    score = ((2.0 * inter + smooth) / (card + smooth)).clamp_min(eps)
    loss = (1.0 - score) * (y_true.sum(dims) > 0).to(score.dtype)
    if class_weights is None:
        return loss.mean(), loss
    return (loss * class_weights).sum() / class_weights.sum(), loss


def lovasz_grad(gt_sorted):
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1.0 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if gt_sorted.numel() > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_softmax(logits, labels, class_weights=None):
    probas = logits.softmax(dim=1).permute(0, 2, 3, 1).reshape(-1, C)
    lab = labels.reshape(-1)
    keep = lab != IGNORE
    probas, lab = probas[keep], lab[keep]
    losses, ws = [], []
    for c in range(C):
        fg = (lab == c).to(probas.dtype)
        if fg.sum() == 0:
            continue
        errors = (fg - probas[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
        ws.append(1.0 if class_weights is None else class_weights[c])
    losses = torch.stack(losses)
    ws = torch.tensor(ws)
    return (losses * ws).sum() / ws.sum()


def focal(logits, labels, gamma, alpha=None):
    logp = logits.log_softmax(dim=1)
    valid = labels != IGNORE
    safe = torch.where(valid, labels, torch.zeros_like(labels))
    logp_y = logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    a = torch.ones(()) if alpha is None else alpha[safe]
    per_pixel = -a * (1 - logp_y.exp()) ** gamma * logp_y * valid
    return per_pixel


def main():
    out = {'numClasses': C, 'ignoreIndex': IGNORE, 'classWeights': REPORT_WEIGHTS,
           'torch': torch.__version__}

    # Main case: logits [2,19,5,7] (NCHW), odd sizes, some ignored pixels.
    logits = (torch.randn(2, C, 5, 7) * 3.0)
    labels = make_labels(2, 5, 7, 9)
    out['logitsShape'] = [2, 5, 7, C]
    out['logits'] = nhwc(logits)
    out['labels'] = labels.reshape(-1).tolist()
    out['ce'] = {
        'weighted': ce_reductions(logits, labels, W),
        'unweighted': ce_reductions(logits, labels, None),
        'weightedSmoothing0.1': ce_reductions(logits, labels, W, 0.1),
    }
    # Gradients wrt logits for the mmseg and weight-sum reductions.
    grads = {}
    for name in ('mmseg', 'weight-sum'):
        x = logits.clone().requires_grad_(True)
        per_pixel = F.cross_entropy(x, labels, weight=W, reduction='none', ignore_index=IGNORE)
        if name == 'mmseg':
            loss = per_pixel.mean()
        else:
            loss = F.cross_entropy(x, labels, weight=W, reduction='mean', ignore_index=IGNORE)
        loss.backward()
        grads[name] = nhwc(x.grad)
    out['ceGrad'] = grads

    # Resized-logits case: logits [2,19,3,4] resized to 5x7 (bilinear, align_corners=False)
    # then mmseg-reduced weighted CE; gradient wrt the small logits.
    small = (torch.randn(2, C, 3, 4) * 3.0).requires_grad_(True)
    up = F.interpolate(small, size=(5, 7), mode='bilinear', align_corners=False)
    per_pixel = F.cross_entropy(up, labels, weight=W, reduction='none', ignore_index=IGNORE)
    loss = per_pixel.mean()
    loss.backward()
    out['resized'] = {'logitsShape': [2, 3, 4, C], 'logits': nhwc(small.detach()),
                      'size': [5, 7], 'mmseg': loss.item(), 'grad': nhwc(small.grad)}

    # Dice (smp multiclass semantics), unweighted and with the report weights.
    d, per_class = dice_smp(logits, labels)
    dw, _ = dice_smp(logits, labels, class_weights=W)
    x = logits.clone().requires_grad_(True)
    dice_smp(x, labels)[0].backward()
    out['dice'] = {'mean': d.item(), 'perClass': per_class.tolist(), 'weightedMean': dw.item(),
                   'grad': nhwc(x.grad)}

    # Lovasz-softmax (classes='present', per_image=False).
    x = logits.clone().requires_grad_(True)
    lv = lovasz_softmax(x, labels)
    lv.backward()
    out['lovasz'] = {'mean': lv.item(), 'weightedMean': lovasz_softmax(logits, labels, W).item(),
                     'grad': nhwc(x.grad)}

    # Softmax focal loss, gamma=2, alpha = report weights; reductions as for CE.
    fl = focal(logits, labels, 2.0, W)
    valid_count = int((labels != IGNORE).sum().item())
    x = logits.clone().requires_grad_(True)
    focal(x, labels, 2.0, W).mean().backward()
    out['focal'] = {'gamma': 2.0, 'none': fl.reshape(-1).tolist(), 'sum': fl.sum().item(),
                    'mmseg': fl.mean().item(), 'non-ignored': (fl.sum() / valid_count).item(),
                    'gradMmseg': nhwc(x.grad)}

    path = os.path.join(os.path.dirname(__file__), '..', 'src', 'fixtures', 'golden.json')

    def rounded(v):
        if isinstance(v, float):
            return float('%.10g' % v)
        if isinstance(v, list):
            return [rounded(e) for e in v]
        if isinstance(v, dict):
            return {k: rounded(e) for k, e in v.items()}
        return v

    with open(path, 'w') as f:
        json.dump(rounded(out), f, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
