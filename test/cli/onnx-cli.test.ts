/**
 * ONNX through the CLI: export and convert write a model whose run equals the
 * library's forward of the same weights; convert goes back to a state dict
 * byte for byte; summary, run (a two-input graph) and classify take an .onnx
 * as --weights; a corrupt .onnx ends in one line (the stack only with
 * --verbose). The model is alexnet-original with 10 classes (~230 MB, fc6's
 * weight), made once here from the library and removed at the end.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { noGrad } from '../../src/autograd/grad-mode.js';
import { loadNpy, saveNpy } from '../../src/formats/npy.js';
import { loadSafetensors } from '../../src/formats/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import type { Module } from '../../src/nn/module.js';
import { packageVersion } from '../../src/node/package-version.js';
import { decodeModel } from '../../src/onnx/model-proto.js';
import { readStateDictFile, savePthFile } from '../../src/node/weights/weight-files.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, type CliResult, cli } from '../helpers/cli.js';
import { addGraph } from '../helpers/onnx-graphs.js';

const PHOTOS = '/usr/lib/python3/dist-packages/skimage/data';
const photos = [join(PHOTOS, 'chelsea.png'), join(PHOTOS, 'coffee.png')];
const noPhotos = photos.every(existsSync) ? false : `scikit-image's sample photos are not installed under ${PHOTOS}`;

const work = mkdtempSync(join(tmpdir(), 'alexnet-onnx-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string): string => join(work, name);

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, r.stderr);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

const readNpy = (path: string): Tensor => loadNpy(new Uint8Array(readFileSync(path)), { source: path });

/**
 * ONNX stores float attributes in float32: LRN's alpha 1e-4 comes back as
 * 9.99999974e-5, which moves the logits by about an ulp. Anything beyond
 * this is a real difference.
 */
const ONNX_TOLERANCE = 1e-5;

let model: Module;
const x = Tensor.rand([2, 3, 227, 227], 0, 1, new Generator(11));
const a = Tensor.rand([2, 3], -1, 1, new Generator(1));
const b = Tensor.rand([2, 3], -1, 1, new Generator(2));

before(async () => {
  manualSeed(5);
  model = createModel('alexnet-original', { numClasses: 10 }).eval();
  // Spread the logits so that the top-5 order is decided by margins far above float noise.
  const last = model.stateDict().get('classifier.6.weight')!;
  for (let i = 0; i < last.data.length; i++) last.data[i] *= 40;
  last.markChanged();
  await savePthFile(file('w.pth'), model.stateDict());
  writeFileSync(file('x.npy'), saveNpy(x));
  writeFileSync(file('add.onnx'), addGraph([2, 3]));
  writeFileSync(file('a.npy'), saveNpy(a));
  writeFileSync(file('b.npy'), saveNpy(b));
  // --in-channels matching the weights is accepted (a different one is refused, below).
  const r = await cli('export', '--model', 'alexnet-original', '--weights', file('w.pth'), '--in-channels', '3', '--output', file('model.onnx'));
  assertOk(r);
});

// Each test spawns Node holding a 230 MB model; two at a time.
describe('alexnet CLI with ONNX models', { concurrency: 2 }, () => {
  test('convert W.pth X.onnx writes the same file as export --weights W.pth (the model recognized from the keys)', async () => {
    const r = await cli('convert', file('w.pth'), file('converted.onnx'));
    assertOk(r);
    assert.ok(readFileSync(file('converted.onnx')).equals(readFileSync(file('model.onnx'))));
    // The file names its producer with the package's version.
    const proto = decodeModel(readFileSync(file('model.onnx')), 'model.onnx');
    assert.deepEqual([proto.producerName, proto.producerVersion], ['alexnet-ts', packageVersion()]);
  });

  test("run --weights X.onnx equals run --model alexnet-original --weights W.pth and the library's forward", async () => {
    const [onnx, pth] = await Promise.all([
      cli('run', '--weights', file('model.onnx'), '--input', file('x.npy'), '--output', file('y-onnx.npy')),
      cli('run', '--model', 'alexnet-original', '--weights', file('w.pth'), '--input', file('x.npy'), '--output', file('y-pth.npy')),
    ]);
    assertOk(onnx);
    assertOk(pth);
    const [yOnnx, yPth] = [readNpy(file('y-onnx.npy')), readNpy(file('y-pth.npy'))];
    const expected = noGrad(() => model.call(x));
    assert.deepEqual(yOnnx.shape, [2, 10]);
    assert.ok(maxAbsDiff(yOnnx, yPth) <= ONNX_TOLERANCE, `ONNX vs .pth: ${maxAbsDiff(yOnnx, yPth)}`);
    assert.ok(maxAbsDiff(yOnnx, expected) <= ONNX_TOLERANCE, `ONNX vs library: ${maxAbsDiff(yOnnx, expected)}`);
    // The logits are not all alike (the comparison above would pass on constant outputs otherwise).
    assert.ok(Math.max(...yOnnx.data) - Math.min(...yOnnx.data) > 1);
  });

  test('bench --train refuses an ONNX graph (inference only) in one line; a 3-D --input-file is named against [N, C, S, S]', async () => {
    writeFileSync(file('x3.npy'), saveNpy(Tensor.zeros([3, 227, 227])));
    const [train, rank3] = await Promise.all([
      cli('bench', '--weights', file('model.onnx'), '--train', '--iters', '1'),
      cli('bench', '--weights', file('w.pth'), '--model', 'alexnet-original', '--input-file', file('x3.npy'), '--iters', '1'),
    ]);
    assertOneLineError(train, /--train: .*model\.onnx is an ONNX graph, which runs inference only; drop --train/);
    assertOneLineError(rank3, /the input is \[3, 227, 227\], expected \[1, 3, 227, 227\]/);
  });

  test('convert X.onnx W2.safetensors gives back the state dict exactly: same keys in order, shapes and bytes', async () => {
    const r = await cli('convert', file('model.onnx'), file('w2.safetensors'));
    assertOk(r);
    const original = await readStateDictFile(file('w.pth'));
    const back = loadSafetensors(new Uint8Array(readFileSync(file('w2.safetensors')))).tensors;
    assert.deepEqual([...back.keys()], [...original.keys()]);
    for (const [key, tensor] of original) {
      const other = back.get(key)!;
      assert.deepEqual(other.shape, tensor.shape, key);
      assert.ok(
        Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(
          Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
        ),
        key,
      );
    }
  });

  test('summary --weights X.onnx prints the layer table of the graph', async () => {
    const r = await cli('summary', '--weights', file('model.onnx'));
    assertOk(r);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('├─'));
    const types = rows.map((l) => /^├─(\w+):/.exec(l)?.[1]);
    assert.deepEqual(types, [
      ...['Conv2d', 'ReLU', 'LocalResponseNorm', 'MaxPool2d', 'Conv2d', 'ReLU', 'LocalResponseNorm', 'MaxPool2d'],
      ...['Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten'],
      ...['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear'],
    ]);
    assert.match(rows[0], /\[1, 96, 55, 55\]\s+34,944$/);
    assert.match(rows.at(-1)!, /\[1, 10\]\s+40,970$/);
    const total = [...model.parameters()].reduce((n, p) => n + p.numel, 0);
    assert.match(r.stdout, new RegExp(`\\nTotal params: ${total.toLocaleString('en-US')}\\n`));
  });

  test('run feeds a two-input graph from two --input files and writes its output; a wrong count of --input is refused', async () => {
    const [good, oneInput] = await Promise.all([
      cli('run', '--weights', file('add.onnx'), '--input', file('a.npy'), '--input', file('b.npy'), '--output', file('sum.npy')),
      cli('run', '--weights', file('add.onnx'), '--input', file('a.npy'), '--output', file('never.npy')),
    ]);
    assertOk(good);
    const sum = readNpy(file('sum.npy'));
    assert.deepEqual(sum.shape, [2, 3]);
    assert.deepEqual(
      sum.data,
      Float32Array.from(a.data, (v, i) => v + b.data[i]),
    );
    assertOneLineError(oneInput, /--input: the graph takes 2 input\(s\) \('a', 'b'\), got 1/);
    assert.ok(!existsSync(file('never.npy')));
  });

  test('classify --weights X.onnx gives the top-5 of classify --model alexnet-original --weights W.pth', { skip: noPhotos }, async () => {
    const [onnx, pth] = await Promise.all([
      cli('classify', '--weights', file('model.onnx'), ...photos, '--json'),
      cli('classify', '--model', 'alexnet-original', '--weights', file('w.pth'), ...photos, '--json'),
    ]);
    assertOk(onnx);
    assertOk(pth);
    assert.equal(onnx.stderr, '', 'no warning: the graph has its weights');
    type Results = Array<{ file: string; top: Array<{ index: number; prob: number }> }>;
    const [fromOnnx, fromPth] = [JSON.parse(onnx.stdout) as Results, JSON.parse(pth.stdout) as Results];
    assert.deepEqual(
      fromOnnx.map((r) => r.file),
      photos,
    );
    for (const [i, result] of fromOnnx.entries()) {
      assert.equal(result.top.length, 5);
      assert.deepEqual(
        result.top.map((p) => p.index),
        fromPth[i].top.map((p) => p.index),
        result.file,
      );
      for (const [k, p] of result.top.entries())
        assert.ok(Math.abs(p.prob - fromPth[i].top[k].prob) <= 1e-4, `${result.file} #${k}: ${p.prob} vs ${fromPth[i].top[k].prob}`);
    }
    // The two photos are told apart (the weights are not degenerate).
    assert.notDeepEqual(fromOnnx[0].top, fromOnnx[1].top);
  });

  test('convert of a state dict with unknown keys to .onnx asks for --model and writes nothing', async () => {
    await savePthFile(file('odd.pth'), new Map([['encoder.weight', Tensor.zeros([4, 3])]]));
    const r = await cli('convert', file('odd.pth'), file('odd.onnx'));
    assertOneLineError(r, /odd\.pth: the keys are not those of a known model; name it with --model/);
    assert.ok(!existsSync(file('odd.onnx')));
  });

  test('export --in-channels that the weights do not take is refused, naming what they take', async () => {
    assertOneLineError(
      await cli('export', '--model', 'alexnet-original', '--weights', file('w.pth'), '--in-channels', '1', '--output', file('never.onnx')),
      /--in-channels 1: the weights in .*w\.pth take 3-channel input/,
    );
    assert.ok(!existsSync(file('never.onnx')));
  });

  test('a corrupt .onnx as --weights ends in one line naming the file; --verbose adds the stack', async () => {
    // The first bytes of a real model: recognized as ONNX (ir_version first), then cut short.
    writeFileSync(file('corrupt.onnx'), readFileSync(file('add.onnx')).subarray(0, 40));
    const image = 'test/fixtures/image/photos/chelsea.png';
    const [plain, run, verbose] = await Promise.all([
      cli('classify', '--weights', file('corrupt.onnx'), image),
      cli('run', '--weights', file('corrupt.onnx'), '--input', file('a.npy'), '--output', file('never.npy')),
      cli('classify', '--weights', file('corrupt.onnx'), image, '--verbose'),
    ]);
    assertOneLineError(plain, /corrupt\.onnx: not a valid ONNX model/);
    assertOneLineError(run, /corrupt\.onnx: not a valid ONNX model/);
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    assert.notEqual(verbose.code, 0);
    assert.match(verbose.stderr, /^alexnet: error: .*corrupt\.onnx: not a valid ONNX model.*\n/);
    assert.match(verbose.stderr, /\n\s+at /);
  });
});
