import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.js';
import { runEngineBench } from '../../src/node/bench/engine-bench.js';
import { formatLayers } from '../../src/node/cli/commands/bench.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { median } from '../../src/node/bench/stats.js';
import { manualSeed } from '../../src/tensor/random.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function tinyNet(): Sequential {
  manualSeed(0);
  return new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 10));
}

const base = { modelName: 'tiny', backend: referenceBackend(), batch: 2, inputSize: 8, inChannels: 3, numClasses: 10, seed: 1 };

test('median of odd and even counts', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
});

test('inference bench: record fields, per-layer times with the ReLU fused, model left as it was', () => {
  const model = tinyNet();
  const { result, output } = runEngineBench({ ...base, model, warmup: 1, iters: 3, train: false, layers: true });
  assert.equal(result.mode, 'inference');
  assert.equal(result.backend, 'js');
  assert.equal(result.times_ms.length, 3);
  assert.equal(result.ms_per_batch, median(result.times_ms));
  assert.ok(Math.abs(result.images_per_s - 2000 / result.ms_per_batch) < 1e-9);
  assert.ok(result.peak_rss_mb > 10);
  assert.deepEqual(output?.shape, [2, 10]);
  const layers = result.layers!;
  assert.deepEqual(
    layers.map((l) => l.name),
    ['0', '1', '2', '3', '4'],
  );
  assert.equal(layers[0].type, 'Conv2d');
  assert.equal(layers[0].fusedRelu, true, 'Conv2d+ReLU still ran fused while timed');
  assert.equal(layers[1].ms, 0, 'the fused ReLU never ran on its own');
  assert.ok(layers[0].ms > 0 && layers[4].ms > 0);
  for (const [, m] of model.namedModules()) assert.equal(Object.hasOwn(m, 'forward'), false, 'timing wrappers removed');
  assert.equal(model.training, false);
});

test('per-layer times name the packed kernel of each convolution where the backend says, and the table shows it', () => {
  const js = runEngineBench({ ...base, model: tinyNet(), warmup: 0, iters: 1, train: false, layers: true }).result;
  assert.equal(js.layers![0].algorithm, undefined, 'the js backend packs nothing');
  assert.doesNotMatch(formatLayers(js.layers!, js.ms_per_batch), /kernel/);
  const native = nativeBackend({ warn: false });
  if (native === null) return; // without the addon, the js half above is what can be checked
  const { result } = withBackend(native, () => runEngineBench({ ...base, backend: native, model: tinyNet(), warmup: 0, iters: 1, train: false, layers: true }));
  const layers = result.layers!;
  assert.equal(layers[0].algorithm, 'direct (implicit im2col)', 'a 3-channel 3×3 layer is too small for Winograd');
  assert.equal(layers[4].algorithm, undefined, 'Linear layers do not say');
  const table = formatLayers(layers, result.ms_per_batch).split('\n');
  assert.match(table[0], /share {2}kernel$/);
  assert.match(table.find((line) => line.includes('Conv2d'))!, /% {2}direct \(implicit im2col\)$/);
});

test('training bench: one SGD step per run changes the weights', () => {
  const model = tinyNet();
  const before = Float32Array.from(model.at<Linear>(4).weight.data);
  const { result, output } = runEngineBench({ ...base, model, warmup: 0, iters: 2, train: true, layers: false });
  assert.equal(result.mode, 'train');
  assert.equal(output, null);
  assert.equal(result.times_ms.length, 2);
  assert.notDeepEqual(model.at<Linear>(4).weight.data, before);
  assert.throws(() => runEngineBench({ ...base, model, warmup: 0, iters: 1, train: true, layers: true }), /inference only/);
});

test('an input of the wrong shape is named in the error', async () => {
  const { Tensor } = await import('../../src/tensor/tensor.js');
  assert.throws(
    () => runEngineBench({ ...base, model: tinyNet(), input: Tensor.zeros([1, 3, 8, 8]), warmup: 0, iters: 1, train: false, layers: false }),
    /the input is \[1, 3, 8, 8\], expected \[2, 3, 8, 8\]/,
  );
});

test('`alexnet bench --json` prints one JSON record', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/node/cli/main.ts',
        'bench',
        '--backend',
        'js',
        '--model',
        'alexnet',
        '--input-size',
        '63',
        '--iters',
        '1',
        '--warmup',
        '0',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8' },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]) as Record<string, unknown>;
  for (const key of ['model', 'batch', 'backend', 'images_per_s', 'ms_per_batch', 'peak_rss_mb']) assert.ok(key in record, key);
  assert.equal(record.model, 'alexnet');
  assert.equal(record.batch, 1);
  assert.equal(record.backend, 'js');
  assert.equal(record.input_size, 63);
});
