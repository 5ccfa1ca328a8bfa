import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmaxRows, ClassificationMeter, countTopK, inTopK } from '../../src/train/metrics.js';
import { evaluate } from '../../src/train/evaluate.js';
import { filterGrid } from '../../src/train/filter-grid.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { formatEvalTable } from '../../src/node/cli/commands/eval.js';

test('top-k counts the label among the k best scores, ties to the lower class index', () => {
  // Row 0: label 2 is the best; row 1: label 0 is 3rd; row 2: label 1 ties with class 0 (ranked after it).
  const logits = Float32Array.of(0.1, 0.2, 0.9, 0.0, -1, 0.3, 0.5, 0.9, 0.8, 0.1, 0.2, 0.0, 0.7, 0.7, 0.1, 0.1, 0.1, 0.1);
  const labels = Int32Array.of(2, 0, 1);
  assert.equal(countTopK(logits, 3, 6, labels, 1), 1);
  assert.equal(countTopK(logits, 3, 6, labels, 2), 2);
  assert.equal(countTopK(logits, 3, 6, labels, 3), 3);
  assert.equal(inTopK(Float32Array.of(NaN, 1), 0, 2, 0, 2), false);
  assert.deepEqual([...argmaxRows(logits, 3, 6)], [2, 1, 0]);
  assert.equal(countTopK(Float32Array.of(1, 2, 3), 1, 3, [0], 3), 1, 'k may be the class count');
  assert.throws(() => countTopK(logits, 3, 6, Int32Array.of(0, 6, 1), 1), /label 6 of row 1 is not a class index 0..5/);
});

test('top-k refuses a k that is not a positive integer (k = 0 counted every row before)', () => {
  const logits = Float32Array.of(0.1, 0.9, 0.5, 0.2);
  for (const k of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => countTopK(logits, 2, 2, [0, 1], k), new RegExp(`^Error: countTopK: k must be a positive integer, got ${k}$`));
    assert.throws(() => inTopK(logits, 0, 2, 1, k), new RegExp(`^Error: inTopK: k must be a positive integer, got ${k}$`));
  }
});

test('argmaxRows takes the first NaN of a row as its maximum, as torch.argmax (and as inTopK ranks NaN)', () => {
  const rows = [
    [1, NaN, 3],
    [NaN, 5, 1],
    [2, 3, NaN],
    [NaN, NaN, 1],
    [1, NaN, NaN],
  ];
  assert.deepEqual([...argmaxRows(Float32Array.from(rows.flat()), 5, 3)], [1, 0, 2, 0, 1]);
});

test('top-k refuses a k above the class count, as torch.topk (it counted every row as a hit before)', () => {
  assert.throws(
    () => countTopK(Float32Array.of(1, 2, 3), 1, 3, [0], 5),
    /^Error: countTopK: k = 5 is more than the 3 classes \(top-5 is not defined for them\)$/,
  );
  assert.throws(() => inTopK(Float32Array.of(1, 2, 3), 0, 3, 0, 4), /^Error: inTopK: k = 4 is more than the 3 classes/);
});

test('ClassificationMeter weights batch losses by batch size', () => {
  const meter = new ClassificationMeter();
  meter.add(1.0, Float32Array.of(1, 0, 0, 0, 0, 0, 1, 0, 0, 0), 2, 5, [0, 0]);
  meter.add(4.0, Float32Array.of(0, 1, 2, 3, 4), 1, 5, [0]);
  const r = meter.result();
  assert.equal(r.samples, 3);
  assert.equal(r.classes, 5);
  assert.equal(r.loss, 2);
  assert.equal(r.top1Error, 2 / 3);
  assert.equal(r.top5Error, 0);
  assert.throws(() => meter.add(1.0, Float32Array.of(0, 1), 1, 2, [1]), /^Error: ClassificationMeter: a batch of 2 classes after batches of 5$/);
});

test('top-5 error is null, not 0, for fewer than 5 classes: torch.topk(5) is not defined there', () => {
  const meter = new ClassificationMeter();
  meter.add(1.0, Float32Array.of(1, 0, 0, 1), 2, 2, [0, 0]);
  const r = meter.result();
  assert.equal(r.top1Error, 1 / 2);
  assert.equal(r.top5Error, null);
  assert.equal(r.classes, 2);
});

test('evaluate runs in eval mode without a graph and restores the mode', async () => {
  const model = new Linear(2, 3);
  model.weight.data.set([1, 0, 0, 1, -1, -1]);
  model.bias!.data.set([0, 0, 0]);
  model.train();
  let sawTraining = true;
  model.registerForwardHook((m, _x, y) => {
    sawTraining = m.training;
    assert.equal(y.gradFn, null, 'no graph recorded');
  });
  function* batches() {
    yield {
      images: Tensor.from([
        [2, 1],
        [0, 3],
      ]),
      labels: Int32Array.of(0, 1),
    };
    yield { images: Tensor.from([[-5, -5]]), labels: Int32Array.of(0) };
  }
  const r = await evaluate(model, batches());
  assert.equal(sawTraining, false);
  assert.equal(model.training, true);
  assert.equal(r.samples, 3);
  assert.equal(r.top1Error, 1 / 3);
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
});

test('filterGrid normalizes each kernel and lays them out on a grid', () => {
  // Two 1-channel 2×2 kernels: a ramp and a constant.
  const weight = Tensor.from([0, 1, 2, 3, 5, 5, 5, 5], [2, 1, 2, 2]);
  const grid = filterGrid(weight, { scale: 2, gap: 1, columns: 2 });
  assert.equal(grid.channels, 1);
  assert.equal(grid.width, 2 * 4 + 3 * 1);
  assert.equal(grid.height, 4 + 2);
  const at = (x: number, y: number): number => grid.pixels[y * grid.width + x];
  assert.equal(at(0, 0), 255, 'gap is white');
  assert.equal(at(1, 1), 0, 'ramp minimum');
  assert.equal(at(2, 2), 0, 'pixel repetition');
  assert.equal(at(3, 1), 85);
  assert.equal(at(4, 4), 255, 'ramp maximum');
  assert.equal(at(6, 1), 128, 'constant kernel is mid-gray');
  const rgb = filterGrid(Tensor.zeros([64, 3, 11, 11]));
  assert.equal(rgb.channels, 3);
  assert.equal(rgb.width, 8 * 66 + 9 * 2);
  assert.throws(() => filterGrid(Tensor.zeros([3, 3])), /convolution weight \[out, in, kH, kW\]/);
});

test("the eval table has the article's columns", () => {
  const table = formatEvalTable({
    model: 'alexnet',
    weights: 'w.pth',
    dataset: 'fashion-mnist',
    images: 10000,
    image_size: 64,
    precision: 'fp32',
    parameters: 57044810,
    classes: 10,
    loss: 0.4,
    top1_error: 0.1452,
    top5_error: 0.0038,
  });
  assert.equal(
    table,
    [
      '| Model   | Parameters | Top-1 error | Top-5 error |',
      '|---------|-----------:|------------:|------------:|',
      '| alexnet | 57,044,810 |      14.52% |       0.38% |',
    ].join('\n'),
  );
});

test('the eval table says top-5 is n/a for a model of fewer than 5 classes', () => {
  const table = formatEvalTable({
    model: 'alexnet',
    weights: 'w.pth',
    dataset: 'DIR',
    images: 12,
    image_size: 64,
    precision: 'fp32',
    parameters: 57012034,
    classes: 2,
    loss: 0.4,
    top1_error: 0.25,
    top5_error: null,
  });
  assert.equal(table.split('\n')[2], '| alexnet | 57,012,034 |      25.00% | n/a (2 classes) |');
});

test('evaluate on a model that outputs probabilities (an ONNX graph ending in Softmax) reports the logits model loss', async () => {
  const { softmax } = await import('../../src/ops/softmax.js');
  const { Module } = await import('../../src/nn/module.js');
  const logitsModel = new Linear(2, 3);
  logitsModel.weight.data.set([1, 0, 0, 1, -1, -1]);
  logitsModel.bias!.data.set([0.5, 0, -0.5]);
  class ProbabilitiesModel extends Module {
    override forward(x: Tensor): Tensor {
      return softmax(logitsModel.forward(x), 1);
    }
  }
  const batches = () => [
    {
      images: Tensor.from([
        [2, 1],
        [0, 3],
        [-5, -5],
      ]),
      labels: Int32Array.of(0, 1, 2),
    },
  ];
  const expected = await evaluate(logitsModel, batches());
  const probabilities = await evaluate(new ProbabilitiesModel(), batches(), { outputsProbabilities: true });
  assert.ok(Math.abs(probabilities.loss - expected.loss) < 1e-6, `${probabilities.loss} vs ${expected.loss}`);
  assert.equal(probabilities.top1Error, expected.top1Error);
  // Without the option the softmax would be applied twice: a different, wrong loss.
  const twice = await evaluate(new ProbabilitiesModel(), batches());
  assert.ok(Math.abs(twice.loss - expected.loss) > 0.1);
});

test('evaluate refuses to report on no sample at all (every image skipped), rather than NaN', async () => {
  await assert.rejects(evaluate(new Linear(2, 3), []), /evaluation saw no sample: every image was empty or skipped as unreadable/);
});

test('evaluate on a model with a fixed batch (an ONNX graph such as the BVLC AlexNet) runs each batch in runs of that size', async () => {
  const { Module } = await import('../../src/nn/module.js');
  const inner = new Linear(2, 3);
  inner.weight.data.set([1, 0, 0, 1, -1, -1]);
  class FixedBatchTwo extends Module {
    calls = 0;
    override forward(x: Tensor): Tensor {
      if (x.shape[0] !== 2) throw new Error(`expected batch 2, got ${x.shape[0]}`);
      this.calls++;
      return inner.forward(x);
    }
  }
  const images = Tensor.from([
    [2, 1],
    [0, 3],
    [-5, -5],
    [1, 4],
    [3, 0],
  ]);
  const labels = Int32Array.of(0, 1, 2, 1, 2);
  const expected = await evaluate(inner, [{ images, labels }]);
  const fixed = new FixedBatchTwo();
  await assert.rejects(evaluate(new FixedBatchTwo(), [{ images, labels }]), /expected batch 2, got 5/);
  const result = await evaluate(fixed, [{ images, labels }], { fixedBatch: 2 });
  assert.equal(fixed.calls, 3, 'runs of 2, 2 and 1 (padded)');
  assert.equal(result.samples, 5);
  assert.ok(Math.abs(result.loss - expected.loss) < 1e-6, `${result.loss} vs ${expected.loss}`);
  assert.equal(result.top1Error, expected.top1Error);
  assert.equal(result.top5Error, expected.top5Error);
});
