/**
 * Nodes run in dependency order whatever the file's order, and nodes named
 * alike become layers of distinct names: a chain of 20,000 nodes listed
 * backwards, all named 'r'. (Its import took 28 s when ordering re-scanned
 * every remaining node per step and naming probed every suffix, 1.4 s now;
 * tests assert no times, so only its results are checked here.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importOnnx, OnnxTensor } from '../../src/onnx/index.js';
import { floatInitializer, graphBytes, ints, node, valueInfo } from '../helpers/onnx-graphs.js';

test('a chain listed backwards runs in dependency order', () => {
  // y = relu(-(x + 1)) · 2, the nodes in reverse.
  const nodes = [
    node('Mul', ['r', 'two'], ['y'], 'mul'),
    node('Relu', ['n'], ['r'], 'relu'),
    node('Neg', ['a'], ['n'], 'neg'),
    node('Add', ['x', 'one'], ['a'], 'add'),
  ];
  const model = importOnnx(
    graphBytes({
      nodes,
      inputs: [valueInfo('x', [4])],
      outputs: [valueInfo('y', [4])],
      initializers: [floatInitializer('one', [1], [1]), floatInitializer('two', [1], [2])],
    }),
    { source: 'backwards.onnx' },
  );
  const y = model.run({ x: new OnnxTensor('float32', [4], Float32Array.of(-3, -2, 0, 2)) }).get('y')!;
  assert.deepEqual([...(y.data as Float32Array)], [4, 2, 0, 0]);
});

test('20,000 Conv nodes named alike, listed backwards: each a layer of its own name, run in order', () => {
  const count = 20_000;
  const nodes = [];
  // v0 → v1 → ... → v20000, each a 1×1 convolution by the shared weight 1 plus bias 0.5.
  for (let i = count - 1; i >= 0; i--) nodes.push(node('Conv', [`v${i}`, 'w', 'b'], [`v${i + 1}`], 'r', { kernel_shape: ints([1, 1]) }));
  const model = importOnnx(
    graphBytes({
      nodes,
      inputs: [valueInfo('v0', [1, 1, 1, 1])],
      outputs: [valueInfo(`v${count}`, [1, 1, 1, 1])],
      initializers: [floatInitializer('w', [1, 1, 1, 1], [1]), floatInitializer('b', [1], [0.5])],
    }),
    { source: 'chain.onnx' },
  );
  const names = [...model.namedChildren()].map(([name]) => name);
  assert.equal(new Set(names).size, count);
  assert.deepEqual(names.slice(0, 3), ['r', 'r_1', 'r_2']);
  const y = model.run({ v0: new OnnxTensor('float32', [1, 1, 1, 1], Float32Array.of(0)) }).get(`v${count}`)!;
  assert.equal((y.data as Float32Array)[0], count * 0.5);
});
