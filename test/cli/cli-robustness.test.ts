/**
 * The command line's edges: a reader that closes stdout early, graph inputs
 * that are not float32, outputs that would replace an input or cannot be
 * written, flags checked before any model is loaded, --verbose's cause
 * chain, and options that do not apply.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNpy, loadNpyRaw, saveNpy } from '../../src/formats/npy.js';
import { writeFileAtomic } from '../../src/node/fs/atomic-write.js';
import { openRunData } from '../../src/node/train/datasets.js';
import { savePthFile } from '../../src/node/weights/weight-files.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, cli } from '../helpers/cli.js';
import { addGraph, graphBytes, node, tinyConvNet, tinyImageClassifier, valueInfo } from '../helpers/onnx-graphs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PHOTO = join(ROOT, 'test/fixtures/image/photos/chelsea.png');
const work = mkdtempSync(join(tmpdir(), 'alexnet-cli-edges-'));
const file = (name: string): string => join(work, name);
after(() => rmSync(work, { recursive: true, force: true }));

/** A .npy of any dtype, laid out as numpy writes version 1.0 (the header padded to a multiple of 64 bytes). */
function npyBytes(descr: string, shape: number[], data: ArrayBufferView): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += `${' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64)}\n`;
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** out = data[idx] along axis 0: data float32 [4, 3], idx int64 [2]. */
function gatherGraph(): Uint8Array {
  return graphBytes({
    name: 'gather',
    nodes: [node('Gather', ['data', 'idx'], ['out'], 'gather')],
    inputs: [valueInfo('data', [4, 3]), valueInfo('idx', [2], 'int64')],
    outputs: [valueInfo('out', [2, 3])],
  });
}

interface ClosedPipeResult {
  code: number | null;
  firstLine: string;
  stderr: string;
}

/** Runs the CLI as `alexnet ARGS | head -1` would: the reader closes stdout after the first line (at once with `closeAtOnce`). */
function cliIntoClosedPipe(args: string[], closeAtOnce = false): Promise<ClosedPipeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', '--backend', 'js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    const close = (): void => {
      child.stdout.destroy();
    };
    if (closeAtOnce) close();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) close();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, firstLine: stdout.split('\n')[0], stderr }));
  });
}

before(async () => {
  writeFileSync(file('gather.onnx'), gatherGraph());
  writeFileSync(file('add.onnx'), addGraph([2, 3]));
  writeFileSync(file('tiny1ch.onnx'), tinyConvNet());
  writeFileSync(file('classes10.onnx'), tinyImageClassifier());
  // data[i, j] = 3i + j, so a gathered row names its index.
  writeFileSync(
    file('data.npy'),
    saveNpy(
      new Tensor(
        Float32Array.from({ length: 12 }, (_, i) => i),
        [4, 3],
      ),
    ),
  );
  writeFileSync(file('idx-int64.npy'), npyBytes('<i8', [2], BigInt64Array.from([3n, 1n])));
  writeFileSync(file('idx-int32.npy'), npyBytes('<i4', [2], Int32Array.from([2, 0])));
  writeFileSync(file('idx-float-whole.npy'), saveNpy(new Tensor(Float32Array.from([1, 3]), [2])));
  writeFileSync(file('idx-float-fraction.npy'), saveNpy(new Tensor(Float32Array.from([1, 1.5]), [2])));
  writeFileSync(file('a.npy'), saveNpy(new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])));
  await savePthFile(file('small.pth'), new Map([['w', Tensor.zeros([2, 2])]]));
  mkdirSync(file('folder.safetensors'));
  mkdirSync(file('ds/val'), { recursive: true });
});

describe('alexnet CLI edges', { concurrency: 2 }, () => {
  test('a reader that closes stdout early: no EPIPE crash, and the command still writes its files', async () => {
    const [visualized, converted] = await Promise.all([
      cliIntoClosedPipe(['visualize', PHOTO, '--output', file('vis')]),
      cliIntoClosedPipe(['convert', file('small.pth'), file('piped.safetensors')], true),
    ]);
    assert.equal(visualized.code, 0, visualized.stderr);
    assert.match(visualized.firstLine, /^wrote .*conv1-filters\.png/);
    assert.doesNotMatch(visualized.stderr, /EPIPE|\n\s+at /);
    // The last layer's maps come after several more lines of output.
    assert.ok(existsSync(join(file('vis'), 'feature-maps-features.10.png')));
    assert.equal(converted.code, 0, converted.stderr);
    assert.doesNotMatch(converted.stderr, /EPIPE|\n\s+at /);
    assert.ok(existsSync(file('piped.safetensors')));
  });

  test("run feeds an int64 graph input from the .npy's own dtype, or an exact cast; a fraction is refused", async () => {
    const run = (idx: string, out: string) =>
      cli('run', '--weights', file('gather.onnx'), '--input', file('data.npy'), '--input', file(idx), '--output', file(out));
    const [int64, int32, wholeFloats, fraction] = await Promise.all([
      run('idx-int64.npy', 'g64.npy'),
      run('idx-int32.npy', 'g32.npy'),
      run('idx-float-whole.npy', 'gf.npy'),
      run('idx-float-fraction.npy', 'gbad.npy'),
    ]);
    const rows = (...indices: number[]) => indices.flatMap((i) => [3 * i, 3 * i + 1, 3 * i + 2]);
    for (const [r, out, indices] of [
      [int64, 'g64.npy', [3, 1]],
      [int32, 'g32.npy', [2, 0]],
      [wholeFloats, 'gf.npy', [1, 3]],
    ] as const) {
      assert.equal(r.code, 0, r.stderr);
      const y = loadNpy(new Uint8Array(readFileSync(file(out))));
      assert.deepEqual(y.shape, [2, 3]);
      assert.deepEqual(Array.from(y.data), rows(...indices));
    }
    assertOneLineError(fraction, /--input .*idx-float-fraction\.npy \(graph input 'idx'\): holds float32 value 1\.5 at element 1, not exactly a int64/);
    assert.equal(existsSync(file('gbad.npy')), false);
  });

  test('loadNpyRaw keeps the dtype and gives little-endian bytes for a big-endian file', () => {
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigInt64(0, 3n, false);
    new DataView(big.buffer).setBigInt64(8, -2n, false);
    const raw = loadNpyRaw(npyBytes('>i8', [2], big));
    assert.equal(raw.dtype, 'int64');
    assert.deepEqual(raw.shape, [2]);
    assert.deepEqual(Array.from(new BigInt64Array(raw.data.slice().buffer)), [3n, -2n]);
    assert.throws(() => loadNpyRaw(npyBytes('<i8', [3], big)), /needs 24 bytes of data, the file has 16/);
  });

  test('an output that is one of the inputs is refused, naming both flags, and the input is kept', async () => {
    const before = readFileSync(file('a.npy'));
    const [run, bench] = await Promise.all([
      // The same file by another spelling: a relative path.
      cli('run', '--weights', file('add.onnx'), '--input', file('a.npy'), '--input', file('a.npy'), '--output', relative(ROOT, file('a.npy'))),
      cli('bench', '--model', 'alexnet', '--input-file', file('a.npy'), '--save-output', file('a.npy'), '--iters', '1'),
    ]);
    assertOneLineError(run, /--output .*a\.npy is the --input file .*a\.npy: writing it would replace the input/);
    assertOneLineError(bench, /--save-output .*a\.npy is the --input-file file .*a\.npy/);
    assert.deepEqual(readFileSync(file('a.npy')), before);
  });

  test('eval: a missing folder is named first; a 1-channel model is named by its --weights, not an --in-channels it lacks', async () => {
    const [missing, gray, beforeWeights, noData] = await Promise.all([
      cli('eval', '--weights', file('tiny1ch.onnx'), '--dataset', file('nothere')),
      cli('eval', '--weights', file('tiny1ch.onnx'), '--dataset', file('ds')),
      // The data set is looked for before the weights are read (which may take seconds): a missing
      // weights file is not what the user hears about first.
      cli('eval', '--weights', file('missing-weights.pth'), '--dataset', file('nothere')),
      cli('eval', '--weights', file('missing-weights.pth'), '--dataset', 'fashion-mnist', '--data', file('ds')),
    ]);
    assertOneLineError(missing, /--dataset .*nothere: .*no such directory/);
    assertOneLineError(beforeWeights, /--dataset .*nothere: .*no such directory/);
    assertOneLineError(noData, /Fashion-MNIST: .*ds \(given as the data directory\) does not contain t10k-images-idx3-ubyte/);
    assertOneLineError(gray, /--weights .*tiny1ch\.onnx take 1-channel input; image folders are decoded as RGB/);
    await assert.rejects(openRunData({ dataset: file('gone'), imageSize: 8, inChannels: 1 }), /no such directory/);
  });

  test('number flags are checked before the weights are read (a missing file is not reported first)', async () => {
    const missing = file('missing.pth');
    const results = await Promise.all([
      cli('eval', '--weights', missing, '--dataset', 'fashion-mnist-subset', '--batch-size', '0'),
      cli('bench', '--weights', missing, '--iters', '0'),
      cli('export', '--weights', missing, '--opset', '1.5e1', '--output', file('x.onnx')),
      cli('export', '--opset', '0x0d', '--output', file('x.onnx')),
      cli('convert', missing, file('x.onnx'), '--batch', 'two'),
    ]);
    const expected = [/--batch-size '0'/, /--iters '0'/, /--opset '1\.5e1': expected an integer/, /--opset '0x0d': expected an integer/, /--batch 'two'/];
    for (const [i, r] of results.entries()) assertOneLineError(r, expected[i]);
  });

  test('an output folder that does not exist, or an output that is a folder, fails before the work', async () => {
    const [bench, exported, converted] = await Promise.all([
      cli('bench', '--weights', file('missing.pth'), '--save-output', file('nodir/y.npy')),
      cli('export', '--weights', file('missing.pth'), '--output', file('nodir/m.onnx')),
      cli('convert', file('small.pth'), file('folder.safetensors')),
    ]);
    assertOneLineError(bench, /--save-output .*nodir\/y\.npy: directory .*nodir does not exist/);
    assertOneLineError(exported, /--output .*nodir\/m\.onnx: directory .*nodir does not exist/);
    assertOneLineError(converted, /output .*folder\.safetensors: is a directory/);
  });

  test("a failed write names the path the caller gave, not the temporary file's", async () => {
    const target = file('nodir/x.bin');
    await assert.rejects(writeFileAtomic(target, 'data'), (error: Error) => {
      assert.equal(error.message, `cannot write ${target}: ENOENT: no such directory`);
      return true;
    });
  });

  test('--verbose prints the cause under a wrapped error', async () => {
    writeFileSync(file('one-channel.npy'), saveNpy(Tensor.zeros([1, 1, 64, 64])));
    const r = await cli('run', '--model', 'alexnet', '--input', file('one-channel.npy'), '--output', file('nope.npy'), '--verbose');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^alexnet: error: --input .*one-channel\.npy: /);
    assert.match(r.stderr, /\nCaused by: Error: /);
  });

  test('bench names --input-size; classify refuses --topk above the class count; help lists the global options', async () => {
    const [small, large, topk, help] = await Promise.all([
      cli('bench', '--weights', file('classes10.onnx'), '--input-size', '10'),
      cli('bench', '--weights', file('classes10.onnx'), '--input-size', '100000'),
      cli('classify', PHOTO, '--weights', file('classes10.onnx'), '--topk', '11'),
      cli('run', '--help'),
    ]);
    assertOneLineError(small, /--input-size 10 is below .*smallest input, 224/);
    assertOneLineError(large, /--input-size 100000 is above .*largest input, 224/);
    assertOneLineError(topk, /--topk 11: the model has 10 classes/);
    assert.match(help.stdout, /--backend <name>/);
    assert.match(help.stdout, /--verbose/);
  });

  test('options that cannot apply are refused: a misspelt --model beside an ONNX graph, ONNX-only flags for .pth output', async () => {
    const [model, onnxOnly] = await Promise.all([
      cli('run', '--model', 'vgg', '--weights', file('add.onnx'), '--input', file('a.npy'), '--input', file('a.npy'), '--output', file('sum.npy')),
      cli('convert', file('small.pth'), file('copy.pth'), '--opset', '13', '--model', 'alexnet'),
    ]);
    assertOneLineError(model, /unknown model 'vgg'/);
    assertOneLineError(onnxOnly, /^alexnet: error: --opset, --model: apply to \.onnx output only, and .*copy\.pth is \.pth$/);
    assert.equal(existsSync(file('copy.pth')), false);
  });
});
