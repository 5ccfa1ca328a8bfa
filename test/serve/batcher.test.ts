/** DynamicBatcher with a compute function the test controls: batching, delay, admission, withdrawal, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynamicBatcher, QueueFullError } from '../../src/node/serve/batcher.js';

/** A compute step that records each batch and finishes when the test releases it. */
function gatedCompute() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const compute = (items: readonly number[]): Promise<number[]> => {
    batches.push([...items]);
    return new Promise((resolve) => gates.push(() => resolve(items.map((x) => x * 10))));
  };
  const releaseAll = (): void => {
    while (gates.length > 0) gates.shift()?.();
  };
  return { batches, compute, gates, releaseAll };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('items queued while a batch runs go together into the next one, up to maxBatch', async () => {
  const { batches, compute, gates } = gatedCompute();
  const batcher = new DynamicBatcher(compute, { maxBatch: 3, maxDelayMs: 0, maxQueue: 100 });
  const first = batcher.submit([1]);
  await tick();
  assert.deepEqual(batches, [[1]]);
  const later = [batcher.submit([2, 3]), batcher.submit([4]), batcher.submit([5])];
  assert.equal(batcher.depth, 4);
  gates.shift()?.();
  assert.deepEqual(await first, [10]);
  await tick();
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
  gates.shift()?.();
  await tick();
  assert.deepEqual(batches, [[1], [2, 3, 4], [5]]);
  gates.shift()?.();
  assert.deepEqual(await Promise.all(later), [[20, 30], [40], [50]]);
  await batcher.idle();
  assert.equal(batcher.busy, false);
});

test('a lone item waits at most maxDelayMs; a full batch starts at once', async () => {
  const { batches, compute, releaseAll } = gatedCompute();
  const batcher = new DynamicBatcher(compute, { maxBatch: 2, maxDelayMs: 40, maxQueue: 10 });
  const lone = batcher.submit([7]);
  await tick(5);
  assert.deepEqual(batches, [], 'the first item waits for company');
  await tick(80);
  assert.deepEqual(batches, [[7]], 'and runs alone once the delay passed');
  releaseAll();
  await lone;
  const pair = batcher.submit([8, 9]);
  await tick();
  assert.deepEqual(batches, [[7], [8, 9]], 'a full batch does not wait');
  releaseAll();
  assert.deepEqual(await pair, [80, 90]);
});

test('admission is all or nothing: items past maxQueue are refused with QueueFullError', async () => {
  const { compute, releaseAll } = gatedCompute();
  const depths: number[] = [];
  const batcher = new DynamicBatcher(compute, { maxBatch: 1, maxDelayMs: 0, maxQueue: 3 }, { depth: (n) => depths.push(n) });
  const running = batcher.submit([1]);
  await tick();
  const queued = batcher.submit([2, 3, 4]);
  await assert.rejects(batcher.submit([5]), QueueFullError);
  await assert.rejects(
    batcher.submit([]).then(() => batcher.submit([6, 7])),
    /the queue is full \(3 of 3 items waiting, 2 more requested\)/,
  );
  assert.equal(batcher.depth, 3);
  for (let i = 0; i < 4; i++) {
    releaseAll();
    await tick();
  }
  assert.deepEqual(await running, [10]);
  assert.deepEqual(await queued, [20, 30, 40]);
  assert.equal(Math.max(...depths), 3);
  assert.equal(depths.at(-1), 0);
});

test('an aborted submission leaves the queue and its items are never computed', async () => {
  const { batches, compute, releaseAll } = gatedCompute();
  const batcher = new DynamicBatcher(compute, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10 });
  const running = batcher.submit([1]);
  await tick();
  const controller = new AbortController();
  const dropped = batcher.submit([2, 3], controller.signal);
  const kept = batcher.submit([4]);
  controller.abort(new Error('deadline passed'));
  await assert.rejects(dropped, /deadline passed/);
  assert.equal(batcher.depth, 1);
  releaseAll();
  await running;
  await tick();
  releaseAll();
  assert.deepEqual(await kept, [40]);
  assert.deepEqual(batches, [[1], [4]], 'items 2 and 3 never ran');
  await assert.rejects(batcher.submit([5], AbortSignal.abort(new Error('already late'))), /already late/);
});

test('a failing batch rejects its own items only; the next batch runs', async () => {
  let calls = 0;
  const batcher = new DynamicBatcher(
    (items: readonly number[]) => {
      calls++;
      return items.includes(13) ? Promise.reject(new Error('unlucky batch')) : Promise.resolve(items.map((x) => -x));
    },
    { maxBatch: 8, maxDelayMs: 0, maxQueue: 10 },
  );
  await assert.rejects(batcher.submit([13, 1]), /unlucky batch/);
  assert.deepEqual(await batcher.submit([2]), [-2]);
  assert.equal(calls, 2);
  assert.throws(() => new DynamicBatcher(() => Promise.resolve([]), { maxBatch: 0, maxDelayMs: 0, maxQueue: 1 }), /maxBatch must be a positive integer/);
});

test('with nothing being prepared a lone item starts at once; an image being decoded is waited for', async () => {
  const { batches, compute, releaseAll } = gatedCompute();
  let preparingSince: number | null = performance.now();
  const batcher = new DynamicBatcher(compute, { maxBatch: 4, maxDelayMs: 10_000, maxQueue: 10, preparingSince: () => preparingSince });
  const waiting = batcher.submit([1]);
  await tick(20);
  assert.deepEqual(batches, [], 'another image is being decoded: wait for it');
  preparingSince = null;
  const second = batcher.submit([2]);
  await tick();
  assert.deepEqual(batches, [[1, 2]], 'it arrived and nothing else is on its way: run now');
  assert.equal(batcher.inBatch, 2);
  releaseAll();
  assert.deepEqual(await Promise.all([waiting, second]), [[10], [20]]);
  assert.equal(batcher.inBatch, 0);
});

test('after flush() a batch starts without waiting for company (a draining server)', async () => {
  const { batches, compute, releaseAll } = gatedCompute();
  const batcher = new DynamicBatcher(compute, { maxBatch: 8, maxDelayMs: 600_000, maxQueue: 10 });
  const queued = batcher.submit([1, 2]);
  await tick(5);
  assert.deepEqual(batches, [], 'waiting for the batch to fill');
  batcher.flush();
  await tick();
  assert.deepEqual(batches, [[1, 2]]);
  releaseAll();
  assert.deepEqual(await queued, [10, 20]);
  await batcher.idle();
});

test('after a batch ends, a partial batch waits up to maxDelayMs for the clients it answered, and no longer once all are back', async () => {
  const { batches, compute, releaseAll } = gatedCompute();
  const batcher = new DynamicBatcher(compute, { maxBatch: 8, maxDelayMs: 150, maxQueue: 10, preparingSince: () => null });
  const first = batcher.submit([1, 2]);
  await tick();
  assert.deepEqual(batches, [[1, 2]], 'nothing on the way and no batch just ended: at once');
  const queued = batcher.submit([3]);
  releaseAll();
  await first;
  await tick(20);
  assert.deepEqual(batches, [[1, 2]], 'a batch of 2 just ended: item 3 waits for those 2 clients');
  const back = [batcher.submit([4])];
  await tick(20);
  assert.deepEqual(batches, [[1, 2]], 'one of the two is back');
  back.push(batcher.submit([5]));
  await tick();
  assert.deepEqual(
    batches,
    [
      [1, 2],
      [3, 4, 5],
    ],
    'both are back: no reason to wait out the delay',
  );
  releaseAll();
  assert.deepEqual(await Promise.all([queued, ...back]), [[30], [40], [50]]);
  // A client that does not come back costs at most the delay.
  const alone = batcher.submit([6]);
  await tick(50);
  assert.deepEqual(batches.length, 2, 'the batch of 3 answered three clients; one came back');
  await tick(150);
  assert.deepEqual(batches, [[1, 2], [3, 4, 5], [6]], 'the wait ends maxDelayMs after the batch did');
  releaseAll();
  assert.deepEqual(await alone, [60]);
});

test('images that arrived within the wait and are still decoding are waited for, up to half the last compute time', async () => {
  const batches: number[][] = [];
  const compute = async (items: readonly number[]): Promise<number[]> => {
    batches.push([...items]);
    await tick(300);
    return items.map((x) => x * 10);
  };
  let preparingSince: number | null = null;
  const batcher = new DynamicBatcher(compute, { maxBatch: 8, maxDelayMs: 40, maxQueue: 10, preparingSince: () => preparingSince });
  // Batches take 300 ms: a decoding image is worth up to 150 ms more after the 40 ms delay.
  assert.deepEqual(await batcher.submit([1]), [10]);
  preparingSince = performance.now();
  const queued = batcher.submit([2]);
  await tick(120);
  assert.deepEqual(batches, [[1]], 'past the 40 ms delay: the image that arrived within it is waited for');
  preparingSince = null;
  const decoded = batcher.submit([3]);
  await tick();
  assert.deepEqual(batches, [[1], [2, 3]], 'it joins the batch as soon as it is ready');
  assert.deepEqual(await Promise.all([queued, decoded]), [[20], [30]]);
  // One that never finishes decoding holds the next batch 40 + 150 ms, then it runs without it.
  preparingSince = performance.now();
  const started = performance.now();
  const alone = batcher.submit([4]);
  while (batches.length < 3) await tick(5);
  const waited = performance.now() - started;
  assert.ok(waited >= 170 && waited < 1500, `waited ${waited.toFixed(0)} ms, expected about 190 (40 + 40 without the compute-time cap, forever without a cap)`);
  assert.deepEqual(await alone, [40]);
});
