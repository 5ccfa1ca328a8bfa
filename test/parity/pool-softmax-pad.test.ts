/**
 * softmax / log_softmax over any dim, avg_pool2d (and nn.AvgPool2d) and pad against torch 1.13
 * (fixtures: tools/gen_pool_softmax_fixtures.py → test/fixtures/parity/ops/), on the js backend and
 * on the native one when the addon is built: forward output and every input gradient after
 * out.backward(g), within 1e-5 relative error per tensor. Then the engine's own rules: asymmetric
 * padding, the argument errors.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { AvgPool2d, type AvgPool2dConfig } from '../../src/nn/index.js';
import { nativeBackend } from '../../src/node/native/load.js';
import * as F from '../../src/ops/index.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose, WorstErrors } from '../helpers/assert-close.js';
import { readJsonFixture } from '../helpers/fixtures.js';
import { loadOpCases, pairArg, type OpCase } from '../helpers/op-fixtures.js';

const TOL = 1e-5;

const native = nativeBackend({ warn: false });
const BACKENDS: { name: string; backend: Backend | null }[] = [
  { name: 'js', backend: referenceBackend() },
  { name: 'native', backend: native },
];

/** Every case of a family on every backend: forward, backward(g), output and input gradients against torch. */
function parity(title: string, family: string, forward: (c: OpCase) => Tensor): void {
  for (const { name, backend } of BACKENDS) {
    test(`${title} [${name}]`, { skip: backend === null && 'native addon not built (npm run build:native)' }, async (t: TestContext) => {
      const cases = loadOpCases(family);
      assert.ok(cases.length > 0, `${family}: no cases in the fixture`);
      const worst = new WorstErrors();
      for (const c of cases) {
        await t.test(c.name, () => {
          withBackend(backend!, () => {
            const out = forward(c);
            worst.record('output', assertClose(out, c.output, TOL, `${c.name}: output`));
            out.backward(c.gradOutput);
            for (const [input, expected] of Object.entries(c.grads)) {
              const grad = c.inputs[input].grad;
              assert.ok(grad !== null, `${c.name}: no gradient reached input ${input}`);
              worst.record(`grad ${input}`, assertClose(grad, expected, TOL, `${c.name}: gradient of ${input}`));
            }
          });
        });
      }
      t.diagnostic(`${family}: worst relative error ${worst}`);
    });
  }
}

function avgPoolOptions(c: OpCase): F.AvgPool2dOptions {
  const padding = c.args.padding as number[];
  return {
    stride: pairArg(c.args, 'stride'),
    padding: padding.length === 4 ? [padding[0], padding[1], padding[2], padding[3]] : pairArg(c.args, 'padding'),
    ceilMode: c.args.ceilMode as boolean,
    countIncludePad: c.args.countIncludePad as boolean,
    divisorOverride: (c.args.divisorOverride as number | null) ?? undefined,
  };
}

parity('softmax and log_softmax match torch over every dim, negative dims included', 'softmax_dims', (c) =>
  c.args.fn === 'softmax' ? F.softmax(c.inputs.x, c.args.dim as number) : F.logSoftmax(c.inputs.x, c.args.dim as number),
);

parity('avg_pool2d matches torch: padding, ceil_mode, count_include_pad, divisor_override', 'avg_pool2d', (c) =>
  F.avgPool2d(c.inputs.x, pairArg(c.args, 'kernelSize'), avgPoolOptions(c)),
);

parity('avg_pool2d with [top, left, bottom, right] padding matches its torch composition (F.pad, window sums)', 'avg_pool2d_asymmetric', (c) =>
  F.avgPool2d(c.inputs.x, pairArg(c.args, 'kernelSize'), avgPoolOptions(c)),
);

parity('pad matches torch: pad, crop, -inf, last dim only, 2-D input', 'pad', (c) => {
  const pads = c.args.pads as number[];
  // The generator stores non-finite values as "Infinity" / "-Infinity" (JSON has none).
  const value = Number(c.args.value);
  return F.pad(c.inputs.x, pads.length === 4 ? [pads[0], pads[1], pads[2], pads[3]] : [pads[0], pads[1]], value);
});

test('nn.AvgPool2d prints what torch prints and computes what F.avgPool2d does', () => {
  const { modules } = readJsonFixture<{ modules: (AvgPool2dConfig & { kernelSize: number | [number, number]; repr: string })[] }>(
    'parity',
    'ops',
    'avg_pool2d.json',
  );
  assert.ok(modules.length > 0);
  for (const { kernelSize, repr, ...config } of modules) assert.equal(new AvgPool2d(kernelSize, config).toString(), repr);
  for (const c of loadOpCases('avg_pool2d')) {
    const { stride, padding, ceilMode, countIncludePad, divisorOverride } = avgPoolOptions(c);
    const layer = new AvgPool2d(pairArg(c.args, 'kernelSize'), { stride, padding, ceilMode, countIncludePad, divisorOverride });
    assertClose(layer.call(c.inputs.x), c.output, TOL, `${c.name}: AvgPool2d`);
  }
});

/** Values that make every window sum distinct, so a wrong window or divisor changes the output. */
function ramp(shape: number[]): Tensor {
  const x = Tensor.zeros(shape);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.sin(i + 1) * 3 + i * 0.01;
  return x;
}

test('avg_pool2d: equal per-side padding [p, p, p, p] is the symmetric padding p', () => {
  const x = ramp([2, 3, 7, 6]);
  for (const countIncludePad of [true, false]) {
    for (const ceilMode of [false, true]) {
      const symmetric = F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode, countIncludePad });
      const perSide = F.avgPool2d(x, 3, { stride: 2, padding: [1, 1, 1, 1], ceilMode, countIncludePad });
      assert.deepEqual(perSide.shape, symmetric.shape);
      assert.deepEqual(perSide.data, symmetric.data, `countIncludePad ${countIncludePad}, ceilMode ${ceilMode}`);
    }
  }
});

test('avg_pool2d, ceil_mode: a last window that would start in the end padding is dropped, as torch drops one in its padding', () => {
  // Width 4, kernel 2, stride 2, right padding 1: ceil gives windows at 0, 2 and 4, and the one at 4 holds padding only.
  const x = ramp([1, 1, 2, 4]);
  const ceil = F.avgPool2d(x, 2, { padding: [0, 0, 0, 1], ceilMode: true });
  const floor = F.avgPool2d(x, 2, { padding: [0, 0, 0, 1], ceilMode: false });
  assert.deepEqual(ceil.shape, [1, 1, 1, 2]);
  assert.deepEqual(ceil.data, floor.data);
  // Width 5: the window at 4 starts inside the input and stays, averaging its one input cell with the padding cell.
  const x5 = ramp([1, 1, 2, 5]);
  const kept = F.avgPool2d(x5, 2, { padding: [0, 0, 0, 1], ceilMode: true });
  assert.deepEqual(kept.shape, [1, 1, 1, 3]);
  assert.equal(kept.data[2], Math.fround((x5.data[4] + x5.data[9]) / 4));
  const keptInput = F.avgPool2d(x5, 2, { padding: [0, 0, 0, 1], ceilMode: true, countIncludePad: false });
  assert.equal(keptInput.data[2], Math.fround((x5.data[4] + x5.data[9]) / 2));
});

test('softmax over a non-last dim sums to 1 along that dim and agrees with the last-dim kernel on the moved data', () => {
  const x = ramp([2, 3, 4]);
  const p = F.softmax(x, 1);
  for (let a = 0; a < 2; a++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let b = 0; b < 3; b++) s += p.data[(a * 3 + b) * 4 + c];
      assert.ok(Math.abs(s - 1) < 1e-6, `column (${a}, ${c}) sums to ${s}`);
    }
  }
  // The same values laid out with dim 1 last: [2, 4, 3].
  const moved = Tensor.zeros([2, 4, 3]);
  const cells: [number, number, number][] = [];
  for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) cells.push([a, b, c]);
  for (const [a, b, c] of cells) moved.data[(a * 4 + c) * 3 + b] = x.data[(a * 3 + b) * 4 + c];
  const last = F.logSoftmax(moved, -1);
  const mid = F.logSoftmax(x, -2);
  for (const [a, b, c] of cells) assert.equal(mid.data[(a * 3 + b) * 4 + c], last.data[(a * 4 + c) * 3 + b], `cell (${a}, ${b}, ${c})`);
});

test('bad arguments throw one message naming the op and what it expected', () => {
  const x4 = Tensor.zeros([1, 1, 4, 4]);
  // softmax and log_softmax name themselves and the valid range.
  assert.throws(() => F.softmax(x4, 4), /^Error: softmax: dim 4 is out of range for a tensor of shape \[1, 1, 4, 4\] \(expected an integer from -4 to 3\)$/);
  assert.throws(() => F.logSoftmax(x4, -5), /^Error: log_softmax: dim -5 is out of range .*\(expected an integer from -4 to 3\)$/);
  assert.throws(() => F.softmax(x4, 1.5), /^Error: softmax: dim 1\.5 is out of range/);
  // avg_pool2d.
  assert.throws(() => F.avgPool2d(Tensor.zeros([4, 4]), 2), /^Error: avg_pool2d: expected input \[N, C, H, W\] or \[C, H, W\], got \[4, 4\]$/);
  assert.throws(() => F.avgPool2d(x4, 0), /^Error: avg_pool2d: kernel size and stride must be positive integers, got kernel \(0, 0\)/);
  assert.throws(() => F.avgPool2d(x4, 2, { stride: [1, 0] }), /^Error: avg_pool2d: kernel size and stride must be positive integers/);
  assert.throws(() => F.avgPool2d(x4, 3, { padding: 2 }), /^Error: avg_pool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)$/);
  const threePads = [1, 1, 1] as unknown as F.AvgPool2dPadding;
  assert.throws(
    () => F.avgPool2d(x4, 3, { padding: threePads }),
    /^Error: avg_pool2d: padding must be a number, \[padH, padW\] or \[top, left, bottom, right\], got \[1,1,1\]$/,
  );
  assert.throws(
    () => F.avgPool2d(x4, 3, { padding: [0, 0, 3, 0] }),
    /^Error: avg_pool2d: padding \[top, left, bottom, right\] = \[0, 0, 3, 0\] must be smaller than the kernel size/,
  );
  assert.throws(() => F.avgPool2d(x4, 3, { padding: [0, -1, 0, 0] }), /^Error: avg_pool2d: padding must be non-negative integers/);
  assert.throws(() => F.avgPool2d(x4, 2, { divisorOverride: 0 }), /^Error: avg_pool2d: divisorOverride must be a non-zero integer, got 0$/);
  assert.throws(() => F.avgPool2d(x4, 5), /^Error: avg_pool2d: input 4×4 is too small for a 5×5 window \(output would be 0×0\)$/);
  assert.throws(
    () => new AvgPool2d(2).call(Tensor.zeros([4, 4])),
    /^Error: AvgPool2d\(kernel_size=2, stride=2\): expected input \[N, C, H, W\] or \[C, H, W\]/,
  );
  // pad.
  const fivePads = [1, 1, 1, 1, 1] as unknown as F.Pads;
  assert.throws(() => F.pad(x4, fivePads), /^Error: pad: expected integer pads \[left, right\] or \[left, right, top, bottom\], got \[1,1,1,1,1\]$/);
  assert.throws(() => F.pad(x4, [0.5, 0]), /^Error: pad: expected integer pads/);
  assert.throws(() => F.pad(Tensor.zeros([3]), [1, 1, 1, 1]), /^Error: pad: 4 pads need a tensor of at least 2 dimensions, got shape \[3\]$/);
  assert.throws(() => F.pad(x4, [-3, -2]), /^Error: pad: pads \[-3,-2\] crop more than the input holds/);
});

test("softmax and log_softmax without a dim take torch's implicit one: 0 for 1-D and 3-D inputs, 1 otherwise", () => {
  const x = Tensor.rand([2, 3, 2, 2], -2, 2, new Generator(9));
  const x3 = Tensor.rand([2, 3, 4], -2, 2, new Generator(10));
  const x1 = Tensor.rand([5], -2, 2, new Generator(11));
  const x2 = Tensor.rand([3, 4], -2, 2, new Generator(12));
  for (const [input, dim] of [
    [x, 1],
    [x3, 0],
    [x1, 0],
    [x2, 1],
  ] as const) {
    assert.deepEqual([...F.softmax(input).data], [...F.softmax(input, dim).data], `softmax of ${input.shape}`);
    assert.deepEqual([...F.logSoftmax(input).data], [...F.logSoftmax(input, dim).data], `log_softmax of ${input.shape}`);
  }
  assert.throws(
    () => F.crossEntropy(Tensor.zeros([2, 3]), [0, 1.5]),
    /^Error: nll_loss: target 1\.5 at position 1 is not a class index \(an integer from 0 to 2\)$/,
  );
});
