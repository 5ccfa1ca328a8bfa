#!/usr/bin/python3
"""Parity fixtures for softmax/log_softmax over any dim, avg_pool2d and pad (torch 1.13).

Run with Debian's python (it has torch):  /usr/bin/python3 tools/gen_pool_softmax_fixtures.py

Writes test/fixtures/parity/ops/{softmax_dims,avg_pool2d,avg_pool2d_asymmetric,pad}.json in the
format of tools/gen_parity_fixtures.py (whose case recorder it uses): per case the inputs, the
forward output, a random upstream gradient g and every input's gradient after out.backward(g).
Seeded: running it twice gives the same bytes.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_parity_fixtures import REPO, pair, run_case, write_json  # noqa: E402


def header():
    return {'generator': 'tools/gen_pool_softmax_fixtures.py', 'torch': torch.__version__}


def softmax_dim_cases():
    torch.manual_seed(1101)
    cases = []
    x4, x2 = torch.randn(2, 3, 4, 5) * 2, torch.randn(3, 5) * 2
    big = torch.randn(2, 4, 3)
    big[0, :, 1] += 1e4
    big[1, :, 2] = torch.tensor([1e4, -1e4, 9999.0, -3e3])
    for fname, fn in (('logSoftmax', F.log_softmax), ('softmax', F.softmax)):
        def case(name, x, dim):
            cases.append(run_case(f'{fname}: {name}, dim {dim}', lambda x: fn(x, dim=dim), {'x': x}, {'fn': fname, 'dim': dim}))
        for dim in (0, 1, 2, 3, -1, -2, -3, -4):
            case('[2, 3, 4, 5]', x4, dim)
        for dim in (0, 1, -1, -2):
            case('[3, 5]', x2, dim)
        case('[2, 1, 3], a dim of size 1', torch.randn(2, 1, 3), 1)
        case('[2, 4, 3], logits of ±1e4 along the middle dim', big, 1)
        # Tied maxima far above log(row size): max + log(sum) would swallow the log.
        case('[4, 3], tied maxima of 1e12 to 1e30', torch.tensor([[1e12, 1e12, 0.0], [1e16, 1e16, -3.0], [1e30, 1e30, 5.0], [-1e20, 2.0, 2.0]]), 1)
        case('scalar', torch.tensor(0.3), 0)
    return cases


def avg_pool_cases():
    torch.manual_seed(1202)
    cases = []

    def ap(name, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
        s = kernel if stride is None else stride
        args = {'kernelSize': list(pair(kernel)), 'stride': list(pair(s)), 'padding': list(pair(padding)), 'ceilMode': ceil_mode,
                'countIncludePad': count_include_pad, 'divisorOverride': divisor_override}
        fn = lambda x: F.avg_pool2d(x, pair(kernel), pair(s), pair(padding), ceil_mode, count_include_pad, divisor_override)
        cases.append(run_case(name, fn, {'x': torch.randn(x)}, args))

    ap('3x3 stride 2', (1, 2, 9, 9), 3, 2)
    ap('2x2, stride defaults to the kernel', (2, 2, 6, 7), 2)
    ap('stride 3 > kernel 2 (cells skipped)', (1, 2, 8, 8), 2, 3)
    ap('3x3 stride 1, padding 1, count_include_pad', (1, 2, 5, 6), 3, 1, 1)
    ap('3x3 stride 1, padding 1, count_include_pad=False', (1, 2, 5, 6), 3, 1, 1, count_include_pad=False)
    ap('ceil_mode adds a partial window (8 -> 4)', (1, 2, 8, 8), 3, 2, ceil_mode=True)
    ap('ceil_mode and padding 1, count_include_pad', (1, 2, 8, 7), 3, 2, 1, ceil_mode=True)
    ap('ceil_mode and padding 1, count_include_pad=False', (1, 2, 8, 7), 3, 2, 1, ceil_mode=True, count_include_pad=False)
    ap('ceil_mode drops the window that would start in the padding (5, k2 s2 p1 -> 3)', (1, 2, 5, 5), 2, 2, 1, ceil_mode=True)
    ap('divisor_override 2 with padding 1', (1, 2, 6, 5), 3, 2, 1, divisor_override=2)
    ap('divisor_override 5 with ceil_mode and count_include_pad=False', (1, 2, 7, 7), 2, 2, 1, ceil_mode=True, count_include_pad=False,
       divisor_override=5)
    ap('rectangular kernel, stride and padding, count_include_pad=False', (2, 2, 9, 7), (3, 2), (2, 1), (1, 0), count_include_pad=False)
    ap('1x1 kernel, stride 2', (1, 3, 5, 6), 1, 2)
    ap('global window (kernel = input)', (2, 3, 4, 5), (4, 5))
    return cases


def avg_pool_modules():
    """torch.nn.AvgPool2d's repr for a few configurations (the module's extraRepr must print the same)."""
    configs = [
        {'kernelSize': 3, 'stride': 2},
        {'kernelSize': 2},
        {'kernelSize': [3, 2], 'padding': [1, 0]},
        {'kernelSize': 3, 'stride': [2, 1], 'padding': 1, 'ceilMode': True, 'countIncludePad': False, 'divisorOverride': 4},
    ]
    def tup(v):
        return tuple(v) if isinstance(v, list) else v

    modules = []
    for c in configs:
        m = torch.nn.AvgPool2d(tup(c['kernelSize']), tup(c.get('stride')), tup(c.get('padding', 0)), c.get('ceilMode', False),
                               c.get('countIncludePad', True), c.get('divisorOverride'))
        modules.append({**c, 'repr': repr(m)})
    return modules


def asymmetric_cases():
    """[top, left, bottom, right] padding, which torch's avg_pool2d cannot express, from torch ops that define it.

    count_include_pad=True divides by the window clipped to the padded extent: exactly avg_pool2d over the
    zero-padded input (F.pad) without padding. count_include_pad=False divides by the window's cells inside
    the input: the window sums of the zero-padded input over the window sums of a padded mask of ones
    (divisor_override=1 turns avg_pool2d into a window sum). The generator checks that the output size also
    follows the engine's rule (ceil_mode: the last window starts inside the input or the begin padding).
    """
    torch.manual_seed(1303)
    cases = []

    def expected_size(n, k, s, begin, end, ceil_mode):
        out = (n + begin + end - k + (s - 1 if ceil_mode else 0)) // s + 1
        return out - 1 if ceil_mode and (out - 1) * s >= n + begin else out

    def ap(name, x, kernel, stride, pads, ceil_mode=False, count_include_pad=True):
        top, left, bottom, right = pads
        k, s = pair(kernel), pair(stride)
        torch_pads = (left, right, top, bottom)

        def fn(x):
            summed = F.avg_pool2d(F.pad(x, torch_pads), k, s, 0, ceil_mode, True, None if count_include_pad else 1)
            if count_include_pad:
                return summed
            cells = F.avg_pool2d(F.pad(torch.ones_like(x), torch_pads), k, s, 0, ceil_mode, True, 1)
            return summed / cells

        case = run_case(name, fn, {'x': torch.randn(x)},
                        {'kernelSize': list(k), 'stride': list(s), 'padding': list(pads), 'ceilMode': ceil_mode, 'countIncludePad': count_include_pad})
        want = [expected_size(x[2], k[0], s[0], top, bottom, ceil_mode), expected_size(x[3], k[1], s[1], left, right, ceil_mode)]
        assert case['output']['shape'][2:] == want, f'{name}: torch composition gives {case["output"]["shape"]}, the engine {want}'
        cases.append(case)

    for cip in (True, False):
        tag = 'count_include_pad' if cip else 'count_include_pad=False'
        ap(f'2x2 stride 1, pads [0, 0, 1, 1] (SAME_UPPER), {tag}', (1, 2, 5, 6), 2, 1, (0, 0, 1, 1), count_include_pad=cip)
        ap(f'3x3 stride 2, pads [1, 0, 2, 1], {tag}', (1, 2, 7, 6), 3, 2, (1, 0, 2, 1), count_include_pad=cip)
        ap(f'2x2 stride 2, ceil_mode, pads [0, 1, 1, 0], {tag}', (1, 2, 5, 6), 2, 2, (0, 1, 1, 0), ceil_mode=True, count_include_pad=cip)
        ap(f'rectangular 3x2 stride (2, 1), pads [2, 1, 0, 0], {tag}', (2, 1, 6, 5), (3, 2), (2, 1), (2, 1, 0, 0), count_include_pad=cip)
    return cases


def pad_cases():
    torch.manual_seed(1404)
    cases = []

    def pd(name, x, pads, value=0.0):
        # JSON has no infinities: non-finite values are stored in JavaScript's spelling, which Number() reads.
        stored = value if math.isfinite(value) else ('Infinity' if value > 0 else '-Infinity')
        cases.append(run_case(name, lambda x: F.pad(x, pads, 'constant', value), {'x': torch.randn(x)}, {'pads': list(pads), 'value': stored}))

    pd('[1, 2, 0, 3] with zeros', (2, 3, 4, 5), (1, 2, 0, 3))
    pd('last dim only [2, 1], value 1.5', (2, 3, 4), (2, 1), 1.5)
    pd('negative pads crop [-1, -2, -1, 0]', (1, 2, 5, 6), (-1, -2, -1, 0))
    pd('mixed pad and crop [2, -1, -2, 1], value -0.5', (1, 2, 4, 5), (2, -1, -2, 1), -0.5)
    pd('-inf padding [1, 1, 1, 1] (asymmetric max-pool emulation)', (1, 2, 3, 3), (1, 1, 1, 1), -math.inf)
    pd('-inf padding [0, 1, 0, 1]', (2, 1, 4, 3), (0, 1, 0, 1), -math.inf)
    pd('2-D input [4, 3]', (4, 3), (1, 0, 2, 1), 2.0)
    pd('crop to an empty last dim [-5, 0]', (1, 2, 3, 5), (-5, 0))
    return cases


FAMILIES = {
    'softmax_dims': softmax_dim_cases,
    'avg_pool2d': avg_pool_cases,
    'avg_pool2d_asymmetric': asymmetric_cases,
    'pad': pad_cases,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default=os.path.join(REPO, 'test', 'fixtures', 'parity'))
    args = parser.parse_args()
    torch.set_num_threads(1)  # reproducible reductions
    torch.use_deterministic_algorithms(True)
    for family, make in FAMILIES.items():
        extra = {'modules': avg_pool_modules()} if family == 'avg_pool2d' else {}
        write_json(os.path.join(args.out_dir, 'ops', f'{family}.json'), {**header(), 'op': family, 'cases': make(), **extra})
    return 0


if __name__ == '__main__':
    sys.exit(main())
