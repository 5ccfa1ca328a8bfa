/**
 * Autograd semantics PyTorch users rely on: gradients accumulate across
 * backward calls until zeroGrad, a tensor used several times gets the sum,
 * a freed graph cannot be walked twice, noGrad records nothing, and a training
 * step leaves no graph behind (so memory does not grow across steps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Flatten } from '../../src/nn/layers/flatten.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { MaxPool2d } from '../../src/nn/layers/max-pool2d.js';
import { ReLU } from '../../src/nn/layers/relu.js';
import { Sequential } from '../../src/nn/sequential.js';
import * as F from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

function leaf(values: number[]): Tensor {
  return Tensor.from(values, [values.length], { requiresGrad: true });
}

/** Every tensor reachable from `root` through gradFn inputs that has a gradFn (the non-leaves). */
function graphNodes(root: Tensor): Tensor[] {
  const seen = new Set<Tensor>();
  const stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t) || t.gradFn === null) continue;
    seen.add(t);
    for (const input of t.gradFn.inputs) if (input !== null) stack.push(input);
  }
  return [...seen];
}

test('gradients accumulate across two backward calls', () => {
  const x = leaf([1, -2, 3]);
  F.sum(F.mulScalar(x, 2)).backward();
  assert.deepEqual([...x.grad!.data], [2, 2, 2]);
  F.sum(F.mul(x, x)).backward();
  assert.deepEqual([...x.grad!.data], [2 + 2, 2 - 4, 2 + 6]);
});

test("zeroGrad clears a tensor's and a module's gradients; the next backward starts from zero", () => {
  const x = leaf([1, 2]);
  F.sum(F.mulScalar(x, 3)).backward();
  x.zeroGrad();
  assert.equal(x.grad, null);
  F.sum(x).backward();
  assert.deepEqual([...x.grad!.data], [1, 1]);

  const layer = new Linear(3, 2);
  const input = Tensor.from([[1, 2, 3]]);
  F.sum(layer.call(input)).backward();
  assert.ok(layer.parameters().every((p) => p.grad !== null));
  // torch 1.13's zero_grad(): zeros, kept; set_to_none drops them.
  layer.zeroGrad();
  assert.ok(layer.parameters().every((p) => p.grad?.data.every((v) => v === 0)));
  F.sum(layer.call(input)).backward();
  assert.deepEqual([...layer.bias!.grad!.data], [1, 1], 'bias gradient counted once after zeroGrad');
  layer.zeroGrad({ setToNone: true });
  assert.ok(layer.parameters().every((p) => p.grad === null));
});

test('a tensor used twice gets the summed gradient (x·x, x + x, and through a shared intermediate)', () => {
  const x = leaf([1.5, -2]);
  F.sum(F.mul(x, x)).backward();
  assert.deepEqual([...x.grad!.data], [3, -4]);

  const y = leaf([1, 2]);
  F.sum(F.add(y, y)).backward();
  assert.deepEqual([...y.grad!.data], [2, 2]);

  const z = leaf([0.5, 4]);
  const h = F.mulScalar(z, 3); // used by two consumers
  F.add(F.sum(F.mul(h, h)), F.sum(h)).backward(); // d/dz = 3·(2h + 1)
  assert.deepEqual([...z.grad!.data], [3 * (2 * 1.5 + 1), 3 * (2 * 12 + 1)]);
});

test('random graphs with shared subexpressions: gradients equal a hand-written adjoint pass', () => {
  // Programs of add/mul/scale over 3 leaves, differentiated by the engine and by a
  // plain reverse sweep in program order; catches gradient buffers summed in place
  // while another input still holds them.
  const gen = new Generator(11);
  for (let trial = 0; trial < 400; trial++) {
    const ops: { kind: number; a: number; b: number; s: number }[] = [];
    const n = 2 + gen.int(9);
    for (let i = 0; i < n; i++) ops.push({ kind: gen.int(3), a: gen.int(3 + i), b: gen.int(3 + i), s: [2, -1, 0.5, 3][gen.int(4)] });
    const values = [1.5, -2, 0.75];
    const nodes = values.map((v) => leaf([v]));
    for (const op of ops) {
      const [a, b] = [nodes[op.a], nodes[op.b]];
      nodes.push(op.kind === 0 ? F.add(a, b) : op.kind === 1 ? F.mul(a, b) : F.mulScalar(a, op.s));
      values.push(op.kind === 0 ? values[op.a] + values[op.b] : op.kind === 1 ? values[op.a] * values[op.b] : values[op.a] * op.s);
    }
    const last = nodes.length - 1;
    F.add(nodes[last], nodes[last - 1]).backward();
    const adjoint = values.map(() => 0);
    adjoint[last] += 1;
    adjoint[last - 1] += 1;
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i],
        g = adjoint[3 + i];
      if (op.kind === 0) {
        adjoint[op.a] += g;
        adjoint[op.b] += g;
      } else if (op.kind === 1) {
        adjoint[op.a] += g * values[op.b];
        adjoint[op.b] += g * values[op.a];
      } else {
        adjoint[op.a] += g * op.s;
      }
    }
    for (let i = 0; i < 3; i++) {
      const got = nodes[i].grad?.data[0] ?? 0;
      assert.ok(
        Math.abs(got - adjoint[i]) <= 1e-5 * (1 + Math.abs(adjoint[i])),
        `trial ${trial}, leaf ${i}: ${got}, expected ${adjoint[i]} (${JSON.stringify(ops)})`,
      );
    }
  }
});

test('backward twice through a freed graph fails with a clear error', () => {
  const x = leaf([1, 2]);
  const loss = F.sum(F.mulScalar(x, 3));
  loss.backward();
  assert.throws(() => loss.backward(), /second time/);
  assert.deepEqual([...x.grad!.data], [3, 3], 'the failed call changed no gradient');

  // Two losses over a shared trunk: the second walk reaches the freed trunk.
  const w = leaf([1, 2]);
  const trunk = F.relu(F.mulScalar(w, 2));
  const first = F.sum(trunk),
    second = F.mean(trunk);
  first.backward();
  assert.throws(() => second.backward(), /second time.*ReluBackward|ReluBackward.*second time|second time/);
  assert.equal(trunk.grad, null, 'a freed intermediate is not treated as a leaf');
  assert.throws(() => Tensor.from([1]).backward(), /does not require grad/);
});

test('noGrad records nothing: no gradFn, no requiresGrad, backward refuses', () => {
  const x = leaf([1, -1, 2]);
  const layer = new Linear(3, 2);
  const [y, z] = noGrad(() => [F.relu(F.mulScalar(x, 2)), layer.call(Tensor.from([[1, 2, 3]]))]);
  for (const t of [y, z]) {
    assert.equal(t.gradFn, null);
    assert.equal(t.requiresGrad, false);
    assert.throws(() => F.sum(t).backward(), /does not require grad/);
  }
  // Grad mode is restored afterwards.
  assert.notEqual(F.mulScalar(x, 2).gradFn, null);
});

test('20 training steps leave no graph behind: after each backward every non-leaf gradFn is null', () => {
  const gen = new Generator(12);
  const net = new Sequential(new Conv2d(2, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 5));
  const params = net.parameters();
  const nodeCounts: number[] = [];
  for (let step = 0; step < 20; step++) {
    const x = Tensor.randn([3, 2, 6, 6], 0, 1, gen);
    const loss = F.crossEntropy(net.call(x), [step % 5, (step + 1) % 5, (step + 2) % 5]);
    const nodes = graphNodes(loss);
    nodeCounts.push(nodes.length);
    assert.ok(
      nodes.every((t) => !params.includes(t as never)),
      'parameters stay leaves',
    );
    net.zeroGrad();
    loss.backward();
    for (const t of nodes) assert.equal(t.gradFn, null, `step ${step}: a non-leaf keeps its gradFn (and its saved activations)`);
    for (const p of params) {
      assert.equal(p.gradFn, null);
      assert.deepEqual([...p.grad!.shape], [...p.shape]);
      // SGD step, so the graph of the next step is built on updated weights.
      for (let i = 0; i < p.data.length; i++) p.data[i] -= 0.01 * p.grad!.data[i];
    }
  }
  // Each step's graph is the same size: nothing from earlier steps is reachable.
  assert.ok(
    nodeCounts.every((n) => n === nodeCounts[0] && n > 5),
    `graph sizes ${nodeCounts.join(', ')}`,
  );
});
