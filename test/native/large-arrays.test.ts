/**
 * Large tensors on the native backend come from its allocator (2 MiB pages
 * where the OS gives them): they must behave as ordinary Float32Arrays, zeroed,
 * recyclable, and freed with their last reference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withBackend } from '../../src/backend/registry.js';
import { clearBufferPool, LARGE_ARRAY_LENGTH, recycleBuffer, takeBuffer, takeZeroedBuffer } from '../../src/tensor/buffer-pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { addon, skipWithoutAddon } from './native-helpers.js';

test('allocateLarge gives zeroed, writable arrays of the asked length', { skip: skipWithoutAddon }, () => {
  for (const length of [1, 1000, LARGE_ARRAY_LENGTH, LARGE_ARRAY_LENGTH + 3, 3 * LARGE_ARRAY_LENGTH]) {
    const a = addon().allocateLarge(length);
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, length);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, length * 4);
    assert.ok(
      a.every((v) => v === 0),
      `allocateLarge(${length}) is zero-filled`,
    );
    a.fill(1.5);
    assert.equal(a[length - 1], 1.5);
  }
});

test('allocateLarge refuses lengths that are not positive whole numbers', { skip: skipWithoutAddon }, () => {
  assert.throws(() => addon().allocateLarge(0), /allocateFloat32.*length/);
  assert.throws(() => addon().allocateLarge(-5), /allocateFloat32.*length/);
  assert.throws(() => addon().allocateLarge(2.5), /allocateFloat32.*length/);
  assert.throws(() => addon().allocateLarge(2 ** 40), /at most 2\^34 floats/);
});

test('with the native backend current, large tensors come from it and still recycle', { skip: skipWithoutAddon }, () => {
  withBackend(addon(), () => {
    clearBufferPool();
    const t = Tensor.zeros([2, LARGE_ARRAY_LENGTH / 2]);
    assert.ok(t.data.every((v) => v === 0));
    t.data[12345] = 7;
    recycleBuffer(t.data);
    const again = takeBuffer(LARGE_ARRAY_LENGTH);
    assert.equal(again, t.data, 'the pool hands the same array back');
    recycleBuffer(again);
    const zeroed = takeZeroedBuffer(LARGE_ARRAY_LENGTH);
    assert.equal(zeroed[12345], 0, 'takeZeroedBuffer clears a recycled array');
    clearBufferPool();
  });
});

test('arrays from allocateLarge are released when unreachable', { skip: skipWithoutAddon }, async () => {
  // 40 × 64 MiB: the addon reports the memory to V8 (napi_adjust_external_memory), whose
  // garbage collector then frees dropped arrays without being asked.
  for (let i = 0; i < 40; i++) {
    const a = addon().allocateLarge(16 * 1024 * 1024);
    a.fill(i); // touch every page
    await new Promise((resolve) => setImmediate(resolve));
  }
  const rss = process.memoryUsage().rss;
  assert.ok(rss < 1.5 * 1024 ** 3, `RSS ${Math.round(rss / 2 ** 20)} MiB after dropping 2.5 GiB of arrays`);
});
