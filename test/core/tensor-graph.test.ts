/**
 * Tensor semantics PyTorch users rely on: clone() is differentiable, a
 * computed tensor stays a non-leaf after backward() freed its node, and
 * nested arrays must be rectangular.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mulScalar, sum } from '../../src/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';

function leaf(values: number[]): Tensor {
  const t = Tensor.from(values);
  t.requiresGrad = true;
  return t;
}

test('clone() copies the storage and passes the gradient through, as torch.clone', () => {
  const x = leaf([1, 2, 3]);
  const copy = mulScalar(x, 2).clone();
  assert.notEqual(copy.data.buffer, x.data.buffer);
  assert.equal(copy.gradFn?.name, 'CloneBackward');
  sum(copy).backward();
  assert.deepEqual([...(x.grad?.data ?? [])], [2, 2, 2]);
  assert.equal(copy.grad, null, 'a non-leaf keeps no .grad');
  assert.equal(leaf([1]).clone().isLeaf, false, "a clone of a leaf that requires grad is the clone op's output");
});

test('a computed tensor is no leaf before or after backward(); tensors made directly are', () => {
  const x = leaf([1, 2]);
  const y = mulScalar(x, 3);
  const loss = sum(y);
  assert.deepEqual([x.isLeaf, y.isLeaf, loss.isLeaf], [true, false, false]);
  loss.backward();
  assert.deepEqual([x.isLeaf, y.isLeaf, loss.isLeaf], [true, false, false]);
  assert.equal(Tensor.from([1]).isLeaf, true);
});

test('Tensor.from refuses ragged nested arrays and leaves that are not numbers, naming where (torch.tensor does too)', () => {
  assert.throws(
    () => Tensor.from([[1, 2], [3, 4, 5], [6]]),
    /^Error: Tensor.from: expected a sequence of length 2 at \[1\] \(dim 1\), got a sequence of length 3/,
  );
  assert.throws(() => Tensor.from([[1, 2], 3]), /expected a sequence of length 2 at \[1\] \(dim 1\), got the number 3/);
  assert.throws(() => Tensor.from([1, [2]]), /expected a number at \[1\] \(dim 1\), got a sequence of length 1/);
  assert.throws(
    () =>
      Tensor.from([
        [1, 2],
        [3, undefined],
      ] as unknown as number[][]),
    /expected a number at \[1, 1\] \(dim 2\), got undefined/,
  );
  assert.throws(() => Tensor.from([['1']] as unknown as number[][]), /got the string '1'/);
  assert.deepEqual(
    Tensor.from([
      [1, 2],
      [3, 4],
    ]).shape,
    [2, 2],
  );
  assert.deepEqual(Tensor.from([[], []]).shape, [2, 0]);
});

test('Tensor.from takes rows that are typed arrays, as torch.tensor takes a list of numpy rows', () => {
  const t = Tensor.from([Float32Array.of(1, 2), Float32Array.of(3, 4)]);
  assert.deepEqual(t.shape, [2, 2]);
  assert.deepEqual([...t.data], [1, 2, 3, 4]);
  assert.deepEqual([...Tensor.from([[1, 2], Int32Array.of(3, 4)]).data], [1, 2, 3, 4]);
});
