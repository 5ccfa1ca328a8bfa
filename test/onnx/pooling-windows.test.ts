/**
 * Pooling windows where ONNX's output size has a rule of its own (ceil_mode:
 * no window may start in the end padding), against onnxruntime-node on the
 * same graphs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { importOnnx, OnnxTensor } from '../../src/onnx/index.js';
import type { AttributeValue } from '../../src/onnx/model-proto.js';
import { graphBytes, int, ints, node, valueInfo } from '../helpers/onnx-graphs.js';

const CASES: { what: string; op: 'MaxPool' | 'AveragePool'; size: number; attributes: Record<string, AttributeValue> }[] = [
  // ceil((11 + 2 − 2) / 3) + 1 = 5 windows, but the fifth would start at 12 ≥ 11 + 1: dropped (4×4).
  {
    what: 'MaxPool, last window in the padding',
    op: 'MaxPool',
    size: 11,
    attributes: { kernel_shape: ints([2, 2]), strides: ints([3, 3]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) },
  },
  {
    what: 'MaxPool, last window partly on the input',
    op: 'MaxPool',
    size: 10,
    attributes: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) },
  },
  {
    what: 'MaxPool, asymmetric pads',
    op: 'MaxPool',
    size: 11,
    attributes: { kernel_shape: ints([3, 3]), strides: ints([3, 3]), pads: ints([0, 1, 2, 1]), ceil_mode: int(1) },
  },
  {
    what: 'AveragePool, last window in the padding',
    op: 'AveragePool',
    size: 11,
    attributes: { kernel_shape: ints([2, 2]), strides: ints([3, 3]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) },
  },
];

for (const { what, op, size, attributes } of CASES) {
  test(`${what}: the shape and values of onnxruntime`, async () => {
    const bytes = graphBytes({
      nodes: [node(op, ['x'], ['y'], 'pool', attributes)],
      initializers: [],
      inputs: [valueInfo('x', [1, 1, size, size])],
      outputs: [valueInfo('y', null)],
    });
    const data = Float32Array.from({ length: size * size }, (_, i) => i);
    const ours = importOnnx(bytes, { source: 'pool.onnx' })
      .run({ x: new OnnxTensor('float32', [1, 1, size, size], data) })
      .get('y')!;
    const session = await InferenceSession.create(bytes);
    const expected = (await session.run({ x: new OrtTensor('float32', data, [1, 1, size, size]) })).y;
    assert.deepEqual(ours.shape, expected.dims);
    assert.deepEqual([...(ours.data as Float32Array)], [...(expected.data as Float32Array)]);
  });
}
