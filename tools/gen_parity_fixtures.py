#!/usr/bin/python3
"""Parity fixtures: what torch 1.13 / torchvision 0.14 compute, for test/parity/.

Run with Debian's python (it has torch):  /usr/bin/python3 tools/gen_parity_fixtures.py

Writes, under test/fixtures/parity/ (or --out-dir):
  ops/<family>.json        per case: inputs, the forward output, a random upstream
                           gradient g and the gradients of every input after out.backward(g)
  models/<model>-<H>x<W>.json
                           a whole model in eval mode on deterministic weights and input:
                           logits, loss, and per parameter the gradient's norm and a
                           deterministic sample of its entries (the 61M weights are never stored)
  models/meta.json         state_dict keys and shapes, parameter counts, repr, and which
                           input sizes each model accepts

Everything is seeded: running it twice gives the same bytes. Tensors are stored as
{"shape": [...], "dtype": "float32" | "int32", "data": base64 of little-endian values}.

The deterministic weights use one formula, written here and in test/helpers/deterministic.ts:
each parameter (index k in state_dict order, counting from 1; the input uses k = 0) gets
    h = fmix32((i + k * 0x9E3779B9) mod 2^32)            (murmur3's finalizer)
    u = (h >> 8) / 2^24 * 2 - 1                          (uniform in [-1, 1), 24 bits)
    w[i] = float32(scale * u),  scale = sqrt(6 / fan_in) for weights (fan_in = prod(shape[1:])),
                                scale = 0.1 for biases, 1 for the input
Integer hashing is bit-exact in both languages and fast (61M values in well under a second
in JavaScript, where Math.sin would take several seconds).
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------
# Encoding


def enc(t):
    """A tensor (or array) as shape + dtype + base64 of its little-endian bytes."""
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype in (np.int64, np.int32):
        a = a.astype('<i4')
        dtype = 'int32'
    else:
        a = a.astype('<f4')
        dtype = 'float32'
    return {'shape': list(a.shape), 'dtype': dtype, 'data': base64.b64encode(np.ascontiguousarray(a).tobytes()).decode('ascii')}


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write('\n')
    print(f'wrote {os.path.relpath(path, REPO)} ({os.path.getsize(path):,} bytes)')


def header():
    return {'generator': 'tools/gen_parity_fixtures.py', 'torch': torch.__version__, 'torchvision': torchvision.__version__}

# ---------------------------------------------------------------------------
# Op fixtures


def run_case(name, fn, inputs, args, constants=None):
    """fn(**inputs, **constants) -> output; records output, upstream gradient and input gradients.

    `args` are the hyperparameters under the TypeScript option names (the test passes them on);
    `fn` closes over them in torch's spelling.
    """
    constants = constants or {}
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves, **constants)
    # Upstream gradient: random, so every output element's gradient path is exercised.
    g = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(0.75)
    out.backward(g)
    return {
        'name': name,
        'args': args,
        'inputs': {k: enc(v) for k, v in inputs.items()},
        'constants': {k: enc(v) for k, v in constants.items()},
        'output': enc(out),
        'gradOutput': enc(g),
        'grads': {k: enc(v.grad) for k, v in leaves.items()},
    }


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def conv_cases():
    torch.manual_seed(101)
    cases = []

    def conv(name, x, w, bias=True, stride=1, padding=0, dilation=1, groups=1):
        inputs = {'x': torch.randn(x), 'weight': torch.randn(w) / (w[1] * w[2] * w[3]) ** 0.5}
        if bias:
            inputs['bias'] = torch.randn(w[0]) * 0.1
        args = {'stride': list(pair(stride)), 'padding': list(pair(padding)), 'dilation': list(pair(dilation)), 'groups': groups}

        def fn(x, weight, bias=None):
            return F.conv2d(x, weight, bias, stride=pair(stride), padding=pair(padding), dilation=pair(dilation), groups=groups)
        cases.append(run_case(name, fn, inputs, args))

    conv('odd sizes 7x9, 3x3 kernel', (2, 3, 7, 9), (4, 3, 3, 3))
    conv('stride 3 > kernel 2', (2, 3, 11, 10), (4, 3, 2, 2), stride=3)
    conv('padding 2 (wider than half the kernel)', (1, 3, 5, 6), (2, 3, 3, 3), padding=2)
    conv('dilation 2 with padding 2', (1, 2, 9, 8), (3, 2, 3, 3), padding=2, dilation=2)
    conv('groups 2', (2, 4, 6, 5), (6, 2, 3, 3), padding=1, groups=2)
    conv('depthwise (groups = channels)', (2, 4, 6, 6), (4, 1, 3, 3), padding=1, groups=4)
    conv('depthwise, channel multiplier 2, stride 2', (1, 3, 7, 5), (6, 1, 3, 3), stride=2, groups=3)
    conv('no bias, stride 2, padding 1', (2, 3, 6, 7), (4, 3, 3, 3), bias=False, stride=2, padding=1)
    conv('1x1 kernel', (2, 5, 4, 3), (7, 5, 1, 1))
    conv('1x1 input, 1x1 kernel', (2, 3, 1, 1), (4, 3, 1, 1))
    conv('1x1 input, 3x3 kernel, padding 1', (2, 3, 1, 1), (5, 3, 3, 3), padding=1)
    conv('rectangular kernel/stride/padding/dilation', (2, 3, 9, 7), (5, 3, 3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    conv('rectangular, stride wider than tall', (1, 2, 8, 11), (3, 2, 2, 4), stride=(1, 3), padding=(0, 2))
    conv('AlexNet conv1 geometry (11x11, stride 4, padding 2)', (1, 2, 19, 23), (3, 2, 11, 11), stride=4, padding=2)
    conv('deep reduction (K = 144 per group > 128), groups 2, no bias', (1, 32, 4, 3), (4, 16, 3, 3), padding=1, groups=2, bias=False)
    return cases


def linear_cases():
    torch.manual_seed(202)
    cases = []

    def lin(name, x, out_features, bias=True):
        in_features = x[-1]
        inputs = {'x': torch.randn(x), 'weight': torch.randn(out_features, in_features) / in_features ** 0.5}
        if bias:
            inputs['bias'] = torch.randn(out_features) * 0.1

        def fn(x, weight, bias=None):
            return F.linear(x, weight, bias)
        cases.append(run_case(name, fn, inputs, {}))

    lin('with bias', (4, 6), 5)
    lin('without bias', (3, 9), 4, bias=False)
    lin('batch 1', (1, 13), 7)
    lin('3-D input [2, 3, in]', (2, 3, 10), 6)
    lin('1-D input [in]', (11,), 3)
    lin('odd widths (9 outputs, 70 inputs)', (3, 70), 9)
    return cases


def relu_cases():
    torch.manual_seed(303)
    x = torch.randn(2, 3, 4, 5)
    flat = x.view(-1)
    flat[::5] = 0.0          # exact zeros: torch's gradient there is 0
    flat[1::7] = -0.0        # negative zeros too
    small = torch.tensor([-2.0, -0.0, 0.0, 1e-30, -1e-30, 3.5, 0.0])
    return [
        run_case('[2, 3, 4, 5] with exact zeros', lambda x: F.relu(x), {'x': x}, {}),
        run_case('signed zeros and tiny values', lambda x: F.relu(x), {'x': small}, {}),
    ]


def lrn_cases():
    torch.manual_seed(404)
    cases = []

    def lrn(name, x, size, alpha=1e-4, beta=0.75, k=1.0, scale=1.0):
        args = {'size': size, 'alpha': alpha, 'beta': beta, 'k': k}
        cases.append(run_case(name, lambda x: F.local_response_norm(x, size, alpha, beta, k), {'x': torch.randn(x) * scale}, args))

    lrn('AlexNet parameters (5, 1e-4, 0.75, 2)', (2, 8, 3, 3), 5, 1e-4, 0.75, 2.0, scale=3.0)
    lrn('AlexNet parameters on ReLU-scale activations', (1, 7, 2, 3), 5, 1e-4, 0.75, 2.0, scale=40.0)
    lrn('odd n = 3, large alpha', (2, 6, 4, 3), 3, 1.0, 0.75, 1.0)
    lrn('even n = 4, large alpha', (1, 7, 3, 3), 4, 0.5, 0.6, 1.5)
    lrn('even n = 2', (2, 5, 2, 3), 2, 2.0, 0.9, 0.5)
    lrn('n = 1', (1, 4, 3, 2), 1, 1.0, 0.75, 1.0)
    lrn('n = 7 larger than C = 3', (2, 3, 3, 2), 7, 1.5, 0.75, 1.0)
    lrn('n = 6 larger than C = 4 (even)', (1, 4, 2, 2), 6, 1.0, 0.5, 1.0)
    lrn('3-D input [N, C, L], odd n', (2, 6, 5), 3, 1.0, 0.75, 1.0)
    lrn('3-D input [N, C, L], even n', (3, 4, 7), 4, 0.8, 0.75, 2.0)
    lrn('5-D input [N, C, D, H, W]', (1, 5, 2, 3, 2), 3, 1.0, 0.75, 1.0)
    lrn('default parameters (alpha 1e-4, beta 0.75, k 1), large inputs', (1, 6, 3, 3), 5, scale=30.0)
    return cases


def max_pool_cases():
    torch.manual_seed(505)
    cases = []

    def mp(name, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False, values=None):
        xin = values if values is not None else torch.randn(x)
        s = kernel if stride is None else stride
        args = {'kernelSize': list(pair(kernel)), 'stride': list(pair(s)), 'padding': list(pair(padding)),
                'dilation': list(pair(dilation)), 'ceilMode': ceil_mode}
        fn = lambda x: F.max_pool2d(x, pair(kernel), pair(s), pair(padding), pair(dilation), ceil_mode)
        cases.append(run_case(name, fn, {'x': xin}, args))

    def coarse(shape, step=0.5):
        # Values on a coarse grid: many ties inside each window.
        return torch.round(torch.randn(shape) / step) * step

    mp('3x3 stride 2 (AlexNet)', (1, 3, 13, 13), 3, 2)
    mp('2x2, stride defaults to the kernel', (1, 2, 7, 8), 2)
    mp('padding 1', (1, 2, 7, 7), 3, 2, padding=1)
    mp('dilation 2', (1, 2, 9, 10), 3, 1, dilation=2)
    mp('dilation 2 with padding 1 and stride 2', (1, 2, 8, 9), 3, 2, padding=1, dilation=2)
    mp('ceil_mode adds a partial window (8 -> 4 instead of 3)', (1, 2, 8, 8), 3, 2, ceil_mode=True)
    mp('ceil_mode drops the window that would start in the padding (5, k2 s2 p1 -> 3)', (1, 2, 5, 5), 2, 2, padding=1, ceil_mode=True)
    mp('ceil_mode, stride 3, last window of one element', (1, 1, 10, 10), 2, 3, ceil_mode=True)
    mp('ceil_mode with no change (exact fit)', (1, 1, 7, 7), 3, 2, ceil_mode=True)
    mp('rectangular kernel, stride and padding', (2, 2, 9, 7), (3, 2), (2, 1), padding=(1, 0))
    mp('ties: coarse grid, 3x3 stride 2', (2, 3, 10, 10), 3, 2, values=coarse((2, 3, 10, 10)))
    mp('ties: integers, overlapping 3x3 stride 1', (1, 2, 7, 7), 3, 1, values=coarse((1, 2, 7, 7), 1.0))
    mp('ties: constant plane, padding and ceil_mode', (1, 1, 6, 6), 3, 2, padding=1, ceil_mode=True, values=torch.full((1, 1, 6, 6), -1.5))
    mp('ties: coarse grid with dilation and padding', (1, 2, 9, 9), 3, 2, padding=1, dilation=2, values=coarse((1, 2, 9, 9)))
    return cases


def adaptive_cases():
    torch.manual_seed(606)
    cases = []

    def aap(name, x, out):
        cases.append(run_case(name, lambda x: F.adaptive_avg_pool2d(x, out), {'x': torch.randn(x)}, {'outputSize': list(pair(out))}))

    aap('13 -> 6 (AlexNet at 224)', (1, 3, 13, 13), (6, 6))
    aap('5 -> 6 (upsampling, overlapping windows)', (1, 2, 5, 5), (6, 6))
    aap('7 -> 3', (2, 2, 7, 7), (3, 3))
    aap('1 -> 6 (AlexNet at 63)', (2, 3, 1, 1), (6, 6))
    aap('6 -> 6 (identity)', (1, 2, 6, 6), (6, 6))
    aap('non-square 9x5 -> 4x3', (1, 2, 9, 5), (4, 3))
    aap('non-square 2x11 -> 6x4', (1, 3, 2, 11), (6, 4))
    aap('3-D input [C, H, W]', (3, 7, 5), (2, 4))
    return cases


def softmax_cases():
    torch.manual_seed(707)
    cases = []

    def large():
        # Rows of ±1e4 (+ small noise, so the gradient is not all zeros) and one row of spread ±1e4 values.
        x = torch.randn(4, 6)
        x[0] += 1e4
        x[1] -= 1e4
        x[2] = torch.tensor([1e4, -1e4, 1e4, 0.0, -3e3, 9999.0])
        x[3] = torch.tensor([-1e4, -1e4 + 1, -1e4 + 2, -1e4, -1e4 + 0.5, -1e4 - 1])
        return x

    for fname, fn in (('logSoftmax', lambda x: F.log_softmax(x, dim=-1)), ('softmax', lambda x: F.softmax(x, dim=-1))):
        def case(name, x):
            c = run_case(f'{fname}: {name}', fn, {'x': x}, {'fn': fname})
            cases.append(c)
        case('[3, 7]', torch.randn(3, 7) * 2)
        case('[2, 3, 5], last dimension', torch.randn(2, 3, 5))
        case('[1, 300]', torch.randn(1, 300) * 3)
        case('[2, 1], one class', torch.randn(2, 1))
        case('large logits ±1e4', large())
    return cases


def loss_cases():
    torch.manual_seed(808)
    cases = []

    def ce(name, logits, targets):
        t = torch.tensor(targets, dtype=torch.int64)
        cases.append(run_case(f'crossEntropy: {name}', lambda x, targets: F.cross_entropy(x, targets), {'x': logits}, {'fn': 'crossEntropy'}, {'targets': t}))

    def nll(name, logp, targets):
        t = torch.tensor(targets, dtype=torch.int64)
        cases.append(run_case(f'nllLoss: {name}', lambda x, targets: F.nll_loss(x, targets), {'x': logp}, {'fn': 'nllLoss'}, {'targets': t}))

    ce('[4, 10]', torch.randn(4, 10) * 2, [3, 0, 9, 3])
    ce('batch 1', torch.randn(1, 5), [4])
    ce('[6, 37]', torch.randn(6, 37), [0, 36, 5, 5, 17, 22])
    big = torch.randn(3, 5)
    big[0] = torch.tensor([1e4, -1e4, 0.0, 5e3, -2.0])
    big[1] = torch.tensor([-1e4, -1e4, -1e4, -1e4 + 3, -1e4 - 2])
    big[2] += 1e4
    ce('large logits ±1e4', big, [1, 3, 2])
    nll('[4, 6] log-probabilities', F.log_softmax(torch.randn(4, 6), dim=-1), [5, 0, 2, 2])
    return cases


def arithmetic_cases():
    torch.manual_seed(909)
    a, b = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    return [
        run_case('add', lambda a, b: a + b, {'a': a, 'b': b}, {'fn': 'add'}),
        run_case('sub', lambda a, b: a - b, {'a': a, 'b': b}, {'fn': 'sub'}),
        run_case('mul', lambda a, b: a * b, {'a': a, 'b': b}, {'fn': 'mul'}),
        run_case('mulScalar by -0.37', lambda a: a * -0.37, {'a': a}, {'fn': 'mulScalar', 'scalar': -0.37}),
        run_case('sum', lambda a: a.sum(), {'a': a}, {'fn': 'sum'}),
        run_case('mean', lambda a: a.mean(), {'a': torch.randn(3, 7)}, {'fn': 'mean'}),
        # Compared to the bit (args.bitwise): torch multiplies by the scalar cast to float32, and divides a mean's
        # sum (exact here: multiples of 1/8) and its gradient by the count, which 1/n as a factor misses by an ulp.
        run_case('mulScalar by 0.37, bitwise', lambda a: a * 0.37, {'a': torch.randn(4096)}, {'fn': 'mulScalar', 'scalar': 0.37, 'bitwise': True}),
        *[
            run_case(f'mean of {n}, bitwise', lambda a: a.mean(), {'a': torch.randint(-400, 400, (n,)) / 8}, {'fn': 'mean', 'bitwise': True})
            for n in (3, 7, 11, 13, 49, 97)
        ],
    ]


OP_FAMILIES = {
    'conv2d': conv_cases,
    'linear': linear_cases,
    'relu': relu_cases,
    'local_response_norm': lrn_cases,
    'max_pool2d': max_pool_cases,
    'adaptive_avg_pool2d': adaptive_cases,
    'softmax': softmax_cases,
    'loss': loss_cases,
    'arithmetic': arithmetic_cases,
}


def write_ops(out_dir):
    for family, make in OP_FAMILIES.items():
        write_json(os.path.join(out_dir, 'ops', f'{family}.json'), {**header(), 'op': family, 'cases': make()})

# ---------------------------------------------------------------------------
# Models


class LocalResponseNorm(nn.LocalResponseNorm):
    """torch's LRN within `groups` consecutive channel groups (src/nn/layers/local-response-norm.ts): the paper's two
    GPUs each normalized only their own kernel maps. groups=1 is torch's layer, repr included."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0, groups=1):
        super().__init__(size, alpha, beta, k)
        self.groups = groups

    def forward(self, x):
        if self.groups == 1:
            return super().forward(x)
        n, c = x.shape[:2]
        return super().forward(x.reshape(n * self.groups, c // self.groups, *x.shape[2:])).reshape(x.shape)

    def extra_repr(self):
        return super().extra_repr() + ('' if self.groups == 1 else f', groups={self.groups}')


class AlexNetOriginal(nn.Module):
    """The article's model, verbatim, plus `groups` for the two-GPU form (groups=2 on conv2, conv4, conv5, and
    each tower's LRN on its own maps)."""

    def __init__(self, num_classes=1000, groups=1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4),  # conv1
            nn.ReLU(inplace=True),
            LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2, groups=groups),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=groups),  # conv2
            nn.ReLU(inplace=True),
            LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2, groups=groups),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),  # conv3
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=groups),  # conv4
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=groups),  # conv5
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(in_features=(256 * 6 * 6), out_features=4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5, inplace=True),
            nn.Linear(in_features=4096, out_features=4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5, inplace=True),
            nn.Linear(in_features=4096, out_features=num_classes),
        )
        self._init_weights()

    def _init_weights(self):
        for layer in self.net:
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, mean=0, std=0.01)
                nn.init.constant_(layer.bias, 0)
        nn.init.constant_(self.net[4].bias, 1)
        nn.init.constant_(self.net[10].bias, 1)
        nn.init.constant_(self.net[12].bias, 1)

    def forward(self, x):
        # The article omits forward(); this is the only order the layers allow.
        x = self.net(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def make_model(name):
    if name == 'alexnet':
        return torchvision.models.alexnet(weights=None)
    if name == 'alexnet-original':
        return AlexNetOriginal()
    if name == 'alexnet-original-grouped':
        return AlexNetOriginal(groups=2)
    raise ValueError(name)


MODELS = ('alexnet', 'alexnet-original', 'alexnet-original-grouped')
# (model, height, width): torchvision's size, its minimum, a non-square one, and the article's 227.
MODEL_CASES = (('alexnet', 224, 224), ('alexnet', 63, 63), ('alexnet', 100, 80),
               ('alexnet-original', 227, 227), ('alexnet-original-grouped', 227, 227))
LABELS = (3, 997)
SAMPLES = 256


def hash_uniform(n, k):
    """Uniform values in [-1, 1) from murmur3's fmix32 of (i + k·0x9E3779B9) mod 2^32, bit-exact with the TypeScript."""
    h = np.arange(n, dtype=np.uint32) + np.uint32((k * 0x9E3779B9) & 0xFFFFFFFF)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return (h >> np.uint32(8)).astype(np.float64) / 16777216.0 * 2.0 - 1.0


def deterministic_scale(shape):
    if len(shape) >= 2:
        return float(np.sqrt(6.0 / float(np.prod(shape[1:]))))
    return 0.1


def deterministic_tensor(shape, k, scale):
    n = int(np.prod(shape))
    return torch.from_numpy((scale * hash_uniform(n, k)).astype(np.float32).reshape(shape))


def fill_deterministic(model):
    with torch.no_grad():
        for k, (name, t) in enumerate(model.state_dict().items(), start=1):
            t.copy_(deterministic_tensor(tuple(t.shape), k, deterministic_scale(tuple(t.shape))))


def evenly_spaced(n, count):
    return np.arange(n) if n <= count else (np.arange(count, dtype=np.int64) * n) // count


def model_case(name, h, w):
    model = make_model(name).eval()
    fill_deterministic(model)
    x = deterministic_tensor((2, 3, h, w), 0, 1.0)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    params = []
    for (pname, p) in model.named_parameters():
        g = p.grad.detach().reshape(-1)
        idx = evenly_spaced(g.numel(), SAMPLES)
        params.append({
            'name': pname,
            'shape': list(p.shape),
            # Checksum of the deterministic values, so a formula mismatch shows up as such.
            'valueSum': float(p.detach().double().sum()),
            'gradNorm': float(g.double().norm()),
            'gradSum': float(g.double().sum()),
            'samples': enc(g[torch.from_numpy(idx)]),
        })
    return {
        **header(),
        'model': name,
        'input': {'shape': [2, 3, h, w], 'k': 0, 'scale': 1.0, 'valueSum': float(x.double().sum())},
        'labels': list(LABELS),
        'samplesPerParameter': SAMPLES,
        'logits': enc(logits),
        'loss': float(loss),
        'parameters': params,
    }


def accepts(model, h, w):
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, h, w))
        return True
    except RuntimeError:
        return False


# Sizes probed on each model: around the minimum and (for the fixed-classifier models) the maximum.
PROBES = {
    'alexnet': [(61, 61), (62, 62), (63, 63), (64, 64), (62, 100), (100, 62), (63, 200), (300, 300)],
    'alexnet-original': [(225, 225), (226, 226), (227, 227), (230, 230), (231, 231), (240, 240), (258, 258),
                         (259, 259), (260, 260), (226, 240), (240, 259), (227, 258)],
}
PROBES['alexnet-original-grouped'] = PROBES['alexnet-original']


def write_models(out_dir):
    for name, h, w in MODEL_CASES:
        write_json(os.path.join(out_dir, 'models', f'{name}-{h}x{w}.json'), model_case(name, h, w))
    meta = {**header(), 'models': {}}
    for name in MODELS:
        model = make_model(name).eval()
        meta['models'][name] = {
            'stateDict': [[k, list(v.shape)] for k, v in model.state_dict().items()],
            'numParameters': sum(p.numel() for p in model.parameters()),
            'repr': repr(model),
            'inputProbes': [[h, w, accepts(model, h, w)] for h, w in PROBES[name]],
        }
    write_json(os.path.join(out_dir, 'models', 'meta.json'), meta)

# ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', default=os.path.join(REPO, 'test', 'fixtures', 'parity'))
    parser.add_argument('--only', choices=('ops', 'models'), help='write only this part')
    args = parser.parse_args()
    torch.set_num_threads(1)  # reproducible reductions
    torch.use_deterministic_algorithms(True)
    if args.only in (None, 'ops'):
        write_ops(args.out_dir)
    if args.only in (None, 'models'):
        write_models(args.out_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
