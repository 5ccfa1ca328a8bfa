import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { classCount, openRunData } from '../../src/node/train/datasets.js';
import { runTraining } from '../../src/node/train/trainer.js';
import { Generator } from '../../src/tensor/random.js';
import { tinyConfig, tinyModel } from './tiny-run.js';

const root = await mkdtemp(join(tmpdir(), 'alexnet-folder-'));
after(() => rm(root, { recursive: true, force: true }));

/** DIR/{train,val}/{red,blue}/N.png: 12×10 images of one colour per class. */
async function makeFolder(dir: string, classes: Record<string, [number, number, number]>, perClass: number): Promise<void> {
  for (const split of ['train', 'val']) {
    for (const [name, rgb] of Object.entries(classes)) {
      const folder = join(dir, split, name);
      await mkdir(folder, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const pixels = Buffer.alloc(12 * 10 * 3);
        for (let p = 0; p < 120; p++)
          pixels.set(
            rgb.map((v) => Math.min(255, v + 7 * i)),
            p * 3,
          );
        await sharp(pixels, { raw: { width: 12, height: 10, channels: 3 } })
          .png()
          .toFile(join(folder, `${i}.png`));
      }
    }
  }
}

test('an image folder trains with train/ and val/, RGB input at the requested size', async () => {
  const dir = join(root, 'colours');
  await makeFolder(dir, { blue: [10, 20, 200], red: [200, 20, 10] }, 4);
  assert.equal(await classCount(dir), 2);
  const data = await openRunData({ dataset: dir, imageSize: 8, inChannels: 3 });
  assert.deepEqual(data.classes, ['blue', 'red']);
  assert.equal(data.train.length, 8);
  const sample = await data.val.get(0, new Generator(0));
  assert.deepEqual([sample.image.channels, sample.image.height, sample.image.width], [3, 8, 8]);

  const config = tinyConfig({ dataset: dir, inChannels: 3, numClasses: 2, batchSize: 4, epochs: 1 });
  const result = await runTraining(config, join(root, 'run'), false, { createModel: tinyModel, progress: 'none', log: () => {} });
  assert.equal(result.status, 'completed');
  const metrics = JSON.parse((await readFile(join(root, 'run', 'metrics.jsonl'), 'utf8')).trim()) as Record<string, number>;
  assert.equal(metrics.epoch, 1);
  assert.equal(metrics.step, 2);
  const png = await sharp(join(root, 'run', 'conv1-filters.png')).metadata();
  assert.equal(png.format, 'png');
  assert.equal(png.channels, 3, 'RGB kernels are drawn in colour');
});

test('image folders that cannot be used are refused with the reason', async () => {
  const noVal = join(root, 'no-val');
  await mkdir(join(noVal, 'train', 'a'), { recursive: true });
  await assert.rejects(openRunData({ dataset: noVal, imageSize: 8, inChannels: 3 }), /needs val\/ inside it/);
  const dir = join(root, 'colours');
  await assert.rejects(openRunData({ dataset: dir, imageSize: 8, inChannels: 1 }), /decoded as RGB, so the model needs 3 input channels/);
  const mismatched = join(root, 'mismatched');
  await makeFolder(mismatched, { a: [0, 0, 0], b: [255, 255, 255] }, 1);
  await rm(join(mismatched, 'train', 'b'), { recursive: true });
  await assert.rejects(openRunData({ dataset: mismatched, imageSize: 8, inChannels: 3 }), /train\/ and val\/ have different class folders \(1 vs 2\)/);
});
