#!/usr/bin/python3
"""Fixtures for src/summary (the torchinfo-style model summary).

Run with the system Python that has torch 1.13 and torchvision 0.14:

    /usr/bin/python3 tools/gen_summary_fixtures.py [--article PATH]

Writes to test/fixtures/summary/:

  cases.json   For several models, input sizes and batches: every module in
               named_modules() order with the output shape torch computes for
               it (forward hooks, eval mode, no_grad) and its parameter counts;
               then the totals under torchinfo 1.7's rules (mult-adds, bytes),
               computed here from those torch shapes and counts. torchinfo
               itself is not installable here; its rules are applied the way
               torchinfo/model_statistics.py and layer_info.py state them.
               The input size is sys.getsizeof(tensor.storage()), which is
               what torchinfo measures (data bytes + the storage object).
               Also Python's own renderings of numbers ("{:.2f}", "{:,}") for
               the formatting helpers, ties included.
  article-table.txt
               The table printed by torchinfo.summary(AlexNet(), (1, 3, 416, 416),
               col_width=17) as the article quotes it (its whitespace runs were
               collapsed by the page), cut from the article text given with
               --article (default: ../shared/seed/000_66b83ab14532446e.txt next
               to the repository). Skipped with a note when the article is absent.

The models are built here in torch exactly as the TypeScript ones:
torchvision.models.alexnet and the article's AlexNetOriginal (optionally with
groups=2 on conv2, conv4, conv5).
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_parity_fixtures import LocalResponseNorm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures', 'summary')
DEFAULT_ARTICLE = os.path.join(os.path.dirname(ROOT), 'shared', 'seed', '000_66b83ab14532446e.txt')
ARTICLE_CALL = 'torchinfo.summary(model, (1, 3, 416, 416), col_width=17)'


class AlexNetOriginal(nn.Module):
    """The article's model; groups=2 gives the paper's two-tower form (each tower's LRN on its own maps)."""

    def __init__(self, num_classes=1000, in_channels=3, groups=1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=11, stride=4),
            nn.ReLU(inplace=True),
            LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2, groups=groups),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=groups),
            nn.ReLU(inplace=True),
            LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2, groups=groups),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5, inplace=True),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5, inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.net(x), 1))


def make_model(name, num_classes, in_channels):
    if name == 'alexnet':
        model = torchvision.models.alexnet(num_classes=num_classes)
        if in_channels != 3:
            model.features[0] = nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2)
        return model
    if name == 'alexnet-original':
        return AlexNetOriginal(num_classes, in_channels)
    if name == 'alexnet-original-grouped':
        return AlexNetOriginal(num_classes, in_channels, groups=2)
    raise ValueError(name)


# (model, input shape, numClasses, inChannels)
CASES = [
    ('alexnet', [1, 3, 416, 416], 1000, 3),
    ('alexnet', [1, 3, 224, 224], 1000, 3),
    ('alexnet', [2, 3, 63, 63], 1000, 3),
    ('alexnet', [3, 3, 300, 257], 1000, 3),
    ('alexnet', [4, 1, 128, 96], 10, 1),
    ('alexnet-original', [1, 3, 227, 227], 1000, 3),
    ('alexnet-original', [8, 3, 227, 227], 1000, 3),
    ('alexnet-original', [2, 3, 230, 228], 10, 3),
    ('alexnet-original-grouped', [8, 3, 227, 227], 1000, 3),
    ('alexnet-original-grouped', [1, 3, 229, 227], 1000, 3),
]


def layer_mult_adds(module, out_shape):
    """torchinfo's estimate for one call of a leaf layer (see src/summary/mult-adds.ts)."""
    total = 0
    type_name = type(module).__name__
    for name, p in module.named_parameters():
        n = p.numel()
        if name in ('weight', 'bias'):
            if 'Conv' in type_name:
                total += n * out_shape[0] * math.prod(out_shape[2:])
            elif 'Linear' in type_name:
                total += n * math.prod(out_shape[:-1])
            else:
                total += n * out_shape[0]
        elif 'weight' in name or 'bias' in name:
            total += n * math.prod(out_shape[:2])
    return total


def describe(name, shape, num_classes, in_channels):
    torch.manual_seed(0)
    model = make_model(name, num_classes, in_channels).eval()
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o, path=path: shapes.__setitem__(path, list(o.shape)))
             for path, m in model.named_modules() if path != '']
    x = torch.rand(*shape)
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()

    layers = []
    totals = dict(totalParams=0, trainableParams=0, totalMultAdds=0, paramBytes=0, forwardBackwardBytes=0)
    for path, m in model.named_modules():
        is_leaf = not any(m.children())
        num_params = sum(p.numel() for p in m.parameters())
        own_params = sum(p.numel() for p in m.parameters(recurse=False))
        out = shapes.get(path)
        mult_adds = layer_mult_adds(m, out) if is_leaf and out is not None else 0
        output_bytes = 4 * math.prod(out) if out is not None else 0
        layers.append(dict(path=path, typeName=type(m).__name__, depth=0 if path == '' else path.count('.') + 1,
                           isLeaf=is_leaf, outputShape=out, numParams=num_params, ownParams=own_params,
                           multAdds=mult_adds, outputBytes=output_bytes))
        if is_leaf:
            totals['totalParams'] += num_params
            totals['trainableParams'] += num_params
            totals['paramBytes'] += 4 * num_params
            totals['totalMultAdds'] += mult_adds
            if num_params > 0:
                totals['forwardBackwardBytes'] += 2 * output_bytes
        else:
            totals['totalParams'] += own_params
            totals['trainableParams'] += own_params
    assert totals['totalParams'] == sum(p.numel() for p in model.parameters())
    totals['nonTrainableParams'] = totals['totalParams'] - totals['trainableParams']
    totals['inputBytes'] = sys.getsizeof(x.storage())  # what torchinfo measures
    totals['totalBytes'] = totals['inputBytes'] + totals['forwardBackwardBytes'] + totals['paramBytes']
    # The summary lines torchinfo 1.7 prints from these totals.
    macs = totals['totalMultAdds']
    unit, div = ('T', 1e12) if macs >= 1e12 else ('G', 1e9) if macs >= 1e9 else ('M', 1e6)
    footer = [
        f"Total params: {totals['totalParams']:,}",
        f"Total mult-adds ({unit}): {macs / div:0.2f}",
        f"Input size (MB): {totals['inputBytes'] / 1e6:0.2f}",
        f"Forward/backward pass size (MB): {totals['forwardBackwardBytes'] / 1e6:0.2f}",
        f"Params size (MB): {totals['paramBytes'] / 1e6:0.2f}",
        f"Estimated Total Size (MB): {totals['totalBytes'] / 1e6:0.2f}",
    ]
    return dict(model=name, numClasses=num_classes, inChannels=in_channels, inputShape=shape,
                layers=layers, totals=totals, footer=footer)


def python_renderings():
    # Binary ties (k/8) where Python rounds half to even, near-ties, and plain values.
    floats = [0, 0.005, 0.125, 0.375, 0.625, 0.875, 1.125, 2.675, 1.005, 2.08, 13.98048, 244.40336,
              260.460512, 0.0049999, 99.995, 12345.678, 1e-9, 7.5, 3.0]
    ints = [0, 7, 999, 1000, 23296, 61100840, 1234567890123]
    return dict(fixed2=[[v, f'{v:.2f}'] for v in floats], thousands=[[n, f'{n:,}'] for n in ints])


def article_table(path):
    lines = open(path, encoding='utf-8').read().splitlines()
    start = lines.index(ARTICLE_CALL) + 1
    end = start
    while end < len(lines) and (lines[end].startswith('=') or not lines[end].isascii() or lines[end][:1].isalpha()):
        end += 1
    table = lines[start:end]
    while not table[-1].startswith('='):
        table.pop()
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--article', default=DEFAULT_ARTICLE)
    args = parser.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)
    cases = [describe(*c) for c in CASES]
    with open(os.path.join(OUT_DIR, 'cases.json'), 'w') as f:
        json.dump(dict(torch=torch.__version__, torchvision=torchvision.__version__, cases=cases,
                       python=python_renderings()), f, indent=1)
        f.write('\n')
    if os.path.exists(args.article):
        table = article_table(args.article)
        with open(os.path.join(OUT_DIR, 'article-table.txt'), 'w', encoding='utf-8') as f:
            f.write('\n'.join(table) + '\n')
        print(f'article table: {len(table)} lines')
    else:
        print(f'note: {args.article} not found; article-table.txt left as it is')
    print(f'wrote {len(cases)} cases to {OUT_DIR}')


if __name__ == '__main__':
    main()
