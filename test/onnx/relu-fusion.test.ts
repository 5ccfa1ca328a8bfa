/**
 * An imported Conv or Gemm followed by a Relu runs both in one kernel in
 * inference (no separate ReLU pass on the backend), as a built-in model's
 * layers do, and gives onnxruntime's numbers; with gradients on, the Relu
 * runs on its own. (A Gemm's A of rank 3 is still refused: initializers.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { isGradEnabled, noGrad } from '../../src/autograd/grad-mode.js';
import { getBackend } from '../../src/backend/registry.js';
import { importOnnx, OnnxTensor } from '../../src/onnx/index.js';
import { maxErrorOverScale } from '../helpers/assert-close.js';
import { floatInitializer, graphBytes, int, ints, node, valueInfo } from '../helpers/onnx-graphs.js';

const ramp = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + 0.3) * scale);

/** x [N, 5] → Gemm (B [4, 5] used transposed, C [4]) → Relu: PyTorch's Linear + ReLU, as torch exports it. */
function gemmRelu(): Uint8Array {
  return graphBytes({
    nodes: [node('Gemm', ['x', 'fc.weight', 'fc.bias'], ['h'], 'fc', { transB: int(1) }), node('Relu', ['h'], ['y'], 'relu')],
    initializers: [floatInitializer('fc.weight', [4, 5], ramp(20)), floatInitializer('fc.bias', [4], ramp(4, 0.5))],
    inputs: [valueInfo('x', ['N', 5])],
    outputs: [valueInfo('y', ['N', 4])],
  });
}

/** x [N, 2, 4, 4] → Conv (3 filters, 3×3, pads 1) → Relu: the control, which fused before. */
function convRelu(): Uint8Array {
  return graphBytes({
    nodes: [
      node('Conv', ['x', 'conv.weight', 'conv.bias'], ['h'], 'conv', { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }),
      node('Relu', ['h'], ['y'], 'relu'),
    ],
    initializers: [floatInitializer('conv.weight', [3, 2, 3, 3], ramp(54)), floatInitializer('conv.bias', [3], ramp(3, 0.5))],
    inputs: [valueInfo('x', ['N', 2, 4, 4])],
    outputs: [valueInfo('y', ['N', 3, 4, 4])],
  });
}

/** `fn`'s result and how many separate ReLU passes the backend ran for it. */
function countingReluPasses<T>(fn: () => T): { result: T; passes: number } {
  const backend = getBackend();
  const original = backend.reluForward;
  let passes = 0;
  backend.reluForward = (x, out) => {
    passes++;
    original.call(backend, x, out);
  };
  try {
    return { result: fn(), passes };
  } finally {
    backend.reluForward = original;
  }
}

for (const [name, bytes, dims] of [
  ['Gemm', gemmRelu(), [3, 5]],
  ['Conv', convRelu(), [2, 2, 4, 4]],
] as const) {
  test(`an imported ${name} → Relu runs as one fused kernel in inference and matches onnxruntime`, async () => {
    const model = importOnnx(bytes, { source: `${name.toLowerCase()}-relu.onnx` });
    const x = new OnnxTensor(
      'float32',
      [...dims],
      ramp(
        dims.reduce((a, b) => a * b, 1),
        2,
      ),
    );
    const inference = countingReluPasses(() => noGrad(() => model.run({ x }).get('y')!));
    assert.equal(inference.passes, 0, `the Relu runs inside the ${name} layer's kernel`);

    const session = await InferenceSession.create(bytes);
    const ort = (await session.run({ x: new OrtTensor('float32', x.data as Float32Array, [...dims]) })).y;
    assert.deepEqual(inference.result.shape, ort.dims);
    const expected = ort.data as Float32Array;
    assert.ok(expected.some((v) => v === 0) && expected.some((v) => v > 0), 'the Relu clips some values and keeps others');
    assert.ok(maxErrorOverScale(inference.result.data as Float32Array, expected) <= 1e-6, 'onnxruntime agrees');

    // Recording gradients, the fused kernel (which has no backward) is not used: the Relu runs on its own.
    assert.ok(isGradEnabled());
    const training = countingReluPasses(() => model.run({ x }).get('y')!);
    assert.equal(training.passes, 1);
    assert.deepEqual([...(training.result.data as Float32Array)], [...(inference.result.data as Float32Array)]);
  });
}
