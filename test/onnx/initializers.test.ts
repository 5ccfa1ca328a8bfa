/**
 * How an imported graph holds its initializers and what a few operators take:
 * one initializer read by two layers is one parameter; initializers read as
 * values are copies (a state-dict load never rewrites the caller's bytes) read
 * when the graph runs (loadStateDict with assign takes effect); Flatten and
 * Relu take every element type onnxruntime does; inputs the operators' specs
 * refuse are refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { importOnnx, OnnxTensor } from '../../src/onnx/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { floatInitializer, graphBytes, int, int64Initializer, node, valueInfo } from '../helpers/onnx-graphs.js';

const ramp = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * scale);

/** Conv(x, W) → Conv(·, W): one 2→2 3×3 filter bank used twice. */
function sharedWeightGraph(w: Float32Array): Uint8Array {
  const pads = { pads: { kind: 'ints' as const, value: [1, 1, 1, 1] } };
  return graphBytes({
    nodes: [node('Conv', ['x', 'W'], ['h'], 'c1', pads), node('Conv', ['h', 'W'], ['y'], 'c2', pads)],
    initializers: [floatInitializer('W', [2, 2, 3, 3], w)],
    inputs: [valueInfo('x', [1, 2, 4, 4])],
    outputs: [valueInfo('y', null)],
  });
}

function run(model: ReturnType<typeof importOnnx>, feeds: Record<string, OnnxTensor>, output = 'y'): OnnxTensor {
  const y = noGrad(() => model.run(feeds)).get(output);
  assert.ok(y !== undefined, `output ${output}`);
  return y;
}

test('an initializer read by two layers is one parameter: a state-dict load changes both', () => {
  const w = ramp(36, 0.5);
  const model = importOnnx(sharedWeightGraph(w), { source: 'shared.onnx' });
  assert.deepEqual([...model.stateDict().keys()], ['W']);
  assert.equal([...model.parameters()].length, 1, 'one parameter for the shared W');
  const x = { x: new OnnxTensor('float32', [1, 2, 4, 4], ramp(32)) };
  const doubled = w.map((v) => 2 * v);
  model.loadStateDict(new Map([['W', new Tensor(doubled, [2, 2, 3, 3])]]));
  const expected = run(importOnnx(sharedWeightGraph(doubled), { source: 'shared2.onnx' }), x);
  assert.deepEqual([...(run(model, x).data as Float32Array)], [...(expected.data as Float32Array)]);
});

/** y = x·W + b with both initializers read as values (MatMul and Add are functions, not layers). */
function looseGraph(): Uint8Array {
  return graphBytes({
    nodes: [node('MatMul', ['x', 'W'], ['h'], 'mm'), node('Add', ['h', 'b'], ['y'], 'add')],
    initializers: [floatInitializer('W', [3, 2], [1, 2, 3, 4, 5, 6]), floatInitializer('b', [2], [1, 1])],
    inputs: [valueInfo('x', [1, 3])],
    outputs: [valueInfo('y', null)],
  });
}

test("initializers read as values are the model's own copies, read when the graph runs", () => {
  const bytes = looseGraph();
  const original = bytes.slice();
  const x = { x: new OnnxTensor('float32', [1, 3], Float32Array.of(1, 0, 0)) };
  for (const assign of [false, true]) {
    const model = importOnnx(bytes, { source: 'loose.onnx' });
    assert.deepEqual([...(run(model, x).data as Float32Array)], [2, 3]);
    model.loadStateDict(
      new Map([
        ['W', new Tensor(new Float32Array(6), [3, 2])],
        ['b', new Tensor(Float32Array.of(5, 7), [2])],
      ]),
      { assign },
    );
    assert.deepEqual([...(run(model, x).data as Float32Array)], [5, 7], `assign: ${assign}`);
    assert.deepEqual(bytes, original, `assign: ${assign}: the caller's bytes are unchanged`);
  }
  assert.deepEqual([...(run(importOnnx(bytes, { source: 'loose.onnx' }), x).data as Float32Array)], [2, 3]);
});

/** What onnxruntime gives for the graph on one input. */
async function onnxruntime(bytes: Uint8Array, name: string, type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: number[]): Promise<OrtTensor> {
  const session = await InferenceSession.create(bytes);
  const out = await session.run({ [name]: new OrtTensor(type, data, dims) });
  return out[session.outputNames[0]];
}

test('Flatten and Relu take the element types and ranks onnxruntime takes', async () => {
  // Cast to int64 → Flatten (axis 1) → Cast back.
  const flattenInt = graphBytes({
    nodes: [
      node('Cast', ['x'], ['i'], 'to_int', { to: int(7) }),
      node('Flatten', ['i'], ['f'], 'flat'),
      node('Cast', ['f'], ['y'], 'to_float', { to: int(1) }),
    ],
    inputs: [valueInfo('x', [2, 3, 2])],
    outputs: [valueInfo('y', null)],
  });
  const x = Float32Array.from({ length: 12 }, (_, i) => i - 5);
  const ours = run(importOnnx(flattenInt, { source: 'flatten-int64.onnx' }), { x: new OnnxTensor('float32', [2, 3, 2], x) });
  const theirs = await onnxruntime(flattenInt, 'x', 'float32', x, [2, 3, 2]);
  assert.deepEqual(ours.shape, theirs.dims);
  assert.deepEqual([...(ours.data as Float32Array)], [...(theirs.data as Float32Array)]);

  const flatten1d = graphBytes({ nodes: [node('Flatten', ['x'], ['y'], 'flat')], inputs: [valueInfo('x', [4])], outputs: [valueInfo('y', null)] });
  const v = Float32Array.of(1, -2, 3, -4);
  const flat = run(importOnnx(flatten1d, { source: 'flatten-1d.onnx' }), { x: new OnnxTensor('float32', [4], v) });
  const flatOrt = await onnxruntime(flatten1d, 'x', 'float32', v, [4]);
  assert.deepEqual(flat.shape, flatOrt.dims);
  assert.deepEqual([...(flat.data as Float32Array)], [...(flatOrt.data as Float32Array)]);

  const reluInt = graphBytes({
    nodes: [node('Relu', ['x'], ['y'], 'relu')],
    inputs: [valueInfo('x', [5], 'int32')],
    outputs: [valueInfo('y', null, 'int32')],
    opset: 14,
  });
  const ints = Int32Array.of(-3, 0, 7, -1, 2);
  const relu = run(importOnnx(reluInt, { source: 'relu-int32.onnx' }), { x: new OnnxTensor('int32', [5], ints) });
  const reluOrt = await onnxruntime(reluInt, 'x', 'int32', ints, [5]);
  assert.equal(relu.type, 'int32');
  assert.deepEqual([...(relu.data as Int32Array)], [...(reluOrt.data as Int32Array)]);
});

test('inputs the operators do not define are refused by name: a Gemm A of rank 3, Softmax at axis = rank before opset 13, a float Reshape shape', () => {
  const gemm = graphBytes({
    nodes: [node('Gemm', ['a', 'B'], ['y'], 'fc', { transB: int(1) })],
    initializers: [floatInitializer('B', [4, 3])],
    inputs: [valueInfo('a', [2, 2, 3])],
    outputs: [valueInfo('y', null)],
  });
  assert.throws(
    () => run(importOnnx(gemm, { source: 'gemm.onnx' }), { a: new OnnxTensor('float32', [2, 2, 3], ramp(12)) }),
    /gemm\.onnx: node 'fc' \(Gemm\): expected an input of rank 2, got \[2, 2, 3\]/,
  );
  const softmax = graphBytes({
    nodes: [node('Softmax', ['x'], ['y'], 'sm', { axis: int(2) })],
    inputs: [valueInfo('x', [2, 3])],
    outputs: [valueInfo('y', null)],
    opset: 11,
  });
  assert.throws(
    () => run(importOnnx(softmax, { source: 'softmax.onnx' }), { x: new OnnxTensor('float32', [2, 3], ramp(6)) }),
    /softmax\.onnx: node 'sm' \(Softmax\): axis 2 is out of range for rank 2 \(expected -2 to 1\)/,
  );
  const reshape = graphBytes({
    nodes: [node('Reshape', ['x', 'shape'], ['y'], 'rs')],
    initializers: [floatInitializer('shape', [2], [3, 2])],
    inputs: [valueInfo('x', [2, 3])],
    outputs: [valueInfo('y', null)],
  });
  assert.throws(
    () => run(importOnnx(reshape, { source: 'reshape.onnx' }), { x: new OnnxTensor('float32', [2, 3], ramp(6)) }),
    /reshape\.onnx: node 'rs' \(Reshape\): the shape input must be int64, got float32/,
  );
  // The int64 form still works.
  const ok = graphBytes({
    nodes: [node('Reshape', ['x', 'shape'], ['y'], 'rs')],
    initializers: [int64Initializer('shape', [3, 2])],
    inputs: [valueInfo('x', [2, 3])],
    outputs: [valueInfo('y', null)],
  });
  assert.deepEqual(run(importOnnx(ok, { source: 'reshape.onnx' }), { x: new OnnxTensor('float32', [2, 3], ramp(6)) }).shape, [3, 2]);
});
