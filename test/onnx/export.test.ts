/**
 * Our exporter against the ONNX ecosystem: for each model, the file passes
 * python3-onnx's checker (full check), onnxruntime-node loads it and matches
 * our forward within 1e-5 (relative to the largest logit) at a batch size
 * other than the traced one, and our importer reads it back to the same
 * numbers and the same state dict. Models that call one layer twice, or
 * whose views regroup the batch, export the same way.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { createModel } from '../../src/models/registry.js';
import { Conv2d, ReLU } from '../../src/nn/index.js';
import { Module } from '../../src/nn/module.js';
import { readOnnxModelFile, writeOnnxFile } from '../../src/node/onnx/onnx-files.js';
import { encodeModel, exportOnnx, importOnnx } from '../../src/onnx/index.js';
import { tensorFromProto } from '../../src/onnx/tensor-proto.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { maxErrorOverScale } from '../helpers/assert-close.js';
import { pythonExecutable } from '../helpers/torch.js';

const dir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const onnxChecker = spawnSync(pythonExecutable(), ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

function checkWithOnnx(path: string): string {
  const r = spawnSync(pythonExecutable(), ['tools/onnx/check_model.py', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `onnx.checker refused ${path}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const CASES = [
  {
    name: 'alexnet',
    size: 224,
    nodes: 'Conv Relu MaxPool Conv Relu MaxPool Conv Relu Conv Relu Conv Relu MaxPool AveragePool Flatten Gemm Relu Gemm Relu Gemm',
  },
  {
    name: 'alexnet-original',
    size: 227,
    nodes: 'Conv Relu LRN MaxPool Conv Relu LRN MaxPool Conv Relu Conv Relu Conv Relu MaxPool Flatten Gemm Relu Gemm Relu Gemm',
  },
  {
    name: 'alexnet-original-grouped',
    size: 227,
    // Each tower's LRN on its own maps: [N, C, H, W] reshaped to [N·2, C/2, H, W] around it.
    nodes: 'Conv Relu Reshape LRN Reshape MaxPool Conv Relu Reshape LRN Reshape MaxPool Conv Relu Conv Relu Conv Relu MaxPool Flatten Gemm Relu Gemm Relu Gemm',
  },
];

for (const { name, size, nodes } of CASES) {
  test(`export ${name}: onnx.checker, onnxruntime and our importer agree with our forward`, async () => {
    manualSeed(10);
    const model = createModel(name, { numClasses: 10 }).eval();
    const proto = exportOnnx(model, [3, size, size]);
    assert.equal(proto.graph.nodes.map((n) => n.opType).join(' '), nodes);
    assert.deepEqual(proto.graph.inputs[0].shape, ['batch', 3, size, size]);
    assert.deepEqual(proto.graph.outputs[0].shape, ['batch', 10]);
    // The graph's own constants (Reshape shapes) are named by node path, '/…'.
    const weights = proto.graph.initializers.map((t) => t.name ?? '').filter((n) => !n.startsWith('/'));
    assert.deepEqual(weights.sort(), [...model.stateDict().keys()].sort(), 'initializers are the state_dict keys');
    const path = join(dir, `${name}.onnx`);
    await writeOnnxFile(path, proto);
    if (onnxChecker) assert.match(checkWithOnnx(path), /^ok .* opset=13 ir=7 inputs=input:float\[batch,3,\d+,\d+\] outputs=logits:float\[batch,10\]/);

    // Traced at batch 1; run at batch 3 (the batch axis is dynamic).
    const x = Tensor.randn([3, 3, size, size]);
    const expected = noGrad(() => model.call(x));
    const session = await InferenceSession.create(path);
    const ort = await session.run({ input: new OrtTensor('float32', x.data, x.shape as number[]) });
    const ortLogits = ort.logits.data as Float32Array;
    assert.deepEqual(ort.logits.dims, [3, 10]);
    const ortError = maxErrorOverScale(ortLogits, expected.data);
    assert.ok(ortError <= 1e-5, `onnxruntime differs by ${ortError}`);

    const back = await readOnnxModelFile(path);
    const again = noGrad(() => back.call(x));
    // The same kernels on the same weights; ReLU fusion and weight packing may pick other (equally exact) code paths.
    assert.ok(maxErrorOverScale(again.data, expected.data) <= 1e-6, 'our importer reproduces our forward');
    for (const [key, tensor] of model.stateDict()) assert.deepEqual(back.stateDict().get(key)?.data, tensor.data, key);
  });
}

test('export at opsets 9 and 17 and with a fixed batch: valid, and onnxruntime runs them', async () => {
  manualSeed(3);
  const model = createModel('alexnet-original', { numClasses: 5 }).eval();
  const x = Tensor.randn([2, 3, 227, 227]);
  const expected = noGrad(() => model.call(x));
  for (const [opset, irVersion] of [
    [9, 4],
    [17, 8],
  ]) {
    const proto = exportOnnx(model, [3, 227, 227], { opset, batch: 2 });
    assert.equal(proto.irVersion, irVersion);
    assert.deepEqual(proto.graph.inputs[0].shape, [2, 3, 227, 227]);
    const path = join(dir, `opset${opset}.onnx`);
    await writeOnnxFile(path, proto);
    if (onnxChecker) assert.match(checkWithOnnx(path), new RegExp(`opset=${opset} ir=${irVersion} inputs=input:float\\[2,3,227,227\\]`));
    const session = await InferenceSession.create(path);
    const out = await session.run({ input: new OrtTensor('float32', x.data, [2, 3, 227, 227]) });
    assert.ok(maxErrorOverScale(out.logits.data as Float32Array, expected.data) <= 1e-5, `opset ${opset}`);
  }
});

test('export refuses what ONNX cannot express, with the reason', () => {
  const alexnet = createModel('alexnet', { numClasses: 4 });
  assert.throws(() => exportOnnx(alexnet, [3, 224, 224], { opset: 8 }), /opset 8 is not supported \(expected 9 to 17\)/);
  assert.throws(() => exportOnnx(alexnet, [3, 224, 224], { batch: 0 }), /batch must be 'dynamic' or a positive integer/);
  // 256×256 leaves a 7×7 map that AdaptiveAvgPool2d(6) splits into unequal windows.
  assert.throws(() => exportOnnx(alexnet, [3, 256, 256]), /pools 7×7 to 6×6, which ONNX's AveragePool cannot express \(windows of unequal size\)/);
  // 64×64 (a Fashion-MNIST run's size) leaves 1×1, which torch repeats over 6×6.
  assert.throws(() => exportOnnx(alexnet, [3, 64, 64]), /pools 1×1 to 6×6, which ONNX's AveragePool cannot express \(a smaller map is repeated, not pooled\)/);
  // The same model at 224 exports; the import of its bytes runs.
  const bytes = encodeModel(exportOnnx(alexnet, [3, 224, 224]));
  assert.equal(importOnnx(bytes).inputs[0].name, 'input');
});

/** One Conv2d and one ReLU, each called twice: conv → relu → conv → relu. */
class TwiceCalled extends Module {
  conv = this.registerModule('conv', new Conv2d(2, 2, 3, { padding: 1 }));
  relu = this.registerModule('relu', new ReLU());
  override forward(x: Tensor): Tensor {
    return this.relu.call(this.conv.call(this.relu.call(this.conv.call(x))));
  }
}

/** A view that regroups the batch, [N, 4, H, W] → [2N, 2, H, W], between two convolutions (as grouped LRN does). */
class BatchRegrouping extends Module {
  a = this.registerModule('a', new Conv2d(2, 4, 3, { padding: 1 }));
  b = this.registerModule('b', new Conv2d(2, 3, 1));
  override forward(x: Tensor): Tensor {
    const y = this.a.call(x);
    const [n, c, h, w] = y.shape;
    return this.b.call(y.reshape([n * 2, c / 2, h, w]));
  }
}

/** Writes the export, checks it with onnx.checker when there is one, and runs it in onnxruntime on `x`. */
async function exportAndRun(
  name: string,
  proto: ReturnType<typeof exportOnnx>,
  x: Tensor,
): Promise<{ dims: readonly number[]; data: Float32Array; checker: string }> {
  const path = join(dir, `${name}.onnx`);
  await writeOnnxFile(path, proto);
  const checker = onnxChecker ? checkWithOnnx(path) : '';
  const session = await InferenceSession.create(path);
  const out = await session.run({ input: new OrtTensor('float32', x.data, x.shape as number[]) });
  return { dims: out.logits.dims, data: out.logits.data as Float32Array, checker };
}

test('a layer called twice: one initializer per parameter, node names numbered as torch does, and onnxruntime runs it', async () => {
  manualSeed(4);
  const model = new TwiceCalled().eval();
  const proto = exportOnnx(model, [2, 5, 5]);
  assert.deepEqual(
    proto.graph.nodes.map((n) => n.name),
    ['/conv/Conv', '/relu/Relu', '/conv_1/Conv', '/relu_1/Relu'],
  );
  assert.deepEqual(
    proto.graph.initializers.map((t) => t.name),
    ['conv.weight', 'conv.bias'],
  );
  assert.deepEqual(proto.graph.nodes[2].inputs.slice(1), ['conv.weight', 'conv.bias'], 'the second call reads the same weights');
  const values = proto.graph.nodes.flatMap((n) => n.outputs);
  assert.equal(new Set(values).size, values.length, `values produced once: ${values.join(', ')}`);

  const x = Tensor.randn([3, 2, 5, 5]);
  const expected = noGrad(() => model.call(x));
  const ort = await exportAndRun('twice-called', proto, x);
  assert.deepEqual(ort.dims, [3, 2, 5, 5]);
  assert.ok(maxErrorOverScale(ort.data, expected.data) <= 1e-5, 'onnxruntime agrees with our forward');
  const back = importOnnx(encodeModel(proto));
  assert.deepEqual([...back.stateDict().keys()], ['conv.weight', 'conv.bias']);
  assert.ok(maxErrorOverScale(noGrad(() => back.call(x)).data, expected.data) <= 1e-6, 'our importer reproduces our forward');
});

test('a view that regroups the batch exports as Reshape to -1 (dynamic) or the traced size (fixed), and the output declares its own batch', async () => {
  manualSeed(5);
  const model = new BatchRegrouping().eval();
  const shapeOf = (proto: ReturnType<typeof exportOnnx>): number[] => {
    const reshape = proto.graph.nodes.find((n) => n.opType === 'Reshape');
    const shape = proto.graph.initializers.find((t) => t.name === reshape?.inputs[1]);
    assert.ok(shape !== undefined, 'the Reshape reads its shape from an initializer');
    return tensorFromProto(shape, { source: 'export', what: 'the Reshape shape' }).toNumbers('the Reshape shape');
  };

  const dynamic = exportOnnx(model, [2, 5, 5]);
  assert.deepEqual(shapeOf(dynamic), [-1, 2, 5, 5], 'the batch axis doubles in proportion, whatever the batch');
  // Not 'batch': the output's first axis is twice the input's.
  assert.deepEqual(dynamic.graph.outputs[0].shape, ['output_batch', 3, 5, 5]);
  const x = Tensor.randn([3, 2, 5, 5]);
  const expected = noGrad(() => model.call(x));
  assert.deepEqual(expected.shape, [6, 3, 5, 5]);
  const ort = await exportAndRun('batch-regrouping', dynamic, x);
  if (onnxChecker) assert.match(ort.checker, /inputs=input:float\[batch,2,5,5\] outputs=logits:float\[output_batch,3,5,5\]/);
  assert.deepEqual(ort.dims, [6, 3, 5, 5]);
  assert.ok(maxErrorOverScale(ort.data, expected.data) <= 1e-5, 'onnxruntime agrees with our forward');
  assert.deepEqual(noGrad(() => importOnnx(encodeModel(dynamic)).call(x)).shape, [6, 3, 5, 5], 'our importer runs it too');

  const fixed = exportOnnx(model, [2, 5, 5], { batch: 3 });
  assert.deepEqual(shapeOf(fixed), [6, 2, 5, 5]);
  assert.deepEqual(fixed.graph.outputs[0].shape, [6, 3, 5, 5]);
  const ortFixed = await exportAndRun('batch-regrouping-fixed', fixed, x);
  if (onnxChecker) assert.match(ortFixed.checker, /inputs=input:float\[3,2,5,5\] outputs=logits:float\[6,3,5,5\]/);
  assert.ok(maxErrorOverScale(ortFixed.data, expected.data) <= 1e-5, 'onnxruntime agrees with our forward (fixed batch)');
});
