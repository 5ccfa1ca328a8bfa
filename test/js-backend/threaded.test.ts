import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JsBackend } from '../../src/backend/js/index.js';
import { conv2dGeometry, type Conv2dOptions } from '../../src/ops/conv2d.js';
import { Generator } from '../../src/tensor/random.js';
import { ThreadedJsBackend } from '../../src/node/js-workers/index.js';

let threaded: ThreadedJsBackend;
before(async () => {
  threaded = await ThreadedJsBackend.create({ threads: 3 });
});
after(async () => {
  await threaded.close();
});

function random(n: number, generator: Generator): Float32Array {
  return Float32Array.from({ length: n }, () => generator.uniformRange(-1, 1));
}

function randomOfShape(shape: number[], generator: Generator): Float32Array {
  return random(
    shape.reduce((a, b) => a * b),
    generator,
  );
}

// Large enough to be split (at least 4M multiply-adds); batch 1 and 2 split by output channel, 5 by image.
const CASES: [number[], number[], Conv2dOptions, boolean][] = [
  [[1, 16, 30, 30], [36, 16, 5, 5], { padding: 2 }, true],
  [[2, 16, 28, 28], [24, 8, 3, 3], { padding: 1, groups: 2 }, false],
  [[5, 3, 67, 67], [16, 3, 11, 11], { stride: 4, padding: 2 }, true],
  [[1, 8, 9, 9], [4, 8, 3, 3], {}, true], // small: runs on the calling thread only
];

test('the threaded js backend computes exactly what the js backend computes', () => {
  const generator = new Generator(21);
  const js = new JsBackend();
  for (const [xShape, wShape, options, withBias] of CASES) {
    const g = conv2dGeometry(xShape, wShape, options);
    const x = randomOfShape(xShape, generator);
    const w = randomOfShape(wShape, generator);
    const bias = withBias ? random(g.outChannels, generator) : null;
    const size = g.batch * g.outChannels * g.outH * g.outW;
    for (const fuseRelu of [false, true]) {
      const expected = new Float32Array(size);
      js.conv2dForward(g, x, w, bias, expected, fuseRelu);
      const actual = new Float32Array(size).fill(NaN);
      threaded.conv2dForward(g, x, w, bias, actual, fuseRelu);
      assert.deepEqual(actual, expected, `${xShape} * ${wShape} relu=${fuseRelu}`);
    }
  }
  assert.equal(threaded.threads, 3);
  assert.equal(threaded.name, 'js');
});

/** The first case's convolution on `backend`, against the js backend's, to the bit. */
function assertComputesAsJs(backend: ThreadedJsBackend, seed: number): void {
  const generator = new Generator(seed);
  const [xShape, wShape, options] = CASES[0];
  const g = conv2dGeometry(xShape, wShape, options);
  const x = randomOfShape(xShape, generator);
  const w = randomOfShape(wShape, generator);
  const expected = new Float32Array(g.batch * g.outChannels * g.outH * g.outW);
  new JsBackend().conv2dForward(g, x, w, null, expected, false);
  const actual = new Float32Array(expected.length).fill(Number.NaN);
  backend.conv2dForward(g, x, w, null, actual, false);
  assert.deepEqual(actual, expected);
}

test('after close() the threaded backend still computes, on the calling thread', async () => {
  const backend = await ThreadedJsBackend.create({ threads: 2 });
  await backend.close();
  assertComputesAsJs(backend, 2);
});

test('the threaded js backend rejects fewer than two threads', async () => {
  await assert.rejects(ThreadedJsBackend.create({ threads: 1 }), /threads must be an integer ≥ 2, got 1/);
});

test('a worker that exits between calls: the next convolutions run on the calling thread, exactly, instead of waiting for ever', async () => {
  const backend = await ThreadedJsBackend.create({ threads: 2 });
  try {
    // Terminated from outside, as an out-of-memory worker or a process.exit() in it would end.
    const [worker] = (backend as unknown as { workers: import('node:worker_threads').Worker[] }).workers;
    await worker.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(backend.workersLost ?? '', /^worker 1 exited \(code \d+\)$/);
    assertComputesAsJs(backend, 5);
  } finally {
    await backend.close();
  }
});
