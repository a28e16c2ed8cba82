"""PyTorch CPU reference timings for deeplab.bench.mjs (same structure: scripts/ref_model.py).

/usr/bin/python3 packages/heads/bench/torch_deeplab.py --cases infer,train256,train128 --reps 2
    [--threads N]   (default: every core this process may run on, len(os.sched_getaffinity(0)))

Configured as its users run it: Debian's torch 1.13 starts with torch.get_num_threads() == 1,
and with one thread and a batch under 16 it sends 1x1 convolutions to its generic BLAS instead
of oneDNN (about 10x slower), so the threads are set to the available cores, and the JSON says
which convolution kernels ran (a profiled forward pass: aten::mkldnn_convolution is oneDNN).

Prints one JSON line: {"version", "threads", "mkldnn_available", "conv_kernels", "cpu_flags",
"cpu_model", "infer": s, "train256": s, "train128": s, "train_shapes", "max_rss_mib"}.
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


def cpu_info():
    flags, model = '', ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags') and not flags:
                    flags = line.split(':', 1)[1].strip()
                elif line.startswith('model name') and not model:
                    model = line.split(':', 1)[1].strip()
    except OSError:
        pass
    # the SIMD flags that decide oneDNN's and XNNPACK's kernels; the full list is long
    simd = [f for f in flags.split() if f.startswith(('sse', 'ssse', 'avx', 'fma', 'f16c', 'amx'))]
    return model, ' '.join(simd)


def conv_kernels(model, x):
    """Which ATen convolution kernels a forward pass of `model` on `x` ran (name -> calls)."""
    from torch.profiler import ProfilerActivity, profile
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU]) as prof:
        model(x)
    counts = {}
    for e in prof.key_averages():
        name = e.key
        if 'conv' in name and name not in ('aten::conv2d', 'aten::convolution', 'aten::_convolution'):
            counts[name] = e.count
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cases', default='infer,train256,train128')
    ap.add_argument('--reps', type=int, default=2)
    ap.add_argument('--threads', type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument('--train-batch', type=int, default=2)
    args = ap.parse_args()
    cases = args.cases.split(',')
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model_name, flags = cpu_info()
    out = {'version': torch.__version__, 'threads': torch.get_num_threads(),
           'mkldnn_available': torch.backends.mkldnn.is_available(),
           'cpu_model': model_name, 'cpu_flags': flags}
    model = EncoderDecoder(width=1.0, num_classes=19)
    model.eval()
    out['conv_kernels'] = conv_kernels(model, torch.randn(args.train_batch, 3, 128, 128))
    if 'infer' in cases:
        x = torch.randn(1, 3, 512, 512)

        def infer():
            with torch.no_grad():
                model(x)
        out['infer'] = median_time(infer, args.reps)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    out['train_shapes'] = {}
    for case in cases:
        if not case.startswith('train'):
            continue
        b, n = args.train_batch, int(case[len('train'):])
        x = torch.randn(b, 3, n, n)
        y = torch.randint(0, 19, (b, n, n))

        def step():
            opt.zero_grad()
            _, dec, seg, aux = model(x)
            loss = F.cross_entropy(seg, y) + 0.4 * F.cross_entropy(
                F.interpolate(aux, size=(n, n), mode='bilinear', align_corners=False), y)
            loss.backward()
            opt.step()
        out[case] = median_time(step, args.reps)
        out['train_shapes'][case] = [b, n, n]
    out['max_rss_mib'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
