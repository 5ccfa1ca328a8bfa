/**
 * Whether an imported graph's output already holds probabilities (a Softmax's
 * values), so that classify and eval do not apply a second softmax: also
 * when an Identity, an inference Dropout or a reshape follows the Softmax (as
 * exporters leave them), not for a LogSoftmax, for logits, or for a value
 * something changed after the Softmax.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { classifierModel, ImageClassifier } from '../../src/node/classify/image-classifier.js';
import { resolveModel } from '../../src/node/cli/options.js';
import type { OnnxNode } from '../../src/onnx/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { maxErrorOverScale } from '../helpers/assert-close.js';
import { floatInitializer, graphBytes, int, int64Initializer, node, valueInfo } from '../helpers/onnx-graphs.js';

const dir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-probabilities-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Large weights, so that a second softmax visibly flattens the first one's probabilities. */
const weights = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 2.3 + 1) * 5);

/**
 * x [N, 3, 8, 8] → GlobalAveragePool → Flatten → Gemm (3 → 4) → `head` (reading 'logits') → `tail` (writing 'y'):
 * an image classifier's shape.
 */
function classifier(head: OnnxNode[], tail: OnnxNode[]): Uint8Array {
  return graphBytes({
    nodes: [
      node('GlobalAveragePool', ['x'], ['pooled'], 'gap'),
      node('Flatten', ['pooled'], ['features'], 'flatten'),
      node('Gemm', ['features', 'fc.weight', 'fc.bias'], ['logits'], 'fc', { transB: int(1) }),
      ...head,
      ...tail,
    ],
    initializers: [floatInitializer('fc.weight', [4, 3], weights), floatInitializer('fc.bias', [4], [0, 0, 0, 0]), int64Initializer('shape', [-1, 4])],
    inputs: [valueInfo('x', ['N', 3, 8, 8])],
    outputs: [valueInfo('y', ['N', 4])],
  });
}

const softmax = [node('Softmax', ['logits'], ['probs'], 'softmax', { axis: int(1) })];

const CASES: { name: string; bytes: Uint8Array; probabilities: boolean }[] = [
  { name: 'Softmax', bytes: classifier([node('Softmax', ['logits'], ['y'], 'softmax', { axis: int(1) })], []), probabilities: true },
  { name: 'Softmax → Identity', bytes: classifier(softmax, [node('Identity', ['probs'], ['y'], 'identity')]), probabilities: true },
  { name: 'Softmax → Dropout', bytes: classifier(softmax, [node('Dropout', ['probs'], ['y'], 'dropout')]), probabilities: true },
  {
    name: 'Softmax → Reshape → Dropout → Identity',
    bytes: classifier(softmax, [
      node('Reshape', ['probs', 'shape'], ['flat'], 'reshape'),
      node('Dropout', ['flat'], ['kept'], 'dropout'),
      node('Identity', ['kept'], ['y'], 'identity'),
    ]),
    probabilities: true,
  },
  { name: 'logits (Gemm)', bytes: classifier([node('Identity', ['logits'], ['y'], 'identity')], []), probabilities: false },
  {
    name: 'LogSoftmax → Identity',
    bytes: classifier([node('LogSoftmax', ['logits'], ['logp'], 'logsoftmax', { axis: int(1) })], [node('Identity', ['logp'], ['y'], 'identity')]),
    probabilities: false,
  },
  { name: 'Softmax → Sqrt (values changed)', bytes: classifier(softmax, [node('Sqrt', ['probs'], ['y'], 'sqrt')]), probabilities: false },
  {
    name: "Softmax → Dropout's mask",
    bytes: classifier(softmax, [node('Dropout', ['probs'], ['kept', 'mask'], 'dropout'), node('Cast', ['mask'], ['y'], 'cast', { to: int(1) })]),
    probabilities: false,
  },
];

for (const { name, bytes, probabilities } of CASES) {
  test(`a graph ending in ${name} ${probabilities ? 'outputs' : 'does not output'} probabilities`, () => {
    assert.equal(importOnnx(bytes, { source: 'classifier.onnx' }).outputsProbabilities, probabilities);
  });
}

test('classify hands out the graph’s own probabilities when an Identity follows its Softmax (onnxruntime’s numbers, not a second softmax)', async () => {
  const bytes = CASES[1].bytes;
  const path = join(dir, 'softmax-identity.onnx');
  writeFileSync(path, bytes);
  const resolved = await resolveModel({ model: 'alexnet', weights: path });
  assert.equal(resolved.outputsProbabilities, true);
  const classify = new ImageClassifier(classifierModel(resolved));
  const n = 2;
  // Each image's channel means differ (the pooled features the Gemm sees), with some texture on top.
  const plane = 8 * 8;
  const rows = Float32Array.from({ length: n * classify.inputSize }, (_, i) => Math.sin(Math.floor(i / plane) * 1.9 + 0.4) + 0.1 * Math.cos(i * 0.37));
  const probabilities = classify.probabilities(await classify.forward(rows, n), n);

  const session = await InferenceSession.create(bytes);
  const expected = (await session.run({ x: new OrtTensor('float32', rows, [n, 3, 8, 8]) })).y.data as Float32Array;
  for (let row = 0; row < n; row++) {
    const sum = expected.subarray(row * 4, row * 4 + 4).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `onnxruntime's row ${row} is a distribution`);
    assert.ok(Math.max(...expected.subarray(row * 4, row * 4 + 4)) > 0.5, `row ${row} is peaked enough for a second softmax to show`);
  }
  assert.ok(maxErrorOverScale(probabilities, expected) <= 1e-6, `classify's probabilities ${[...probabilities]} are onnxruntime's ${[...expected]}`);
});
