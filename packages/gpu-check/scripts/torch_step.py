"""The report's training step in PyTorch, timed: the anchor of the GPU check.

mmseg deeplabv3plus_r50-d8 (packages/heads/scripts/ref_model.py, the plain-PyTorch copy whose
state-dict keys equal mmseg's), weighted CE with the given class weights and mmseg's
reduction (mean of w_y * CE over all pixels) on the decode head plus 0.4 x the auxiliary head,
logits resized to the labels, SGD lr 0.01 momentum 0.9 weight decay 5e-4. Random normalised
images and labels (timing does not depend on the values). Runs on CUDA where available (else
the CPU, with every core), in two modes: 'fp32' (TF32 off: the goal's "PyTorch fp32") and
'default' (cuDNN's TF32 convolutions on, as users run it). Prints one JSON line.

    python3 torch_step.py --class-weights W0,...,W18 --size 512 --batch 8 --steps 20 --warmup 2
        [--width 1] [--budget S]
"""

import argparse
import json
import os
import sys
import time

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--size', type=int, default=512)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--width', type=float, default=1.0)
    p.add_argument('--budget', type=float, default=150.0, help='seconds for both modes')
    p.add_argument('--class-weights', required=True, help='19 comma-separated CE class weights')
    a = p.parse_args()

    import torch
    import torch.nn.functional as F

    here = os.path.dirname(os.path.abspath(__file__))
    # beside this file in the GPU kit; packages/heads/scripts in the repository
    sys.path[:0] = [here, os.path.join(here, '..', '..', 'heads', 'scripts')]
    from ref_model import EncoderDecoder

    class_weights = [float(v) for v in a.class_weights.split(',')]
    if len(class_weights) != 19:
        raise ValueError(f'--class-weights needs 19 values, got {len(class_weights)}')

    cuda = torch.cuda.is_available()
    dev = torch.device('cuda' if cuda else 'cpu')
    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.backends.cudnn.benchmark = True
    started = time.perf_counter()

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def run(tf32, budget):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.manual_seed(0)
        model = EncoderDecoder(width=a.width, num_classes=19).to(dev).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        w = torch.tensor(class_weights, device=dev)
        x = torch.randn(a.batch, 3, a.size, a.size, device=dev)
        y = torch.randint(0, 19, (a.batch, a.size, a.size), device=dev)
        size = (a.size, a.size)

        def ce(logits):
            up = F.interpolate(logits, size=size, mode='bilinear', align_corners=False)
            return F.cross_entropy(up, y, weight=w, ignore_index=255, reduction='none').mean()

        def step():
            opt.zero_grad(set_to_none=True)
            _, dec, _, aux = model(x)
            loss = ce(dec) + 0.4 * ce(aux)
            loss.backward()
            opt.step()
            return loss.item()

        if cuda:
            torch.cuda.reset_peak_memory_stats()
        t_end = time.perf_counter() + budget
        warm = []
        for _ in range(a.warmup):
            t0 = time.perf_counter()
            step()
            sync()
            warm.append(time.perf_counter() - t0)
        times, losses = [], []
        for _ in range(a.steps):
            if times and time.perf_counter() + times[-1] > t_end:
                break
            t0 = time.perf_counter()
            losses.append(step())
            sync()
            times.append(time.perf_counter() - t0)
        out = {
            'tf32': tf32,
            'warmupSeconds': warm,
            'stepSeconds': times,
            'secondsPerIter': sum(times) / len(times),
            'losses': losses,
            'peakMemoryBytes': torch.cuda.max_memory_allocated() if cuda else None,
        }
        del model, opt, x, y
        if cuda:
            torch.cuda.empty_cache()
        return out

    modes = {}
    modes['fp32'] = run(False, a.budget / 2)
    left = a.budget - (time.perf_counter() - started)
    if cuda and left > 5:  # on the CPU TF32 does not exist: one mode
        modes['default'] = run(True, left)
    print(json.dumps({
        'torch': torch.__version__,
        'device': torch.cuda.get_device_name(0) if cuda else 'cpu',
        'cuda': torch.version.cuda if cuda else None,
        'threads': threads,
        'size': a.size,
        'batch': a.batch,
        'width': a.width,
        'modes': modes,
    }))


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # one JSON line either way, for the check's report
        print(json.dumps({'error': f'{type(e).__name__}: {e}'}))
        sys.exit(1)
