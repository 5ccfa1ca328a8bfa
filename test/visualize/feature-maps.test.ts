/**
 * convFeatureMaps: one record per Conv2d in forward order, holding exactly
 * what the layers compute (ReLU(conv) when a ReLU follows), for the first
 * image of the batch; the model is left as it was found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { MaxPool2d } from '../../src/nn/layers/max-pool2d.js';
import { ReLU } from '../../src/nn/layers/relu.js';
import type { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { OnnxModel } from '../../src/onnx/onnx-model.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { convFeatureMaps, convFeatureMapsAsync, type FeatureMaps } from '../../src/visualize/index.js';

function seeded(name: string): Module {
  manualSeed(3);
  return createModel(name);
}

/** Image 0 of a batch, as a copy. */
const first = (t: Tensor): Float32Array => t.data.slice(0, t.numel / t.shape[0]);

/** The conv outputs computed by hand: each layer of the chain called on its own, nothing fused. */
function byHand(chain: Sequential, x: Tensor): Tensor[] {
  const outputs: Tensor[] = [];
  noGrad(() => {
    for (let i = 0; i < chain.length; i++) {
      const layer = chain.at(i);
      x = layer.call(x);
      if (layer instanceof Conv2d) outputs.push(x);
      else if (layer instanceof ReLU && i > 0 && chain.at(i - 1) instanceof Conv2d) outputs[outputs.length - 1] = x;
    }
  });
  return outputs;
}

test("torchvision AlexNet at 224: the five conv layers' shapes and names, after ReLU", () => {
  const model = seeded('alexnet').eval();
  const x = Tensor.rand([1, 3, 224, 224], 0, 1, new Generator(1));
  const layers = convFeatureMaps(model, x);
  assert.deepEqual(
    layers.map((l) => l.shape),
    [
      [64, 55, 55],
      [192, 27, 27],
      [384, 13, 13],
      [256, 13, 13],
      [256, 13, 13],
    ],
  );
  assert.deepEqual(
    layers.map((l) => l.name),
    ['features.0', 'features.3', 'features.6', 'features.8', 'features.10'],
  );
  assert.deepEqual(
    layers.map((l) => l.label),
    ['conv1 + ReLU', 'conv2 + ReLU', 'conv3 + ReLU', 'conv4 + ReLU', 'conv5 + ReLU'],
  );
  assert.ok(layers.every((l) => l.afterRelu && l.maps.length === l.shape[0] * l.shape[1] * l.shape[2]));
});

test('the captured maps are the layers run by hand, exactly, for the first image of the batch', () => {
  const model = seeded('alexnet').eval() as Module & { features: Sequential };
  const x = Tensor.rand([2, 3, 80, 80], -2, 2, new Generator(2));
  const layers = convFeatureMaps(model, x);
  const expected = byHand(model.features, x);
  assert.equal(layers.length, 5);
  for (const [i, layer] of layers.entries()) {
    assert.deepEqual(layer.shape, expected[i].shape.slice(1));
    assert.deepEqual(layer.maps, first(expected[i]), layer.name);
    assert.ok(
      layer.maps.every((v) => v >= 0),
      'after ReLU',
    );
    assert.ok(
      layer.maps.some((v) => v > 0),
      'not all zero',
    );
  }
  // The second image differs, so taking image 0 is a choice the test can see.
  const second = byHand(model.features, new Tensor(x.data.slice(3 * 80 * 80), [1, 3, 80, 80]));
  assert.notDeepEqual(layers[0].maps, second[0].data);
});

test("the paper's AlexNet (LRN between conv and pool): its five conv layers, after ReLU", () => {
  const model = seeded('alexnet-original-grouped').eval() as Module & { net: Sequential };
  const x = Tensor.rand([1, 3, 227, 227], 0, 1, new Generator(3));
  const layers = convFeatureMaps(model, x);
  assert.deepEqual(
    layers.map((l) => [l.name, ...l.shape]),
    [
      ['net.0', 96, 55, 55],
      ['net.4', 256, 27, 27],
      ['net.8', 384, 13, 13],
      ['net.10', 384, 13, 13],
      ['net.12', 256, 13, 13],
    ],
  );
  const expected = byHand(model.net, x);
  for (const [i, layer] of layers.entries()) assert.deepEqual(layer.maps, expected[i].data, layer.name);
});

test('a conv with no ReLU after it is captured as it is; a ReLU reading something else changes nothing', () => {
  manualSeed(4);
  const chain = new Sequential(new Conv2d(3, 4, 3), new MaxPool2d(2), new ReLU(), new Conv2d(4, 2, 3), new ReLU());
  const x = Tensor.rand([1, 3, 12, 12], -1, 1, new Generator(4));
  const layers = convFeatureMaps(chain, x);
  const conv1 = noGrad(() => chain.at(0).call(x));
  assert.deepEqual(
    layers.map((l) => [l.label, l.afterRelu]),
    [
      ['conv1', false],
      ['conv2 + ReLU', true],
    ],
  );
  assert.deepEqual(layers[0].maps, conv1.data);
  assert.ok(
    layers[0].maps.some((v) => v < 0),
    'conv1 is not rectified',
  );
});

test('the run is in eval mode; the model is left in its mode with no hooks, and the async run agrees', async () => {
  const model = seeded('alexnet');
  model.train();
  const modes: boolean[] = [];
  const dropout = [...model.namedModules()].find(([name]) => name === 'classifier.0')![1];
  const remove = dropout.registerForwardHook((m) => modes.push(m.training));
  const x = Tensor.rand([1, 3, 64, 64], 0, 1, new Generator(5));
  const sync = convFeatureMaps(model, x);
  const asyncLayers: FeatureMaps[] = await convFeatureMapsAsync(model, x);
  remove();
  assert.deepEqual(modes, [false, false], 'dropout ran in eval mode');
  assert.deepEqual(asyncLayers, sync);
  const modules = [...model.namedModules()].map(([, m]) => m);
  assert.ok(
    modules.every((m) => m.training && !m.hasForwardHooks),
    'back in training mode, hooks removed',
  );
});

test('an ONNX graph of the model gives the same maps (its Conv and Relu nodes are our layers)', () => {
  const model = seeded('alexnet').eval();
  const graph = new OnnxModel(exportOnnx(model, [3, 224, 224])).eval();
  const x = Tensor.rand([1, 3, 224, 224], 0, 1, new Generator(6));
  const native = convFeatureMaps(model, x);
  const onnx = convFeatureMaps(graph, x);
  assert.equal(onnx.length, 5);
  for (const [i, layer] of onnx.entries()) {
    assert.ok(layer.afterRelu, layer.name);
    assert.deepEqual(layer.shape, native[i].shape);
    assert.deepEqual(layer.maps, native[i].maps);
  }
});
