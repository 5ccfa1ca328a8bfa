/**
 * Importing graphs written by others: Debian torch's torch.onnx.export of
 * torchvision's AlexNet and of the article's AlexNetOriginal (whose
 * LocalResponseNorm torch writes as ~50 generic nodes, an If among them),
 * checked against torch's own output; and a copy of the ONNX model zoo's
 * Caffe BVLC AlexNet graph (opset 9, grouped convolutions, LRN, a MaxPool
 * padded [0, 0, 1, 1], Reshape to [1, 9216], Gemm, Softmax) with seeded
 * weights, checked against onnxruntime-node. The generators are in tools/onnx.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { loadNpy } from '../../src/formats/npy.js';
import { readStateDict } from '../../src/formats/weights-file.js';
import { createModel } from '../../src/models/registry.js';
import { readOnnxModelFile } from '../../src/node/onnx/onnx-files.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { maxErrorOverScale } from '../helpers/assert-close.js';
import { fixturePath } from '../helpers/fixtures.js';
import { ensureGenerated } from '../helpers/torch.js';

const TORCH_DIR = fixturePath('generated', 'onnx', 'torch');
const BVLC_DIR = fixturePath('generated', 'onnx', 'bvlc');

function npy(path: string): Tensor {
  return loadNpy(new Uint8Array(readFileSync(path)), { source: path });
}

const torchSkip = ensureGenerated(`${TORCH_DIR}/alexnet-original-output.npy`, 'tools/onnx/export_torch_models.py', ['--out', TORCH_DIR]);

for (const name of ['alexnet', 'alexnet-original']) {
  test(`torch.onnx.export of ${name} runs here and matches torch`, { skip: torchSkip ?? false }, async () => {
    const model = await readOnnxModelFile(`${TORCH_DIR}/${name}.onnx`);
    assert.match(model.producer, /^pytorch/);
    const x = npy(`${TORCH_DIR}/${name}-input.npy`);
    const expected = npy(`${TORCH_DIR}/${name}-output.npy`);
    const y = noGrad(() => model.call(x));
    assert.deepEqual(y.shape, expected.shape);
    const error = maxErrorOverScale(y.data, expected.data);
    assert.ok(error <= 1e-5, `${name}: ${error} relative to torch`);

    // The graph's initializers carry torch's state_dict keys: they load into our own model as they are.
    const ours = createModel(name).eval();
    ours.loadStateDict(model.stateDict());
    const again = noGrad(() => ours.call(x));
    assert.ok(maxErrorOverScale(again.data, expected.data) <= 1e-5, 'the imported weights in our model');
    // And they are the .pth's, exactly.
    const pth = readStateDict(new Uint8Array(readFileSync(`${TORCH_DIR}/${name}.pth`)));
    for (const [key, tensor] of pth) assert.deepEqual(model.stateDict().get(key)?.data, tensor.data, key);
  });
}

test("torch's decomposed LocalResponseNorm agrees with the js reference backend too", { skip: torchSkip ?? false }, async () => {
  const model = await readOnnxModelFile(`${TORCH_DIR}/alexnet-original.onnx`);
  const x = npy(`${TORCH_DIR}/alexnet-original-input.npy`);
  const expected = npy(`${TORCH_DIR}/alexnet-original-output.npy`);
  const y = withBackend(referenceBackend(), () => noGrad(() => model.call(x)));
  assert.ok(maxErrorOverScale(y.data, expected.data) <= 1e-5);
});

const bvlcSkip = ensureGenerated(`${BVLC_DIR}/bvlc_alexnet.onnx`, 'tools/onnx/make_bvlc_alexnet.py', ['--out', BVLC_DIR]);

test('the BVLC AlexNet graph (model zoo layout, seeded weights) matches onnxruntime', { skip: bvlcSkip ?? false }, async () => {
  const path = `${BVLC_DIR}/bvlc_alexnet.onnx`;
  const model = await readOnnxModelFile(path);
  assert.equal(model.opset, 9);
  assert.deepEqual(
    model.inputs.map((i) => [i.name, i.shape]),
    [['data_0', [1, 3, 224, 224]]],
    'initializers listed as inputs (IR 3) are not fed',
  );
  assert.equal(model.outputsProbabilities, true);
  const x = npy(`${BVLC_DIR}/bvlc_input.npy`);
  const y = noGrad(() => model.call(x));
  const session = await InferenceSession.create(path);
  const ort = await session.run({ data_0: new OrtTensor('float32', x.data, [1, 3, 224, 224]) });
  const expected = ort.prob_1.data as Float32Array;
  assert.deepEqual(y.shape, [1, 1000]);
  const error = maxErrorOverScale(y.data, expected);
  assert.ok(error <= 1e-5, `${error} relative to onnxruntime`);
  let sum = 0;
  for (const p of y.data) sum += p;
  assert.ok(Math.abs(sum - 1) < 1e-5, 'Softmax output sums to 1');
  // And the same top class as onnxruntime.
  const argmax = (a: ArrayLike<number>): number => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));
  assert.equal(argmax(y.data), argmax(expected));
});
