/**
 * The package's public names: one name, one meaning. Renamed functions keep
 * their old names as deprecated aliases that behave as before; Node's entry
 * point adds to the core without redefining its names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as core from '../../src/index.js';
import * as node from '../../src/node/index.js';

test("alexnet-ts/node re-exports the core's names unchanged and adds only its own", () => {
  for (const [name, value] of Object.entries(core)) assert.equal((node as Record<string, unknown>)[name], value, `${name} means the same in both entry points`);
  assert.equal(node.DataLoader, core.data.DataLoader, 'one DataLoader class (Node installs its worker threads as the default pool)');
  assert.ok(!('ThreadedJsBackend' in node), 'benchmark-only backend is internal');
});

test('renamed functions keep deprecated aliases with their old behaviour', () => {
  assert.equal(core.loadStateDict, core.readStateDict);
  assert.equal(node.loadStateDictFile, node.readStateDictFile);
  const values = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  // createFloatImage(width, height, channels) as image.createImage; the old data.createImage(channels, height, width).
  const image = core.data.createFloatImage(4, 3, 2, values);
  assert.deepEqual([image.width, image.height, image.channels], [4, 3, 2]);
  assert.deepEqual(core.data.createImage(2, 3, 4, values), image);
  assert.deepEqual(core.image.createImage(4, 3, 2).data.length, 24);
  const bytes = Uint8Array.from({ length: 4 * 3 * 2 }, (_, i) => i);
  assert.deepEqual(core.data.bytesHwcToImage(bytes, 3, 4, 2), core.data.floatImageFromBytes(bytes, 4, 3, 2));
});

test('DataLoader with workers: a clear message where no worker pool is installed', () => {
  const dataset = { length: 1, get: () => ({ image: core.data.createFloatImage(1, 1, 1), label: 0 }) };
  core.data.setDefaultWorkerPool(undefined);
  try {
    assert.throws(() => new core.data.DataLoader(dataset, { numWorkers: 2 }), /numWorkers > 0 needs worker threads: import alexnet-ts\/node/);
  } finally {
    core.data.setDefaultWorkerPool((spec, n) => new node.WorkerThreadPool(spec, n));
  }
});
