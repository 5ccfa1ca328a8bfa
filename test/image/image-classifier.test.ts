/**
 * ImageClassifier runs its model in eval mode: a model fresh from
 * createModel() is in training mode (as torch's), and its dropout made the
 * same picture come out as a different class on each call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dropout, Flatten, Linear, Sequential } from '../../src/nn/index.js';
import { ImageClassifier } from '../../src/node/classify/image-classifier.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('a model given in training mode classifies in eval mode: the same input, the same answer', async () => {
  manualSeed(1);
  const model = new Sequential(new Flatten(), new Dropout(0.5), new Linear(3 * 8 * 8, 4));
  assert.equal(model.training, true);
  const classifier = new ImageClassifier({ model, inputSize: 8, numClasses: 4 });
  assert.equal(model.training, false);
  const rows = Tensor.rand([1, 3, 8, 8], -1, 1, new Generator(2)).data;
  const first = await classifier.forward(rows, 1);
  const second = await classifier.forward(rows, 1);
  assert.deepEqual([...second], [...first]);
});

test('top() refuses a k the model cannot give, as torch.topk does, and keeps the order of the rest', () => {
  const model = new Sequential(new Flatten(), new Linear(3 * 8 * 8, 4));
  const classifier = new ImageClassifier({ model, inputSize: 8, numClasses: 4 });
  const probs = new Float32Array([0.1, 0.4, 0.2, 0.3]);
  assert.deepEqual(
    classifier.top(probs, 1, 4)[0].map((p) => p.index),
    [1, 3, 2, 0],
  );
  for (const k of [5, 0, 1.5]) assert.throws(() => classifier.top(probs, 1, k), new RegExp(`k = ${k}, expected an integer from 1 to 4`));
});
