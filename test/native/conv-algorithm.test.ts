/**
 * Which algorithm a packed convolution runs (describeConvAlgorithm): the
 * choice the packing makes per layer shape (and bf16 kernel set), checked on
 * AlexNet's layers, so that a change that silently loses a fast path
 * (space-to-depth Winograd for conv1, F(4×4, 5×5) for conv2, F(5×5, 3×3) for
 * conv3-5; AMX's pair planes for every bf16 layer) fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import type { Conv2dGeometry } from '../../src/backend/backend.js';
import type { Bf16Level } from '../../src/node/native/addon.js';
import { withBackend } from '../../src/backend/registry.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { convGeometry, convSizes } from '../helpers/kernel-geometry.js';
import { addon, reference, skipWithoutAddon } from './native-helpers.js';

const SPACE_TO_DEPTH = 'Winograd F(5×5, 3×3) after 4×4 space-to-depth';

const AMX = 'direct (AMX tiles on pair planes), bf16';
const AMX_SPACE_TO_DEPTH = (s: number): string => `direct (AMX tiles on pair planes) after ${s}×${s} space-to-depth, bf16`;

/** AlexNet's layers (torchvision's, at 224) and what inference packs them as, in fp32 and with each bf16 kernel set. */
const ALEXNET_LAYERS: { name: string; g: Conv2dGeometry; fp32: string; bf16: Record<Bf16Level, string> }[] = [
  {
    name: 'conv1',
    g: convGeometry({ batch: 1, inChannels: 3, inH: 224, inW: 224, outChannels: 64, kernel: 11, stride: 4, pad: 2 }),
    fp32: SPACE_TO_DEPTH,
    // AVX512-BF16: fp32 Winograd in bf16 mode too (faster than direct bf16, and exact).
    bf16: { avx512_bf16: SPACE_TO_DEPTH, amx: AMX_SPACE_TO_DEPTH(4) },
  },
  {
    name: 'conv2',
    g: convGeometry({ batch: 1, inChannels: 64, inH: 27, inW: 27, outChannels: 192, kernel: 5, pad: 2 }),
    fp32: 'Winograd F(4×4, 5×5)',
    bf16: { avx512_bf16: 'Winograd F(4×4, 5×5)', amx: AMX },
  },
  {
    name: 'conv4',
    g: convGeometry({ batch: 1, inChannels: 384, inH: 13, inW: 13, outChannels: 256, kernel: 3, pad: 1 }),
    fp32: 'Winograd F(5×5, 3×3)',
    bf16: { avx512_bf16: 'Winograd F(2×2, 3×3), bf16', amx: AMX },
  },
  {
    name: 'a 3×3 stride-2 layer',
    g: convGeometry({ batch: 1, inChannels: 32, inH: 15, inW: 15, outChannels: 32, kernel: 3, stride: 2, pad: 1 }),
    fp32: 'direct (implicit im2col)',
    bf16: { avx512_bf16: 'direct (implicit im2col), bf16', amx: AMX_SPACE_TO_DEPTH(2) },
  },
];

test('packed convolutions name the algorithm they run (AlexNet: conv1 by space-to-depth Winograd)', { skip: skipWithoutAddon }, () => {
  const native = addon();
  const gen = new Generator(3);
  const bf16 = native.precisionSupport('bf16') === null;
  for (const layer of ALEXNET_LAYERS) {
    const w = Tensor.randn([convSizes(layer.g).w], 0, 0.1, gen).data;
    const fp32 = native.packConv2dWeight(layer.g, w);
    assert.equal(fp32.algorithm, layer.fp32, `${layer.name}, fp32`);
    fp32.dispose();
    if (!bf16) continue;
    const levels = native.info().bf16Levels;
    try {
      for (const level of levels) {
        assert.equal(native.setBf16(level), level);
        const packed = native.packConv2dWeight(layer.g, w, 'bf16');
        assert.equal(packed.algorithm, layer.bf16[level], `${layer.name}, bf16 on ${level}`);
        packed.dispose();
      }
    } finally {
      native.setBf16(levels[levels.length - 1]);
    }
  }
});

test('Conv2d.packedAlgorithm says what an inference call packed, and nothing before', { skip: skipWithoutAddon }, () => {
  const model = createModel('alexnet', { numClasses: 10 }).eval();
  const conv1 = [...model.namedModules()].find(([name]) => name === 'features.0')?.[1];
  assert.ok(conv1 instanceof Conv2d, 'features.0 is a Conv2d');
  assert.equal(conv1.packedAlgorithm, null, 'not packed before the first inference call');
  withBackend(addon(), () => {
    noGrad(() => model.call(Tensor.randn([1, 3, 224, 224], 0, 1, new Generator(4))));
    assert.equal(conv1.packedAlgorithm, SPACE_TO_DEPTH);
  });
  // Under another backend (the js reference, which packs nothing) the native packing is not current.
  withBackend(reference, () => assert.equal(conv1.packedAlgorithm, null, 'the packing belongs to the native backend'));
});
