"""Writes the benchmark's shared inputs into bench/out/ (git-ignored):

  <model>.pth            deterministic weights (torch.manual_seed(0), PyTorch's default init)
  <model>.onnx           the same model and weights for onnxruntime (batch axis dynamic)
  input-b<B>-s<S>.npy    seeded N(0, 1) input batches, float32 NCHW

so that alexnet-ts, onnxruntime, PyTorch and TensorFlow.js all run the same
network on the same numbers and their outputs can be cross-checked.
Run with Debian's torch: /usr/bin/python3 tools/export_onnx.py [--out DIR] [--force]
Files that already exist are kept unless --force (the seeds make them identical).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))
import torch_models  # noqa: E402

# The benchmark's cases need these input batches (batch, size).
INPUTS = [(1, 224), (32, 224), (32, 227)]


def export_model(name, out, force):
    pth = os.path.join(out, f'{name}.pth')
    onnx_path = os.path.join(out, f'{name}.onnx')
    if not force and os.path.exists(pth) and os.path.exists(onnx_path):
        return
    torch.manual_seed(0)
    model = torch_models.create(name).eval()
    torch.save(model.state_dict(), pth)
    size = torch_models.INPUT_SIZE[name]
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, dummy, onnx_path, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
    print(f'wrote {pth} and {onnx_path}')


def export_input(batch, size, out, force):
    path = os.path.join(out, f'input-b{batch}-s{size}.npy')
    if not force and os.path.exists(path):
        return
    rng = np.random.default_rng(1000 * batch + size)
    np.save(path, rng.standard_normal((batch, 3, size, size), dtype=np.float32))
    print(f'wrote {path}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench', 'out'))
    parser.add_argument('--force', action='store_true', help='rewrite files that exist')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in torch_models.INPUT_SIZE:
        export_model(name, args.out, args.force)
    for batch, size in INPUTS:
        export_input(batch, size, args.out, args.force)


if __name__ == '__main__':
    main()
