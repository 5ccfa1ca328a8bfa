/**
 * Resize sizing, CenterCrop, ToTensor, Normalize and the ImageNet eval
 * transform against torchvision 0.14 (fixture: tools/gen_image_fixtures.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmykToRgb, toRgb } from '../../src/image/convert.js';
import { centerCrop, crop } from '../../src/image/crop.js';
import { IMAGENET_MEAN, IMAGENET_STD, imagenetEvalPixels, imagenetEvalTransform, preprocessBatch } from '../../src/image/imagenet.js';
import { normalize } from '../../src/image/normalize.js';
import { resize, resizedOutputSize } from '../../src/image/resize.js';
import { toTensor } from '../../src/image/to-tensor.js';
import { base64Bytes, base64Floats, noiseImage, readJson } from './helpers.js';

interface Fixture {
  resizedSizes: { height: number; width: number; size: number; maxSize: number | null; expected: [number, number] }[];
  centerCrops: {
    width: number;
    height: number;
    channels: number;
    seed: number;
    crop: [number, number];
    outWidth: number;
    outHeight: number;
    expected: string;
  }[];
  normalized: {
    width: number;
    height: number;
    seed: number;
    resize: number;
    crop: number;
    mean: number[];
    std: number[];
    expected: string;
  }[];
}

const fixture = readJson<Fixture>('transform_cases.json');

test('resizedOutputSize follows torchvision _compute_resized_output_size', () => {
  assert.ok(fixture.resizedSizes.length > 20);
  for (const c of fixture.resizedSizes) {
    const got = resizedOutputSize(c.height, c.width, c.size, c.maxSize ?? undefined);
    assert.deepEqual(got, c.expected, `${c.height}x${c.width} size ${c.size} maxSize ${c.maxSize}`);
  }
  assert.deepEqual(resizedOutputSize(300, 451, [100, 50]), [100, 50]);
  assert.deepEqual(resizedOutputSize(300, 451, [256]), [256, 384]);
});

test('centerCrop matches torchvision CenterCrop, padding included', () => {
  for (const c of fixture.centerCrops) {
    const what = `${c.width}x${c.height} crop ${c.crop}`;
    const out = centerCrop(noiseImage(c.width, c.height, c.channels, c.seed), c.crop);
    assert.deepEqual([out.width, out.height], [c.outWidth, c.outHeight], what);
    assert.deepEqual(out.data, base64Bytes(c.expected), what);
  }
});

test('crop reads zeros outside the image, like PIL Image.crop', () => {
  const image = { width: 2, height: 2, channels: 1, data: Uint8Array.of(1, 2, 3, 4) };
  assert.deepEqual(Array.from(crop(image, -1, -1, 3, 4).data), [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0]);
  assert.deepEqual(Array.from(crop(image, 5, 5, 1, 1).data), [0]);
});

test('the eval transform reproduces Resize + CenterCrop + ToTensor + Normalize bit for bit', () => {
  for (const c of fixture.normalized) {
    const image = noiseImage(c.width, c.height, 3, c.seed);
    const out = imagenetEvalTransform(image, { resize: c.resize, crop: c.crop, mean: c.mean, std: c.std });
    assert.deepEqual(out.shape, [3, c.crop, c.crop]);
    const expected = base64Floats(c.expected);
    let mismatches = 0;
    for (let i = 0; i < expected.length; i++) if (out.data[i] !== expected[i]) mismatches++;
    assert.equal(mismatches, 0, `${c.width}x${c.height}: ${mismatches} values differ from torchvision`);
  }
  assert.deepEqual(IMAGENET_MEAN, fixture.normalized[0].mean);
  assert.deepEqual(IMAGENET_STD, fixture.normalized[0].std);
});

test('toTensor is CHW bytes / 255 and normalize works per channel on [C,H,W] and [N,C,H,W]', () => {
  const image = { width: 2, height: 1, channels: 3, data: Uint8Array.of(0, 51, 255, 255, 102, 0) };
  const t = toTensor(image);
  assert.deepEqual(t.shape, [3, 1, 2]);
  assert.deepEqual(Array.from(t.data), [0, 1, 0.2, 0.4, 1, 0].map(Math.fround));
  const n = normalize(t, [0.5, 0, 1], [0.5, 1, 2]);
  assert.deepEqual(Array.from(n.data), [-1, 1, 0.2, 0.4, 0, -0.5].map(Math.fround));
  const batched = normalize({ data: Float32Array.of(1, 1, 1, 1), shape: [2, 2, 1, 1] }, [0, 1], [1, 1]);
  assert.deepEqual(Array.from(batched.data), [1, 0, 1, 0]);
  assert.throws(() => normalize(t, [0, 0], [1, 1]), /normalize: mean and std need one value per channel \(3\), got 2 and 2/);
  assert.throws(() => normalize(t, [0, 0, 0], [1, 0, 1]), /std evaluated to zero for channel 1/);
});

test('preprocessBatch stacks eval transforms into [N, 3, crop, crop]', () => {
  const images = [noiseImage(64, 48, 3, 1), noiseImage(30, 50, 3, 2)];
  const batch = preprocessBatch(images, { resize: 40, crop: 32 });
  assert.deepEqual(batch.shape, [2, 3, 32, 32]);
  const second = imagenetEvalTransform(images[1], { resize: 40, crop: 32 });
  assert.deepEqual(batch.data.subarray(3 * 32 * 32), second.data);
  assert.throws(() => preprocessBatch([]), /at least one image/);
  assert.throws(
    () => preprocessBatch([images[0], noiseImage(4, 4, 1, 1)]),
    /preprocessBatch: image 1: expected an RGB or RGBA image \(3 or 4 channels\), got 1/,
  );
});

test("the eval transform drops an RGBA image's alpha, as PIL's convert('RGB') does, and refuses other channel counts", () => {
  // Random alpha values: none may show in the result. A padded crop (larger than the resized image) takes the
  // path without the fused kernel.
  for (const options of [{}, { resize: 16, crop: 24 }, { resize: 40, crop: 32, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }]) {
    const rgba = noiseImage(50, 30, 4, 11);
    const expected = imagenetEvalTransform(toRgb(rgba), options);
    const actual = imagenetEvalTransform(rgba, options);
    assert.deepEqual(actual.shape, expected.shape);
    assert.deepEqual(actual.data, expected.data, JSON.stringify(options));
  }
  assert.throws(
    () => imagenetEvalTransform(noiseImage(8, 8, 2, 1)),
    /imagenetEvalTransform: expected an RGB or RGBA image \(3 or 4 channels\), got 2 channel\(s\); convert it with toRgb\(\) first/,
  );
});

test('the default eval transform gives [3, 224, 224] and evaluation pixels are resize + crop', () => {
  const image = noiseImage(300, 200, 3, 9);
  const pixels = imagenetEvalPixels(image);
  assert.deepEqual([pixels.width, pixels.height, pixels.channels], [224, 224, 3]);
  assert.deepEqual(pixels.data, centerCrop(resize(image, 256), 224).data);
  assert.deepEqual(imagenetEvalTransform(image).shape, [3, 224, 224]);
});

test('resize returns the input when the size does not change', () => {
  const image = noiseImage(256, 300, 3, 3);
  assert.equal(resize(image, 256), image);
  assert.throws(() => resize(image, 0), /resize: size must be a positive integer, got 0/);
  assert.throws(() => resize(image, 256, 200), /maxSize = 200 must be greater than the requested shorter side 256/);
});

test('toRgb replicates gray and drops alpha; cmykToRgb follows PIL', () => {
  const gray = toRgb({ width: 2, height: 1, channels: 2, data: Uint8Array.of(10, 99, 20, 0) });
  assert.deepEqual(Array.from(gray.data), [10, 10, 10, 20, 20, 20]);
  const rgba = toRgb({ width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 0) });
  assert.deepEqual(Array.from(rgba.data), [1, 2, 3]);
  // PIL: (C, M, Y, K) = (255, 0, 100, 50) -> (0, 205, 125).
  const cmyk = cmykToRgb({ width: 1, height: 1, channels: 4, data: Uint8Array.of(255, 0, 100, 50) });
  assert.deepEqual(Array.from(cmyk.data), [0, 205, 125]);
  assert.throws(() => toRgb({ width: 1, height: 1, channels: 5, data: new Uint8Array(5) }), /toRgb: expected 1, 2, 3 or 4 channels, got 5/);
});

test('imagenetEvalTransform equals Resize, CenterCrop, ToTensor and Normalize run one after the other', () => {
  // The transform fuses them (a resampled window, a per-byte table); the composition is the reference.
  for (const [w, h, resizeTo, side] of [
    [224, 224, 256, 224],
    [500, 375, 256, 224],
    [375, 500, 256, 227],
    [61, 97, 40, 32],
    [30, 20, 24, 24],
    [30, 20, 16, 24], // the crop is larger than the resized image: padded
  ]) {
    const image = noiseImage(w, h, 3, w + h);
    const options = { resize: resizeTo, crop: side };
    const reference = normalize(toTensor(centerCrop(resize(image, resizeTo), side)), IMAGENET_MEAN, IMAGENET_STD);
    const fused = imagenetEvalTransform(image, options);
    assert.deepEqual(fused.shape, reference.shape);
    assert.deepEqual(fused.data, reference.data, `${w}x${h}, resize ${resizeTo}, crop ${side}`);
  }
});

test('a crop that is not a positive integer is refused by name, not by the resampler', () => {
  const image = noiseImage(40, 30, 3, 5);
  for (const crop of [0, 2.5, -1]) {
    assert.throws(() => imagenetEvalTransform(image, { resize: 32, crop }), new RegExp(`^Error: centerCrop: crop must be a positive integer, got ${crop}$`));
  }
});
