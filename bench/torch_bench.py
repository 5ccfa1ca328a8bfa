"""One PyTorch benchmark case, the counterpart of `alexnet bench --json`:
warm-up, then --iters timed runs; prints one JSON line with the median.

Inference runs in eval mode under torch.no_grad(); --train times one step of
zero_grad, forward, cross-entropy, backward and SGD(lr=0.01, momentum=0.9).
Run with Debian's torch: /usr/bin/python3 bench/torch_bench.py --model alexnet --batch 1 ...
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--model', default='alexnet', choices=sorted(torch_models.INPUT_SIZE))
    p.add_argument('--batch', type=int, default=1)
    p.add_argument('--input-size', type=int)
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int)
    p.add_argument('--train', action='store_true')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--weights', help='state dict (.pth); default: seeded PyTorch init')
    p.add_argument('--input-file', help='input batch (.npy); default: seeded N(0, 1)')
    p.add_argument('--save-output', help="write the last inference run's logits (.npy)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    size = args.input_size or torch_models.INPUT_SIZE[args.model]
    warmup = args.warmup if args.warmup is not None else (1 if args.train else 2)
    torch.manual_seed(0)
    model = torch_models.create(args.model)
    if args.weights:
        model.load_state_dict(torch.load(args.weights))
    if args.input_file:
        x = torch.from_numpy(np.load(args.input_file))
        if tuple(x.shape) != (args.batch, 3, size, size):
            sys.exit(f'--input-file {args.input_file}: shape {tuple(x.shape)}, expected {(args.batch, 3, size, size)}')
    else:
        x = torch.randn(args.batch, 3, size, size)

    output = None
    if args.train:
        model.train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        labels = torch.randint(0, 1000, (args.batch,))

        def run():
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            optimizer.step()
    else:
        model.eval()

        def run():
            nonlocal output
            with torch.no_grad():
                output = model(x)

    for _ in range(warmup):
        run()
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    if args.save_output and output is not None:
        np.save(args.save_output, output.numpy())

    ms = float(np.median(times))
    print(json.dumps({
        'framework': 'pytorch', 'model': args.model, 'mode': 'train' if args.train else 'inference',
        'batch': args.batch, 'input_size': size, 'backend': f'cpu, {torch.get_num_threads()} threads',
        'images_per_s': args.batch * 1000 / ms, 'ms_per_batch': ms,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'warmup': warmup, 'iters': args.iters, 'times_ms': times, 'version': torch.__version__,
    }))


if __name__ == '__main__':
    main()
