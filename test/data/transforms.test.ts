import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFloatImage, type FloatImage } from '../../src/data/image.js';
import {
  alexnetPaperTrainTransform,
  CenterCrop,
  Compose,
  fashionMnistTransform,
  GrayscaleToChannels,
  IMAGENET_PCA_EIGENVALUES,
  IMAGENET_PCA_EIGENVECTORS,
  imagenetEvalTransform,
  Normalize,
  PcaColorAugmentation,
  RandomCrop,
  RandomHorizontalFlip,
  randomResizedCropBox,
  RandomResizedCrop,
  Resize,
  roundHalfEven,
  transformFromSpec,
} from '../../src/data/transforms/index.js';
import { Generator } from '../../src/tensor/random.js';

/** An image whose value at (c, y, x) encodes its position, so crops and flips can be checked exactly. */
function positional(channels: number, height: number, width: number): FloatImage {
  const img = createFloatImage(width, height, channels);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        (img.data as Float32Array)[(c * height + y) * width + x] = c * 10000 + y * 100 + x;
      }
  return img;
}

function at(img: FloatImage, c: number, y: number, x: number): number {
  return img.data[(c * img.height + y) * img.width + x];
}

function randomImage(channels: number, height: number, width: number, seed: number): FloatImage {
  const g = new Generator(seed);
  return createFloatImage(
    width,
    height,
    channels,
    Float32Array.from({ length: channels * height * width }, () => g.uniform()),
  );
}

test('roundHalfEven rounds like Python', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6, 3].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3, 3]);
});

test('RandomCrop takes an in-bounds window of the source, reproducibly per seed', () => {
  const img = positional(2, 20, 30);
  const crop = new RandomCrop([8, 12]);
  const seen = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    const out = crop.apply(img, new Generator(seed));
    assert.deepEqual([out.channels, out.height, out.width], [2, 8, 12]);
    const top = Math.floor(at(out, 0, 0, 0) / 100);
    const left = at(out, 0, 0, 0) % 100;
    assert.ok(top >= 0 && top + 8 <= 20 && left >= 0 && left + 12 <= 30);
    assert.equal(at(out, 1, 7, 11), 10000 + (top + 7) * 100 + left + 11);
    assert.deepEqual(crop.apply(img, new Generator(seed)).data, out.data);
    seen.add(`${top},${left}`);
  }
  assert.ok(seen.size > 20, 'crops should vary with the seed');
  assert.throws(() => new RandomCrop(40).apply(img, new Generator(0)), /crop size 40×40 is larger than the image \[2, 20, 30\]/);
});

test('RandomHorizontalFlip mirrors with probability p', () => {
  const img = positional(1, 3, 5);
  const flipped = new RandomHorizontalFlip(1).apply(img, new Generator(0));
  assert.equal(at(flipped, 0, 2, 0), 204);
  assert.equal(at(flipped, 0, 2, 4), 200);
  assert.equal(new RandomHorizontalFlip(0).apply(img, new Generator(0)), img);
  let flips = 0;
  for (let seed = 0; seed < 400; seed++) if (new RandomHorizontalFlip(0.5).apply(img, new Generator(seed)) !== img) flips++;
  assert.ok(flips > 150 && flips < 250, `${flips} flips of 400`);
});

test('randomResizedCropBox stays inside the image and covers the requested area range', () => {
  for (let seed = 0; seed < 200; seed++) {
    const box = randomResizedCropBox(100, 150, [0.08, 1], [3 / 4, 4 / 3], new Generator(seed));
    assert.ok(box.top >= 0 && box.left >= 0 && box.top + box.height <= 100 && box.left + box.width <= 150, JSON.stringify(box));
    const area = (box.height * box.width) / (100 * 150);
    assert.ok(area > 0.06 && area <= 1.02, `area fraction ${area}`);
  }
});

test('randomResizedCropBox falls back to a central crop clamped to the ratio range', () => {
  // An area of 2–3× the image never fits, so all ten tries fail.
  assert.deepEqual(randomResizedCropBox(10, 40, [2, 3], [3 / 4, 4 / 3], new Generator(1)), { top: 0, left: 13, height: 10, width: 13 });
  assert.deepEqual(randomResizedCropBox(40, 10, [2, 3], [3 / 4, 4 / 3], new Generator(1)), { top: 13, left: 0, height: 13, width: 10 });
  assert.deepEqual(randomResizedCropBox(30, 32, [2, 3], [3 / 4, 4 / 3], new Generator(1)), { top: 0, left: 0, height: 30, width: 32 });
});

test('RandomResizedCrop outputs the requested size', () => {
  const out = new RandomResizedCrop([24, 20]).apply(randomImage(3, 50, 70, 1), new Generator(3));
  assert.deepEqual([out.channels, out.height, out.width], [3, 24, 20]);
  assert.throws(() => new RandomResizedCrop(8, { scale: [0.5, 0.1] }), /scale must satisfy/);
});

test('PcaColorAugmentation adds Σ α_i λ_i p_i (one α per eigenvector per image) to every pixel', () => {
  const pca = new PcaColorAugmentation();
  const img = randomImage(3, 4, 5, 7);
  const out = pca.apply(img, new Generator(11));
  const g = new Generator(11);
  const alpha = [g.normal() * 0.1, g.normal() * 0.1, g.normal() * 0.1];
  for (let c = 0; c < 3; c++) {
    let expected = 0;
    for (let i = 0; i < 3; i++) expected += IMAGENET_PCA_EIGENVECTORS[c][i] * alpha[i] * IMAGENET_PCA_EIGENVALUES[i];
    for (let p = 0; p < 20; p++) {
      const k = c * 20 + p;
      assert.ok(Math.abs(out.data[k] - img.data[k] - expected) < 1e-6, `channel ${c}`);
    }
  }
  // The largest component moves all channels together (brightness), and alphaStd 0 changes nothing.
  assert.ok(IMAGENET_PCA_EIGENVECTORS.every((row) => row[0] < -0.5));
  assert.deepEqual(new PcaColorAugmentation({ alphaStd: 0 }).apply(img, new Generator(1)).data, img.data);
  assert.throws(() => pca.apply(randomImage(1, 2, 2, 0), new Generator(0)), /needs an RGB image, got \[1, 2, 2\]/);
});

test('GrayscaleToChannels repeats the channel; Normalize checks channel counts', () => {
  const gray = randomImage(1, 3, 3, 2);
  const rgb = new GrayscaleToChannels(3).apply(gray);
  assert.equal(rgb.channels, 3);
  assert.deepEqual(rgb.data.subarray(18, 27), gray.data);
  assert.throws(() => new GrayscaleToChannels(3).apply(rgb), /needs a one-channel image/);
  assert.throws(() => new Normalize([0.5, 0.5], [1, 1]).apply(rgb), /2 mean\/std values for an image with 3 channels/);
  assert.throws(() => new Normalize([0.5], [0]), /std contains a zero/);
});

test('the Fashion-MNIST transform gives [C, S, S] normalized values', () => {
  const black = createFloatImage(28, 28, 1);
  const out = fashionMnistTransform({ size: 64, channels: 3 }).apply(black, new Generator(0));
  assert.deepEqual([out.channels, out.height, out.width], [3, 64, 64]);
  assert.ok(Math.abs(out.data[0] - -0.286 / 0.353) < 1e-6);
});

test('the paper and eval pipelines give 224×224 RGB', () => {
  const img = randomImage(3, 300, 400, 5);
  for (const t of [alexnetPaperTrainTransform(), imagenetEvalTransform()]) {
    const out = t.apply(img, new Generator(1));
    assert.deepEqual([out.channels, out.height, out.width], [3, 224, 224]);
  }
});

test('a transform rebuilt from its spec behaves identically (what worker threads rely on)', () => {
  const pipelines = [
    alexnetPaperTrainTransform(),
    new Compose([
      new Resize([40, 50], { antialias: true }),
      new RandomResizedCrop(32, { scale: [0.2, 1] }),
      new RandomHorizontalFlip(),
      new CenterCrop(30),
      new PcaColorAugmentation({ alphaStd: 0.2 }),
      new Normalize([0.1, 0.2, 0.3], [0.5, 0.6, 0.7]),
    ]),
  ];
  const img = randomImage(3, 260, 300, 9);
  for (const t of pipelines) {
    const spec = structuredClone(t.toSpec());
    const rebuilt = transformFromSpec(spec);
    assert.deepEqual(rebuilt.toSpec(), t.toSpec());
    assert.deepEqual(rebuilt.apply(img, new Generator(42)).data, t.apply(img, new Generator(42)).data);
  }
  assert.throws(() => transformFromSpec({ type: 'Nope' }), /unknown transform type "Nope"/);
});
