import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { loadNpy, saveNpy } from '../../src/formats/npy.js';
import { createModel } from '../../src/models/registry.js';
import { formatSummary } from '../../src/summary/format.js';
import { summary } from '../../src/summary/summary.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'alexnet-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

// Each test spawns Node; two at a time keeps a 2-core machine busy without thrashing.
describe('alexnet CLI', { concurrency: 2 }, () => {
  test("summary prints the article's table", async () => {
    const r = await cli('summary', '--model', 'alexnet', '--input', '1,3,416,416');
    assert.equal(r.code, 0, r.stderr);
    const article = readFileSync(join(ROOT, 'test/fixtures/summary/article-table.txt'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').trim()),
      article,
    );
    assert.equal(r.stdout, `${formatSummary(summary(createModel('alexnet'), [1, 3, 416, 416]), { colWidth: 17 })}\n`);
  });

  test('bad arguments end in one line naming them; the stack only with --verbose', async () => {
    const [bad, verbose, huge, wide] = await Promise.all([
      cli('summary', '--input', '1,3,x'),
      cli('summary', '--model', 'resnet', '--verbose'),
      cli('summary', '--input', '1,3,30000,30000'),
      cli('summary', '--col-width', '99999999999'),
    ]);
    assertOneLineError(bad, /--input '1,3,x'.*N,C,H,W/);
    assertOneLineError(huge, /input \[1, 3, 30000, 30000\] has 2700000000 elements, more than a tensor holds/);
    assertOneLineError(wide, /--col-width 99999999999: expected at most 1000 characters/);
    assert.notEqual(verbose.code, 0);
    assert.match(verbose.stderr, /^alexnet: error: unknown model 'resnet': expected one of alexnet, alexnet-original, alexnet-original-grouped\n/);
    assert.match(verbose.stderr, /\n\s+at /);
  });

  test("commander's usage errors are one line too, saying where the options are listed", async () => {
    const [option, required, command] = await Promise.all([cli('summary', '--foo'), cli('train', '--dataset', 'fashion-mnist-subset'), cli('frobnicate')]);
    assertOneLineError(option, /error: unknown option '--foo' \(alexnet summary --help lists its options\)$/);
    assertOneLineError(required, /error: required option '--out <dir>' not specified \(alexnet train --help lists its options\)$/);
    assertOneLineError(command, /error: unknown command 'frobnicate' \(alexnet --help lists the commands\)$/);
  });

  test("an input side above alexnet-original's largest is refused before anything is written", async () => {
    const out = join(work, 'too-large-run');
    const [train, exported] = await Promise.all([
      cli('train', '--model', 'alexnet-original', '--dataset', 'fashion-mnist-subset', '--image-size', '300', '--out', out),
      cli('export', '--model', 'alexnet-original', '--input-size', '259', '--output', join(work, 'too-large.onnx')),
    ]);
    assertOneLineError(train, /--image-size 300 is above alexnet-original's largest input, 258$/);
    assertOneLineError(exported, /--input-size 259 is above alexnet-original's largest input, 258$/);
    assert.equal(existsSync(out), false, 'no run folder is left to block the corrected command');
    assert.equal(existsSync(join(work, 'too-large.onnx')), false);
  });

  test("train --init paper is for the paper's models; torchvision's alexnet refuses it by name", async () => {
    const r = await cli('train', '--model', 'alexnet', '--dataset', 'fashion-mnist-subset', '--init', 'paper', '--out', join(work, 'init-run'));
    assertOneLineError(r, /--init paper applies to the alexnet-original models; alexnet keeps torchvision's initialization$/);
    assert.equal(existsSync(join(work, 'init-run')), false);
  });

  test('run writes the eval-mode output of the .npy tensor', async () => {
    const x = Tensor.rand([2, 3, 63, 70], 0, 1, new Generator(7));
    writeFileSync(join(work, 'x.npy'), saveNpy(x));
    const r = await cli('run', '--model', 'alexnet', '--num-classes', '10', '--input', join(work, 'x.npy'), '--output', join(work, 'y.npy'));
    assert.equal(r.code, 0, r.stderr);
    const y = loadNpy(readFileSync(join(work, 'y.npy')));
    // The CLI's model got the default generator's first draws (seed 0); rebuild it the same way.
    manualSeed(0);
    const model = createModel('alexnet', { numClasses: 10 }).eval();
    const expected = noGrad(() => model.call(x));
    assert.deepEqual(y.shape, [2, 10]);
    assert.deepEqual(y.data, expected.data);
  });

  test('run refuses a wrong shape or a missing file and writes nothing', async () => {
    writeFileSync(join(work, 'gray.npy'), saveNpy(Tensor.zeros([1, 1, 64, 64])));
    const out = join(work, 'never.npy');
    const [wrongShape, missing, folder] = await Promise.all([
      cli('run', '--input', join(work, 'gray.npy'), '--output', out),
      cli('run', '--input', join(work, 'missing.npy'), '--output', out),
      cli('run', '--input', join(work, 'gray.npy'), '--output', work),
    ]);
    assertOneLineError(wrongShape, /gray\.npy.*expected input \[N, 3, H, W\].*got \[1, 1, 64, 64\]/);
    assertOneLineError(missing, /missing\.npy: no such file/);
    // Before the forward pass, not as a failed rename of a temporary file after it.
    assertOneLineError(folder, /--output .*: is a directory; expected a file name \(y\.npy\)$/);
    assert.ok(!existsSync(out));
  });

  test('classify --json gives the top-k with ImageNet labels, warning that the weights are random', async () => {
    const image = 'test/fixtures/image/photos/chelsea.png';
    const r = await cli('classify', image, '--topk', '3', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^alexnet: warning: no --weights given.*random/);
    const results = JSON.parse(r.stdout) as Array<{ file: string; top: Array<{ index: number; label: string; prob: number }> }>;
    assert.equal(results.length, 1);
    assert.equal(results[0].file, image);
    const { top } = results[0];
    assert.equal(top.length, 3);
    assert.ok(top.every((p, i) => p.prob > 0 && p.prob < 1 && (i === 0 || p.prob <= top[i - 1].prob)));
    assert.ok(top.every((p) => Number.isInteger(p.index) && p.index >= 0 && p.index < 1000 && typeof p.label === 'string' && p.label.length > 0));
  });

  test('classify with weights of 1-channel input (a Fashion-MNIST model) says why, in one line', async () => {
    const { saveSafetensors } = await import('../../src/formats/safetensors.js');
    const { withoutInitialization } = await import('../../src/nn/init.js');
    const gray = withoutInitialization(() => createModel('alexnet', { inChannels: 1, numClasses: 10 }));
    const weights = join(work, 'gray.safetensors');
    writeFileSync(weights, saveSafetensors(gray.stateDict()));
    const image = join(work, 'gray-input.png');
    writeFileSync(
      image,
      await (await import('sharp'))
        .default({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
        .png()
        .toBuffer(),
    );
    assertOneLineError(await cli('classify', image, '--weights', weights), /the model takes 1-channel images \(weights trained with --in-channels 1/);
  });

  test('classify names a file that is not an image', async () => {
    assertOneLineError(await cli('classify', 'package.json'), /package\.json is not a decodable image/);
  });

  test('info reports the version and the backend in use', async () => {
    const r = await cli('info');
    assert.equal(r.code, 0, r.stderr);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(r.stdout, new RegExp(`^alexnet-ts ${version.replace(/\./g, '\\.')}\n`));
    assert.match(r.stdout, /\nbackend: js\n/);
    assert.match(r.stdout, new RegExp(`\nnode: ${process.version.replace(/\./g, '\\.')} `));
  });
});
