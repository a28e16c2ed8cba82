"""PyTorch CPU reference timings for deeplab.bench.mjs (same structure: scripts/ref_model.py).

/usr/bin/python3 packages/heads/bench/torch_deeplab.py --cases infer,train --reps 2
    [--train-size 256 --train-batch 2]
Prints one JSON line: {"version", "threads", "infer": s, "train": s, "train_shape",
"train_max_rss_mib"}.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from ref_model import EncoderDecoder  # noqa: E402


def median_time(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cases', default='infer,train')
    ap.add_argument('--reps', type=int, default=2)
    ap.add_argument('--train-size', type=int, default=256)
    ap.add_argument('--train-batch', type=int, default=2)
    args = ap.parse_args()
    cases = args.cases.split(',')
    torch.manual_seed(0)
    out = {'version': torch.__version__, 'threads': torch.get_num_threads()}
    model = EncoderDecoder(width=1.0, num_classes=19)
    if 'infer' in cases:
        model.eval()
        x = torch.randn(1, 3, 512, 512)

        def infer():
            with torch.no_grad():
                model(x)
        out['infer'] = median_time(infer, args.reps)
    if 'train' in cases:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        b, n = args.train_batch, args.train_size
        x = torch.randn(b, 3, n, n)
        y = torch.randint(0, 19, (b, n, n))

        def step():
            opt.zero_grad()
            _, dec, seg, aux = model(x)
            loss = F.cross_entropy(seg, y) + 0.4 * F.cross_entropy(
                F.interpolate(aux, size=(n, n), mode='bilinear', align_corners=False), y)
            loss.backward()
            opt.step()
        out['train'] = median_time(step, args.reps)
        out['train_shape'] = [b, n, n]
        out['train_max_rss_mib'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
