"""SGD updates of torch.optim.SGD (torch 1.13, float32) on 100,000 values, for
test/optim/sgd-bitwise.test.ts: alexnet-ts's kernels must give the same bits.

Writes OUT/sgd_bitwise.bin (little-endian float32): the initial parameters,
the base gradient, then for each configuration of CONFIGS the parameters after
3 steps whose gradients are the base gradient times 1, 2 and 3.
Run with the system Python that has torch:
  /usr/bin/python3 tools/gen_sgd_bitwise.py --out test/fixtures/generated
"""
import argparse
import os

import numpy as np
import torch

N = 100_000
LR = 0.0123
# The same list, in the same order, is in test/optim/sgd-bitwise.test.ts.
CONFIGS = [
    dict(momentum=0.0, weight_decay=0.0),
    dict(momentum=0.9, weight_decay=5e-4),
    dict(momentum=0.9, weight_decay=5e-4, nesterov=True),
    dict(momentum=0.9, weight_decay=0.0, dampening=0.1),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    initial = rng.standard_normal(N).astype(np.float32)
    grad = (rng.standard_normal(N) * 0.1).astype(np.float32)
    parts = [initial, grad]
    for config in CONFIGS:
        param = torch.nn.Parameter(torch.from_numpy(initial.copy()))
        optimizer = torch.optim.SGD([param], lr=LR, **config)
        for step in range(3):
            param.grad = torch.from_numpy(grad.copy()) * (step + 1)
            optimizer.step()
        parts.append(param.detach().numpy().astype('<f4'))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'sgd_bitwise.bin')
    np.concatenate(parts).astype('<f4').tofile(path + '.tmp')
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()
