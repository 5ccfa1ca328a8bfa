/**
 * A model whose forward is a chain (Module.forwardIsChain: AlexNet's features →
 * avgpool → flatten → classifier) hands each call's output back to the buffer
 * pool once the next call has run on it, as Sequential does between its
 * layers: in inference at once, in training after backward. What a hook or
 * the caller holds is never recycled, and results do not change.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { AdaptiveAvgPool2d, Conv2d, Flatten, type ForwardSteps, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/sgd.js';
import { crossEntropy } from '../../src/ops/loss.js';
import { clearBufferPool, takeBuffer } from '../../src/tensor/buffer-pool.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { graphTensors } from '../helpers/autograd-graph.js';

/** features: [2, 8, 32, 32] (16,384 floats), pooled to 8×8×8 per image; the pools keep arrays of 4,096 floats or more. */
class ChainNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  protected override readonly forwardIsChain: boolean;

  constructor(chain: boolean) {
    super();
    manualSeed(11);
    this.forwardIsChain = chain;
    this.features = this.registerModule('features', new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(true), new MaxPool2d(2)));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([32, 32]));
    this.classifier = this.registerModule('classifier', new Sequential(new Linear(8 * 32 * 32, 10)));
  }

  protected override *forwardSteps(x: Tensor): ForwardSteps {
    x = yield [this.features, x];
    x = yield [this.avgpool, x];
    x = x.flatten(1);
    return yield [this.classifier, x];
  }
}

const FEATURES = 2 * 8 * 32 * 32;

function pooledOfLength(length: number): number {
  const taken: Float32Array[] = [];
  // Takes arrays of this length until a fresh (zero-filled, never written) one comes.
  for (;;) {
    const a = takeBuffer(length);
    if (a.every((v) => v === 0)) break;
    taken.push(a);
  }
  return taken.length;
}

test('inference: the features and avgpool outputs go back to the pool, and passes give the same logits', () => {
  manualSeed(12);
  const x = Tensor.randn([2, 3, 64, 64]);
  for (const chain of [false, true]) {
    clearBufferPool();
    const model = new ChainNet(chain).eval();
    const first = noGrad(() => model.call(x));
    const firstData = Float32Array.from(first.data);
    // The conv output is recycled inside features (Sequential) either way; its max pool's output of
    // 16,384 floats and the avgpool's only when the model declares its forward a chain.
    assert.equal(pooledOfLength(FEATURES), chain ? 2 : 0, `forwardIsChain ${chain}`);
    clearBufferPool();
    noGrad(() => model.call(x));
    const second = noGrad(() => model.call(x));
    assert.deepEqual(second.data, firstData);
    assert.deepEqual(first.data, firstData, 'the returned logits are the caller’s');
  }
  clearBufferPool();
});

test('inference: an output a hook kept is not recycled', () => {
  clearBufferPool();
  const model = new ChainNet(true).eval();
  const kept: Tensor[] = [];
  model.features.at(2).registerForwardHook((_m, _input, output) => kept.push(output));
  manualSeed(13);
  noGrad(() => model.call(Tensor.randn([2, 3, 64, 64])));
  const snapshot = Float32Array.from(kept[0].data);
  noGrad(() => model.call(Tensor.randn([2, 3, 64, 64])));
  assert.deepEqual(kept[0].data, snapshot, 'a later pass overwrote the hooked features output');
  assert.equal(pooledOfLength(FEATURES), 1, 'only the avgpool output went back');
  clearBufferPool();
});

test('training: the chain marks its outputs for release after backward and trains exactly as without', () => {
  const train = (chain: boolean): Float32Array => {
    clearBufferPool();
    const model = new ChainNet(chain).train();
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    manualSeed(14);
    const x = Tensor.randn([2, 3, 64, 64]);
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad({ recycle: true });
      const logits = model.call(x);
      const features = logits.gradFn!.inputs.find((t) => t !== null && t.data.length === FEATURES);
      if (chain && step === 0) assert.equal(features?.releaseAfterBackward, false, 'the flatten view itself is never marked');
      crossEntropy(logits, Int32Array.from([1, 7])).backward();
      optimizer.step();
    }
    return Float32Array.from([...model.features.at<Conv2d>(0).weight.data, ...model.classifier.at<Linear>(0).weight.data]);
  };
  assert.deepEqual(train(true), train(false));
  clearBufferPool();
});

test('training: the avgpool output (under the flatten view) is marked, not the view', () => {
  clearBufferPool();
  const model = new ChainNet(true).train();
  manualSeed(15);
  const logits = model.call(Tensor.randn([2, 3, 64, 64]));
  const graph = graphTensors(logits);
  const marked = graph.filter((t) => t.releaseAfterBackward);
  const byName = (name: string): Tensor[] => marked.filter((t) => t.gradFn?.name === name);
  assert.equal(byName('AdaptiveAvgPool2dBackward').length, 1, 'the avgpool output');
  assert.equal(byName('MaxPool2dBackward').length, 1, 'the features output');
  assert.equal(marked.filter((t) => t.gradFn?.name.startsWith('Reshape') || t.gradFn?.name.startsWith('View')).length, 0);
  assert.equal(logits.releaseAfterBackward, false);
  clearBufferPool();
});

test('training: a nested Sequential ending in a view after LRN gives the gradients of the same layers unnested', () => {
  // The outer Sequential marks the inner one's output, a flatten view of LRN's output, for release; LRN's backward
  // reads that buffer after the view's node has run, so it must not go back to the pool (it came back as LRN's
  // input gradient, which then overwrote the output it was computed from).
  manualSeed(13);
  const conv = new Conv2d(3, 8, 3, { padding: 1 });
  const lrn = new LocalResponseNorm(3, 0.5, 0.75, 1);
  const linear = new Linear(8 * 16 * 16, 5);
  const x = Tensor.randn([2, 3, 16, 16]);
  const gradients = (net: Sequential): Float32Array[] => {
    net.zeroGrad({ setToNone: true });
    clearBufferPool();
    crossEntropy(net.call(x), [1, 4]).backward();
    const gradientOf = (p: Tensor | null): Float32Array => {
      assert.ok(p?.grad, 'every parameter has a gradient');
      return p.grad.data.slice();
    };
    return [conv.weight, conv.bias, linear.weight].map(gradientOf);
  };
  const flat = gradients(new Sequential(conv, new ReLU(), lrn, new Flatten(), linear));
  const nested = gradients(new Sequential(new Sequential(conv, new ReLU(), lrn, new Flatten()), linear));
  assert.deepEqual(nested, flat);
});
