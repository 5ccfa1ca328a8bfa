#!/usr/bin/python3
"""Writes src/models/imagenet-classes.ts: the 1000 ImageNet-1k class names, in
the order of the model's output indices, exactly as torchvision 0.14 lists
them for AlexNet_Weights.IMAGENET1K_V1.meta['categories'].

Run with the system Python that has Debian's torchvision:
    /usr/bin/python3 tools/gen_imagenet_classes.py
"""
import json
import os

from torchvision.models import AlexNet_Weights

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'models', 'imagenet-classes.ts')


def main():
    categories = AlexNet_Weights.IMAGENET1K_V1.meta['categories']
    assert len(categories) == 1000, len(categories)
    lines = [
        '// GENERATED FILE, do not edit: written by tools/gen_imagenet_classes.py from',
        "// torchvision.models.AlexNet_Weights.IMAGENET1K_V1.meta['categories'] (torchvision 0.14).",
        '// Regenerate with: /usr/bin/python3 tools/gen_imagenet_classes.py',
        '',
        '/** The 1000 ImageNet-1k class names; index i is the model\'s output i. */',
        'export const IMAGENET_CLASSES: readonly string[] = Object.freeze([',
    ]
    lines += [f'  {json.dumps(name, ensure_ascii=False)},' for name in categories]
    lines += [']);', '']
    with open(OUT, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    print(f'wrote {len(categories)} class names to {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
