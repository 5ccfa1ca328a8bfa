import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataLoader as CoreDataLoader, type Batch } from '../../src/data/data-loader.js';
import { SkippableSampleError, type Dataset, type Sample } from '../../src/data/dataset.js';
import { createFloatImage } from '../../src/data/image.js';
import { Compose, GrayscaleToChannels, Normalize, RandomCrop, RandomHorizontalFlip, Resize } from '../../src/data/transforms/index.js';
import { loadFashionMnist } from '../../src/node/data/fashion-mnist-files.js';
import { DataLoader } from '../../src/node/data/data-loader.js';
import type { Generator } from '../../src/tensor/random.js';

/** 1,000 real test images with a random augmentation, so the per-sample randomness shows in the batches. */
const augmented = (await loadFashionMnist('test', { dataset: 'fashion-mnist-subset' })).withTransform(
  new Compose([new Resize(32), new RandomCrop(28), new RandomHorizontalFlip(), new Normalize([0.286], [0.353]), new GrayscaleToChannels(2)]),
);

async function collect(loader: AsyncIterable<Batch>, limit = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of loader) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  return out;
}

function assertSameBatches(a: Batch[], b: Batch[]): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    assert.deepEqual(x.images.shape, b[i].images.shape);
    assert.deepEqual(x.indices, b[i].indices, `batch ${i} indices`);
    assert.deepEqual(x.labels, b[i].labels, `batch ${i} labels`);
    assert.ok(
      x.images.data.every((v, k) => v === b[i].images.data[k]),
      `batch ${i} images`,
    );
  });
}

test('batches are [B, C, H, W] tensors with labels; every sample appears once per epoch', async () => {
  const loader = new DataLoader(augmented, { batchSize: 96, shuffle: true, seed: 3 });
  assert.equal(loader.length, 11);
  const batches = await collect(loader);
  assert.equal(batches.length, 11);
  assert.deepEqual(batches[0].images.shape, [96, 2, 28, 28]);
  assert.equal(batches[10].labels.length, 1000 - 960);
  const seen = batches.flatMap((b) => [...b.indices]).sort((x, y) => x - y);
  assert.deepEqual(
    seen,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  for (const b of batches) for (const [k, index] of b.indices.entries()) assert.equal(b.labels[k], augmented.label(index));
  const dropped = new DataLoader(augmented, { batchSize: 96, dropLast: true });
  assert.equal(dropped.length, 10);
  assert.equal((await collect(dropped)).length, 10);
});

test('without shuffle the order is the index order', async () => {
  const [first] = await collect(new DataLoader(augmented, { batchSize: 5 }), 1);
  assert.deepEqual([...first.indices], [0, 1, 2, 3, 4]);
});

test('the same seed gives the same batches, including augmentation', async () => {
  const a = await collect(new DataLoader(augmented, { batchSize: 100, shuffle: true, seed: 7 }));
  const b = await collect(new DataLoader(augmented, { batchSize: 100, shuffle: true, seed: 7 }));
  assertSameBatches(a, b);
  const c = await collect(new DataLoader(augmented, { batchSize: 100, shuffle: true, seed: 8 }), 1);
  assert.notDeepEqual([...c[0].indices], [...a[0].indices]);
});

test('epochs differ in order and augmentation; resuming at an epoch reproduces it', async () => {
  const loader = new DataLoader(augmented, { batchSize: 250, shuffle: true, seed: 1 });
  const epoch0 = await collect(loader);
  const epoch1 = await collect(loader);
  const epoch2 = await collect(loader);
  assert.equal(loader.epoch, 3);
  assert.notDeepEqual([...epoch0[0].indices], [...epoch1[0].indices]);
  // Same sample in two epochs: different crops/flips.
  const resumed = new DataLoader(augmented, { batchSize: 250, shuffle: true, seed: 1 });
  resumed.setEpoch(2);
  assertSameBatches(await collect(resumed), epoch2);
  // Resuming in the middle of an epoch gives the remaining batches.
  const tail = await collect(resumed.epochBatches(1, { startBatch: 2 }));
  assertSameBatches(tail, epoch1.slice(2));
  assert.deepEqual(
    tail.map((b) => b.batchIndex),
    [2, 3],
  );
});

test('a sample is augmented differently in different epochs', async () => {
  const loader = new DataLoader(augmented, { batchSize: 1000 });
  const [e0] = await collect(loader.epochBatches(0));
  const [e1] = await collect(loader.epochBatches(1));
  assert.deepEqual(e0.indices, e1.indices);
  assert.ok(e0.images.data.some((v, k) => v !== e1.images.data[k]));
});

test('worker threads give exactly the batches of the main thread', async () => {
  const main = await collect(new DataLoader(augmented, { batchSize: 64, shuffle: true, seed: 5, numWorkers: 0 }));
  const threaded = new DataLoader(augmented, { batchSize: 64, shuffle: true, seed: 5, numWorkers: 2, prefetch: 2 });
  try {
    assertSameBatches(await collect(threaded), main);
    // A second epoch reuses the same workers.
    const again = new DataLoader(augmented, { batchSize: 64, shuffle: true, seed: 5 });
    again.setEpoch(1);
    assertSameBatches(await collect(threaded), await collect(again));
  } finally {
    await threaded.close();
  }
});

/** A tiny data set whose samples 3 and 7 are "corrupt" and sample 9 is broken for real. */
class Flaky implements Dataset {
  constructor(
    readonly length: number,
    private readonly brokenAt = -1,
  ) {}
  get(index: number, rng: Generator): Sample {
    if (index === 3 || index === 7) throw new SkippableSampleError(`sample ${index} is corrupt`);
    if (index === this.brokenAt) throw new Error(`disk on fire at ${index}`);
    return { image: createFloatImage(2, 1, 1, Float32Array.of(index, rng.uniform())), label: index % 2 };
  }
}

test('skippable samples are left out, reported once and counted', async () => {
  const reports: number[] = [];
  const loader = new CoreDataLoader(new Flaky(10), { batchSize: 4, onSkip: (s) => reports.push(s.index) });
  const batches = await collect(loader);
  assert.deepEqual(
    batches.map((b) => [...b.indices]),
    [
      [0, 1, 2],
      [4, 5, 6],
      [8, 9],
    ],
  );
  await collect(loader);
  assert.deepEqual(reports, [3, 7]);
  assert.deepEqual([...loader.skipped.keys()], [3, 7]);
  assert.match(loader.skipped.get(3)!, /sample 3 is corrupt/);
});

test('other sample errors stop the iteration with their message', async () => {
  const loader = new CoreDataLoader(new Flaky(12, 9), { batchSize: 4, onSkip: () => undefined });
  await assert.rejects(collect(loader), /disk on fire at 9/);
});

test('samples of different shapes in one batch are an error naming both', async () => {
  const mixed: Dataset = { length: 2, get: (i) => ({ image: createFloatImage(2, 2 + i, 1), label: 0 }) };
  await assert.rejects(collect(new CoreDataLoader(mixed, { batchSize: 2 })), /sample 1 has shape \[1, 3, 2\] but sample 0 of the same batch has \[1, 2, 2\]/);
});

test("a sample whose values do not fill its shape is an error naming it (it was zero-padded, or spilled into the next sample's slot)", async () => {
  for (const length of [3, 5]) {
    const wrong: Dataset = { length: 2, get: (i) => ({ image: { channels: 1, height: 2, width: 2, data: new Float32Array(i === 0 ? length : 4) }, label: 0 }) };
    await assert.rejects(
      collect(new CoreDataLoader(wrong, { batchSize: 2 })),
      new RegExp(`sample 0 holds ${length} values, expected 4 for its shape \\[1, 2, 2\\]`),
    );
  }
});

test('options are checked', () => {
  assert.throws(() => new DataLoader(augmented, { batchSize: 0 }), /batchSize must be a positive integer/);
  // One class: importing the Node module made worker threads its default pool.
  assert.equal(DataLoader, CoreDataLoader);
  assert.equal(new CoreDataLoader(augmented, { numWorkers: 2 }).numWorkers, 2);
  assert.throws(() => new DataLoader(new Flaky(3), { numWorkers: 1 }), /cannot run in worker threads/);
});

test('a data set that cannot be rebuilt in a worker fails the iteration with the reason', async () => {
  const unbuildable: Dataset = {
    length: 4,
    get: () => ({ image: createFloatImage(1, 1, 1), label: 0 }),
    workerSpec: () => ({ module: new URL('../../src/data/fashion-mnist.ts', import.meta.url).href, factory: 'noSuchFactory', args: null }),
  };
  const loader = new DataLoader(unbuildable, { batchSize: 2, numWorkers: 1 });
  try {
    await assert.rejects(collect(loader), /does not export a function noSuchFactory/);
  } finally {
    await loader.close();
  }
});
