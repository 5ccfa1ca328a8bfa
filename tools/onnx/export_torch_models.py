#!/usr/bin/python3
"""Exports alexnet-ts's two models from PyTorch to ONNX, with reference data.

What: for each model
  alexnet           torchvision.models.alexnet(weights=None), 224x224 input
  alexnet-original  the article's AlexNetOriginal (src/models/alexnet-original.ts),
                    227x227 input, LRN(5, 1e-4, 0.75, 2), Dropout(0.5)
it writes into --out:
  <name>.onnx         torch.onnx.export, opset 13, input 'input', output 'logits',
                      batch axis dynamic ('batch'), model in eval mode
  <name>.pth          the state_dict (torch.save), loadable by alexnet-ts
  <name>-input.npy    a seeded float32 N(0, 1) input batch, shape [2, 3, S, S]
  <name>-output.npy   the model's eval() output on that input, computed by torch

Why: the TypeScript tests compare our own ONNX exporter/importer and
onnxruntime against PyTorch's exporter on the same weights: the .pth loads into
alexnet-ts, the .onnx into onnxruntime or our importer, and both must
reproduce <name>-output.npy.

The torch modules are bench/torch_models.py's (imported, not copied), so the
architecture and state_dict keys are exactly the benchmark's. Weights are
PyTorch's default initialization after torch.manual_seed(seed): with the
default seed 0 the .pth files equal bench/out's (tools/export_onnx.py). Note
that this is PyTorch's default init for AlexNetOriginal too, not the article's
N(0, 0.01) _init_weights: under it the two rows of the output differ by ~0.1%
of their rms, against ~2.5% with the default init (seed 0), so the default
init tests more of the input's path through the network.
The input of model number k (0 = alexnet, 1 = alexnet-original) comes from
numpy.random.default_rng([seed, k]).

torch 1.13 has no ONNX symbolic for LocalResponseNorm (F.local_response_norm is
Python composed of aten ops), so alexnet-original.onnx spells each LRN as ~50
nodes: Mul, Shape/Gather/Concat/Reshape, ConstantOfShape/Slice/Transpose/Cast,
two Pads, a 3-D AveragePool (kernel [5,1,1]), an If (then: Squeeze, else:
Identity, from squeeze(1) on a dynamic shape), Mul, Add, Pow and Div. With
--lrn-op the script also writes alexnet-original-lrn-op.onnx: the same model
and weights, but each LRN exported as one ONNX LRN node (size 5, alpha 1e-4,
beta 0.75, bias 2), which computes the same function (ONNX and torch both
divide by (k + alpha / size * sum of squares over channels c-2..c+2)^beta);
it is checked against the same -input.npy / -output.npy.

Files that exist are kept unless --force. A missing file is rebuilt from the
ones present (weights from an existing .pth, the output from an existing
input), so a partial folder never mixes two sets of weights.

Usage: /usr/bin/python3 tools/onnx/export_torch_models.py --out DIR [--seed S] [--force] [--lrn-op]
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
import torch_models  # noqa: E402  (bench/torch_models.py)

MODELS = ['alexnet', 'alexnet-original']
BATCH = 2
OPSET = 13


class _LRNFunction(torch.autograd.Function):
    """torch's LRN in forward; one ONNX LRN node when exported."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        # torch 1.13 calls g.op() deprecated, yet it is how later versions' GraphContext spells it.
        warnings.filterwarnings('ignore', message=".*_graph_op' is deprecated", category=FutureWarning)
        return g.op('LRN', x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class OnnxLRN(nn.Module):
    """Stands in for an nn.LocalResponseNorm (no parameters, so the state_dict is unchanged)."""

    def __init__(self, lrn):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = lrn.size, lrn.alpha, lrn.beta, lrn.k

    def forward(self, x):
        return _LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k)


def export_onnx(model, x, path):
    # Tracing needs an example input; any batch works since axis 0 is dynamic.
    torch.onnx.export(model, torch.from_numpy(x), path, opset_version=OPSET,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    # Not check_model(path, full_check=True): onnx 1.12 would write the inferred
    # shapes back into the file, and the file must stay torch's exact output.
    onnx.checker.check_model(onnx.load(path), full_check=True)


def export(name, index, out, seed, force, lrn_op):
    files = [('onnx', '.onnx'), ('pth', '.pth'), ('input', '-input.npy'), ('output', '-output.npy')]
    if lrn_op and name == 'alexnet-original':
        files.append(('onnx-lrn-op', '-lrn-op.onnx'))
    paths = {kind: os.path.join(out, name + suffix) for kind, suffix in files}
    todo = {kind for kind, path in paths.items() if force or not os.path.exists(path)}
    # New weights invalidate the output and the .onnx; a new input invalidates the output.
    if 'pth' in todo:
        todo |= {'onnx', 'output'} | ({'onnx-lrn-op'} & paths.keys())
    if 'input' in todo:
        todo.add('output')
    if not todo:
        print(f'{name}: all files exist (use --force to rewrite)')
        return
    start = time.time()

    torch.manual_seed(seed)
    model = torch_models.create(name)
    if 'pth' in todo:
        torch.save(model.state_dict(), paths['pth'])
    else:
        # Keep the other files consistent with the weights already on disk.
        model.load_state_dict(torch.load(paths['pth']))
    model.eval()

    size = torch_models.INPUT_SIZE[name]
    if 'input' in todo:
        x = np.random.default_rng([seed, index]).standard_normal((BATCH, 3, size, size), dtype=np.float32)
        np.save(paths['input'], x)
    else:
        x = np.load(paths['input'])

    if 'output' in todo:
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy()
        np.save(paths['output'], y)

    if 'onnx' in todo:
        export_onnx(model, x, paths['onnx'])

    if 'onnx-lrn-op' in todo:
        for i, layer in enumerate(model.net):
            if isinstance(layer, nn.LocalResponseNorm):
                model.net[i] = OnnxLRN(layer)
        export_onnx(model, x, paths['onnx-lrn-op'])

    print(f'{name}: wrote {", ".join(sorted(os.path.basename(p) for k, p in paths.items() if k in todo))}'
          f' in {time.time() - start:.1f} s')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output folder (created if missing)')
    parser.add_argument('--seed', type=int, default=0, help='seed for the weights and the inputs (default 0)')
    parser.add_argument('--force', action='store_true', help='rewrite files that exist')
    parser.add_argument('--lrn-op', action='store_true',
                        help='also write alexnet-original-lrn-op.onnx, with each LRN as one ONNX LRN node')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for index, name in enumerate(MODELS):
        export(name, index, args.out, args.seed, args.force, args.lrn_op)


if __name__ == '__main__':
    main()
