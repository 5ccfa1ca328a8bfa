/**
 * `alexnet visualize`: PNGs holding exactly the core's pictures (filterGrid,
 * featureMapGrid over convFeatureMaps) for seeded random weights, and one
 * clear line with a non-zero exit on bad input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { saveSafetensors } from '../../src/formats/safetensors.js';
import { imagenetEvalTransform } from '../../src/image/imagenet.js';
import { createModel } from '../../src/models/registry.js';
import type { Module } from '../../src/nn/module.js';
import { makeDirectories } from '../../src/node/fs/make-directories.js';
import { readImage } from '../../src/node/image/decode.js';
import { savePthFile } from '../../src/node/weights/weight-files.js';
import { manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { RasterImage } from '../../src/train/filter-grid.js';
import { convFeatureMaps, featureMapGrid, filterGrid, firstConv } from '../../src/visualize/index.js';
import { assertOneLineError, cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIMAGE_PHOTO = '/usr/lib/python3/dist-packages/skimage/data/astronaut.png';
const photo = existsSync(SKIMAGE_PHOTO) ? SKIMAGE_PHOTO : join(ROOT, 'test/fixtures/image/photos/chelsea.png');

const work = mkdtempSync(join(tmpdir(), 'alexnet-visualize-'));
const file = (name: string): string => join(work, name);
after(() => rmSync(work, { recursive: true, force: true }));

let model: Module;

before(async () => {
  manualSeed(21);
  model = createModel('alexnet').eval();
  writeFileSync(file('alexnet.safetensors'), saveSafetensors(model.stateDict()));
  manualSeed(22);
  await savePthFile(file('original.pth'), createModel('alexnet-original').stateDict());
  await savePthFile(file('gray.pth'), createModel('alexnet', { inChannels: 1, numClasses: 10 }).stateDict());
  writeFileSync(file('notes.png'), 'not an image\n');
  writeFileSync(file('a-file'), 'x');
});

/** A PNG's pixels as sharp decodes them, in the channels the file stores (gray stays gray). */
async function readPng(path: string): Promise<RasterImage> {
  const meta = await sharp(path).metadata();
  assert.equal(meta.format, 'png');
  const { data, info } = await sharp(path)
    .toColourspace(meta.channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, meta.channels);
  return { width: info.width, height: info.height, channels: info.channels as 1 | 3, pixels: new Uint8Array(data) };
}

describe('alexnet visualize', { concurrency: 2 }, () => {
  test("with an image: conv1's kernels and each conv layer's feature maps, the core's pictures pixel for pixel", async () => {
    const out = file('with-image');
    const r = await cli('visualize', photo, '--weights', file('alexnet.safetensors'), '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'weights were given: no warning');
    const names = ['conv1-filters.png', ...['0', '3', '6', '8', '10'].map((i) => `feature-maps-features.${i}.png`)];
    assert.deepEqual(readdirSync(out).sort(), [...names].sort(), 'nothing else (no temporaries left)');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, names.length);
    for (const [i, name] of names.entries()) assert.ok(lines[i].startsWith(`wrote ${join(out, name)} `), lines[i]);
    assert.match(lines[1], /conv1 \+ ReLU, 64×55×55; 458×458/);

    const filters = await readPng(join(out, 'conv1-filters.png'));
    assert.deepEqual(filters, filterGrid(firstConv(model).layer.weight));
    const x = imagenetEvalTransform(await readImage(photo), { resize: 256, crop: 224 });
    const layers = convFeatureMaps(model, new Tensor(x.data, [1, ...x.shape]));
    for (const layer of layers) {
      const png = await readPng(join(out, `feature-maps-${layer.name}.png`));
      const expected = featureMapGrid(layer);
      assert.deepEqual([png.width, png.height, png.channels], [expected.width, expected.height, 1], layer.name);
      assert.ok(Buffer.from(png.pixels).equals(Buffer.from(expected.pixels)), `${layer.name}: the same pixels`);
    }
  });

  test('without an image: the filters alone, into a folder it creates; random weights are warned about', async () => {
    const out = file('new/filters-only');
    const r = await cli('visualize', '--model', 'alexnet-original', '--output', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^alexnet: warning: no --weights given.*random/);
    assert.deepEqual(readdirSync(out), ['conv1-filters.png']);
    const png = await readPng(join(out, 'conv1-filters.png'));
    // 96 kernels of 11×11 in colour: 10 columns × 10 rows of 66-pixel cells with 2-pixel gaps.
    assert.deepEqual([png.width, png.height, png.channels], [10 * 66 + 11 * 2, 10 * 66 + 11 * 2, 3]);
  });

  test('--max-maps limits the tiles of each layer', async () => {
    const out = file('max-maps');
    const r = await cli('visualize', photo, '--weights', file('alexnet.safetensors'), '--output', out, '--max-maps', '4');
    assert.equal(r.code, 0, r.stderr);
    const conv1 = await readPng(join(out, 'feature-maps-features.0.png'));
    assert.deepEqual([conv1.width, conv1.height], [2 * 55 + 3 * 2, 2 * 55 + 3 * 2]);
  });

  test('bad input: one line naming it, a non-zero exit, nothing written', async () => {
    const out = file('never');
    const weights = file('alexnet.safetensors');
    const [missingWeights, otherModel, notImage, outputIsFile, badMax] = await Promise.all([
      cli('visualize', photo, '--weights', file('missing.safetensors'), '--output', out),
      cli('visualize', photo, '--weights', file('original.pth'), '--output', out),
      cli('visualize', file('notes.png'), '--weights', weights, '--output', out),
      cli('visualize', photo, '--weights', weights, '--output', file('a-file')),
      cli('visualize', '--weights', weights, '--output', out, '--max-maps', 'lots'),
    ]);
    assertOneLineError(missingWeights, /missing\.safetensors/);
    assertOneLineError(otherModel, /original\.pth do not fit --model alexnet/);
    assertOneLineError(notImage, /notes\.png is not a decodable image/);
    assertOneLineError(outputIsFile, /--output .*a-file is a file, expected a folder/);
    assertOneLineError(badMax, /--max-maps 'lots': expected a positive integer/);
    assert.ok(!existsSync(out));
  });
});

// A Fashion-MNIST-shaped model (1 channel): bench feeds it 1-channel input; visualize says why it draws no picture's maps.
test('1-channel weights: bench generates 1-channel input, visualize of a picture refuses by the channel count', async () => {
  const [bench, maps] = await Promise.all([
    cli('bench', '--weights', file('gray.pth'), '--input-size', '64', '--iters', '1', '--warmup', '0', '--json'),
    cli('visualize', photo, '--weights', file('gray.pth'), '--output', file('gray-maps')),
  ]);
  assert.equal(bench.code, 0, bench.stderr);
  assert.ok(JSON.parse(bench.stdout).images_per_s > 0);
  assertOneLineError(
    maps,
    /the model takes 1-channel images .*; drawing the feature maps of a picture needs a model of RGB input, 3 channels\. Without an image, visualize draws its conv1 filters$/,
  );
  assert.equal(existsSync(file('gray-maps')), false);
});

// Node 20's recursive mkdir never settles where a folder cannot be made (/proc): `visualize --output /proc/x` spun
// for ever at full CPU.
test('a folder that cannot be made is one error naming it; nested ones are made', { skip: existsSync('/proc/self') ? false : 'no /proc here' }, async () => {
  await assert.rejects(
    makeDirectories('/proc/alexnet-ts-test/maps'),
    /^Error: cannot create folder \/proc\/alexnet-ts-test\/maps: ENOENT at \/proc\/alexnet-ts-test$/,
  );
  const root = mkdtempSync(join(tmpdir(), 'alexnet-mkdir-'));
  try {
    await makeDirectories(join(root, 'a', 'b', 'c'));
    assert.ok(existsSync(join(root, 'a', 'b', 'c')));
    await makeDirectories(join(root, 'a', 'b')); // already there
    writeFileSync(join(root, 'file'), '');
    await assert.rejects(makeDirectories(join(root, 'file', 'x')), /cannot create folder .*file\/x: .*file is not a folder/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
