#!/usr/bin/python3
"""Fixtures for two small layer facts of torch 1.13: dropout's survivor scale and layer reprs.

Run with Debian's python (it has torch):  /usr/bin/python3 tools/gen_layer_fixtures.py

Writes test/fixtures/parity/layers/dropout_scale.json: for p = 0.001, 0.002, ..., 0.999 the value
torch's F.dropout gives a kept 1.0 (torch divides by (1 - p) as a float32 scalar, so this is
float32(1 / float32(1 - p)), not 1 / (1 - p) rounded once), and layer_reprs.json: repr() of
LocalResponseNorm and Dropout with small and large float arguments, which Python prints in its own
notation (1e-05, not 0.00001), and LocalResponseNorm's default k, the float 1.0 (`cases`); and repr() of
AdaptiveAvgPool2d, which prints its output size in the form given, 6 or (6, 6) (`output_size_cases`).
Seeded: running it twice gives the same bytes.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_parity_fixtures import REPO, write_json  # noqa: E402


def header():
    return {'generator': 'tools/gen_layer_fixtures.py', 'torch': torch.__version__}


def dropout_scales():
    torch.manual_seed(0)
    ones = torch.ones(200_000)
    cases = []
    for i in range(1, 1000):
        p = i / 1000
        y = F.dropout(ones, p, training=True)
        kept = y[y != 0]
        assert kept.numel() > 0 and bool((kept == kept[0]).all()), p
        cases.append({'p': p, 'kept': kept[0].item()})
    return cases


def layer_reprs():
    layers = [
        ('LocalResponseNorm', [5, 1e-4, 0.75, 2], torch.nn.LocalResponseNorm(5, 1e-4, 0.75, 2)),
        ('LocalResponseNorm', [3, 1e-5, 0.75, 1], torch.nn.LocalResponseNorm(3, 1e-5, 0.75, 1)),
        ('LocalResponseNorm', [2, 2.5e-7, 1.5e-3, 1e16], torch.nn.LocalResponseNorm(2, 2.5e-7, 1.5e-3, 1e16)),
        # k left at its default, the float 1.0.
        ('LocalResponseNorm', [5], torch.nn.LocalResponseNorm(5)),
        ('LocalResponseNorm', [3, 1e-5, 0.5], torch.nn.LocalResponseNorm(3, 1e-5, 0.5)),
        ('Dropout', [1e-7], torch.nn.Dropout(1e-7)),
        ('Dropout', [0.5], torch.nn.Dropout(0.5)),
        ('Dropout', [0.00012], torch.nn.Dropout(0.00012)),
    ]
    return [{'layer': name, 'args': args, 'repr': repr(m)} for name, args, m in layers]


def output_size_reprs():
    """AdaptiveAvgPool2d(6) prints output_size=6; a pair prints as the tuple given (torchvision passes (6, 6))."""
    sizes = [6, (6, 6), (3, 7), 1]
    return [{'layer': 'AdaptiveAvgPool2d', 'args': [size], 'repr': repr(torch.nn.AdaptiveAvgPool2d(size))} for size in sizes]


def main():
    out = os.path.join(REPO, 'test', 'fixtures', 'parity', 'layers')
    write_json(os.path.join(out, 'dropout_scale.json'), {**header(), 'cases': dropout_scales()})
    write_json(os.path.join(out, 'layer_reprs.json'), {**header(), 'cases': layer_reprs(), 'output_size_cases': output_size_reprs()})


if __name__ == '__main__':
    main()
