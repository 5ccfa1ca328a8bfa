/**
 * Throughput of the data loader alone (images/s, no model), for choosing
 * numWorkers:
 *   1. Fashion-MNIST train, 28 → 64 px, batch 128 (the default pipeline);
 *   2. an ImageFolder of ~500×375 JPEGs at 224 px with the paper's and
 *      torchvision's training augmentation.
 * Run: node --import tsx tools/bench-data-loader.ts [--quick]
 * The JPEGs are made from scikit-image's sample photos (if installed) in a temp directory.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Dataset } from '../src/data/dataset.js';
import { alexnetPaperTrainTransform, fashionMnistTransform, imagenetTrainTransform } from '../src/data/transforms/presets.js';
import { DataLoader } from '../src/node/data/data-loader.js';
import { loadFashionMnist } from '../src/node/data/fashion-mnist-files.js';
import { ImageFolder } from '../src/node/data/image-folder.js';
import { Generator } from '../src/tensor/random.js';

const quick = process.argv.includes('--quick');

/** Steady-state images/s: the clock starts at the first batch, so worker start-up is not counted. */
async function measure(dataset: Dataset, numWorkers: number, batchSize: number, maxImages: number): Promise<{ rate: number; startupMs: number }> {
  const loader = new DataLoader(dataset, { batchSize, shuffle: true, seed: 0, numWorkers, dropLast: true });
  const t0 = performance.now();
  let start = 0;
  let images = 0;
  let startupMs = 0;
  try {
    // As many epochs as it takes to see maxImages (small folders are cycled through).
    epochs: for (;;) {
      for await (const batch of loader) {
        if (start === 0) {
          start = performance.now();
          startupMs = start - t0;
          continue;
        }
        images += batch.labels.length;
        if (images >= maxImages) break epochs;
      }
    }
  } finally {
    await loader.close();
  }
  return { rate: images / ((performance.now() - start) / 1000), startupMs };
}

async function makeJpegFolder(dir: string, count: number): Promise<void> {
  const photos = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg']
    .map((f) => join('/usr/lib/python3/dist-packages/skimage/data', f))
    .filter((p) => existsSync(p));
  const g = new Generator(1);
  for (let i = 0; i < count; i++) {
    const classDir = join(dir, `class${i % 4}`);
    mkdirSync(classDir, { recursive: true });
    const [w, h] = i % 3 === 0 ? [375, 500] : [500, 375];
    let image: Sharp;
    if (photos.length > 0) {
      const meta = await sharp(photos[i % photos.length]).metadata();
      const cw = Math.floor(meta.width! * (0.6 + 0.4 * g.uniform()));
      const ch = Math.floor(meta.height! * (0.6 + 0.4 * g.uniform()));
      image = sharp(photos[i % photos.length])
        .extract({ left: g.int(meta.width! - cw + 1), top: g.int(meta.height! - ch + 1), width: cw, height: ch })
        .resize(w, h, { fit: 'fill' })
        .removeAlpha();
    } else {
      const raw = Buffer.alloc(w * h * 3);
      for (let k = 0; k < raw.length; k++) raw[k] = (k * 7 + i * 13 + g.int(32)) & 255;
      image = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
    }
    writeFileSync(join(classDir, `img${String(i).padStart(4, '0')}.jpg`), await image.jpeg({ quality: 90 }).toBuffer());
  }
}

const fashion = await loadFashionMnist('train', { transform: fashionMnistTransform({ size: 64 }), progress: false });
console.log(`Fashion-MNIST train (${fashion.location.source}), 28→64 px, batch 128:`);
for (const workers of [0, 1, 2]) {
  const { rate, startupMs } = await measure(fashion, workers, 128, quick ? 10_000 : 40_000);
  console.log(`  numWorkers ${workers}: ${rate.toFixed(0)} images/s (first batch after ${startupMs.toFixed(0)} ms)`);
}

const dir = mkdtempSync(join(tmpdir(), 'alexnet-bench-jpeg-'));
try {
  const count = quick ? 96 : 256;
  await makeJpegFolder(dir, count);
  for (const [name, transform] of [
    ['paper (256 → random 224 + flip + PCA colour)', alexnetPaperTrainTransform()],
    ['torchvision (RandomResizedCrop 224 + flip)', imagenetTrainTransform()],
  ] as const) {
    const folder = await ImageFolder.open(dir, { transform });
    console.log(`ImageFolder of ${count} JPEGs (~500×375), ${name}, batch 32:`);
    for (const workers of [0, 1, 2]) {
      const { rate, startupMs } = await measure(folder, workers, 32, quick ? count : 3 * count);
      console.log(`  numWorkers ${workers}: ${rate.toFixed(0)} images/s (first batch after ${startupMs.toFixed(0)} ms)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
