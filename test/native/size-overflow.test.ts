/**
 * Sizes reach the addon as JavaScript numbers, each up to 2^53, and their
 * products (the element counts arrays are checked against) overflowed
 * int64_t: a product that wrapped to 0 or 1 passed the length check and the
 * kernel ran far outside its arrays (SIGSEGV). Each binding now refuses them
 * with one error naming the argument or the geometry (native/src/checked_size.h).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addon, convGeometry, poolGeometry, skipWithoutAddon } from './native-helpers.js';

const empty = (): Float32Array => new Float32Array(0);
const big = 2 ** 32;
// Legal 1×1 geometries, each then given sizes whose products wrap around in int64_t.
const conv = convGeometry({ batch: 1, inChannels: 1, inH: 5, inW: 5, outChannels: 1, kernel: 1 });
const pool = poolGeometry({ batch: 1, channels: 1, inH: 1, inW: 1, kernel: 1, stride: 1 });
const multiply = /the sizes given for it multiply to more than 2\^53 elements/;
const tooLarge = /sizes too large \(a product of them is above 2\^53\)/;

test('sizes whose product passes 2^53 are refused by name, not wrapped around', { skip: skipWithoutAddon }, () => {
  const native = addon();
  const cases: [string, () => void, RegExp][] = [
    ['logSoftmaxForward', () => native.logSoftmaxForward(big, big, empty(), empty()), multiply],
    ['linearForward', () => native.linearForward(big, big, 1, empty(), empty(), null, empty(), false), multiply],
    ['gemm', () => native.gemm(false, false, big, 1, big, empty(), empty(), empty(), false), multiply],
    ['adaptiveAvgPool2dForward', () => native.adaptiveAvgPool2dForward(big, big, 1, 1, 1, empty(), empty()), multiply],
    ['lrnForward', () => native.lrnForward({ batch: big, channels: big, spatial: 1, size: 5, alpha: 1, beta: 1, k: 1 }, empty(), empty(), null), multiply],
    // dilation·(kernel − 1) + 1 = 2^53·2048 + 1 wrapped to 1: the "kernel" fitted a 5×5 input.
    [
      'conv2dForward (dilated span)',
      () =>
        native.conv2dForward({ ...conv, kernelH: 2049, dilationH: 2 ** 53 }, new Float32Array(25), new Float32Array(2049), null, new Float32Array(25), false),
      tooLarge,
    ],
    [
      'conv2dForward (input size)',
      () =>
        native.conv2dForward(
          { ...conv, batch: big, inChannels: big, outChannels: big, groups: big, inH: 1, inW: 1, outH: 1, outW: 1 },
          empty(),
          empty(),
          null,
          empty(),
          false,
        ),
      tooLarge,
    ],
    ['maxPool2dForward', () => native.maxPool2dForward({ ...pool, batch: big, channels: big }, empty(), empty(), null), tooLarge],
  ];
  for (const [name, call, message] of cases) assert.throws(call, message, name);
});

test('a size above 2^53 is refused with the range it must lie in', { skip: skipWithoutAddon }, () => {
  assert.throws(() => addon().logSoftmaxForward(3e16, 1, empty(), empty()), /rows must be a whole number from 0 to 2\^53, got 3e\+16/);
});
