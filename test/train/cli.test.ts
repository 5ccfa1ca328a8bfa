import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { runTraining } from '../../src/node/train/trainer.js';
import { tinyConfig, tinyData, tinyModel } from './tiny-run.js';

const root = await mkdtemp(join(tmpdir(), 'alexnet-train-cli-'));
after(() => rm(root, { recursive: true, force: true }));
const main = fileURLToPath(new URL('../../src/node/cli/main.ts', import.meta.url));

function alexnet(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, '--backend', 'js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('alexnet train refuses a folder holding another run and a --resume that does not match', async () => {
  const dir = join(root, 'tiny-run');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, { createModel: tinyModel, data: tinyData(), progress: 'none', log: () => {}, drawFilters: false });
  const before = await readFile(join(dir, 'checkpoint.pth'));

  const fresh = alexnet('train', '--dataset', 'fashion-mnist-subset', '--out', dir, '--max-steps', '1');
  assert.equal(fresh.status, 1);
  assert.match(fresh.stderr, /^alexnet: error: .*tiny-run already holds a training run \(model tiny, .*\); nothing was changed\. Pass --resume/);

  const resumed = alexnet('train', '--dataset', 'fashion-mnist-subset', '--out', dir, '--resume', '--max-steps', '1');
  assert.equal(resumed.status, 1);
  assert.match(resumed.stderr, /--resume: .* holds a different run .*model "tiny" \(saved\) vs "alexnet" \(now\)/);
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), before, 'the run was left untouched');
});

test('alexnet train and eval reject bad options with one line', () => {
  const badLr = alexnet('train', '--dataset', 'fashion-mnist-subset', '--out', join(root, 'x'), '--lr', 'fast');
  assert.equal(badLr.status, 1);
  assert.equal(badLr.stderr, "alexnet: error: --lr 'fast': expected a number >= 0\n");
  const noFolder = alexnet('train', '--dataset', join(root, 'no-such-dir'), '--out', join(root, 'z'));
  assert.match(noFolder.stderr, /no-such-dir: expected 'fashion-mnist', 'fashion-mnist-subset' or an image-folder directory; no such directory/);
  const noWeights = alexnet('eval', '--weights', join(root, 'missing.pth'), '--dataset', 'fashion-mnist-subset');
  assert.equal(noWeights.status, 1);
  assert.match(noWeights.stderr, /missing\.pth/);
});

test('alexnet eval takes the image size a training checkpoint was trained at, unless --image-size says otherwise', async () => {
  const { writeFile } = await import('node:fs/promises');
  const { savePthChunks } = await import('../../src/formats/pth/pth-writer.js');
  const { createModel } = await import('../../src/models/registry.js');
  const { withoutInitialization } = await import('../../src/nn/init.js');
  // A checkpoint as `alexnet train` writes it: the weights under 'model', the run's settings under 'config'.
  const model = withoutInitialization(() => createModel('alexnet', { inChannels: 1, numClasses: 10 }));
  const path = join(root, 'sized.pth');
  await writeFile(path, savePthChunks({ model: model.stateDict(), config: { imageSize: 72, dataset: 'fashion-mnist-subset' } }));
  const evalAt = (...extra: string[]) => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', main, '--backend', 'native', 'eval', '--weights', path, '--dataset', 'fashion-mnist-subset', '--json', ...extra],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { image_size: number }).image_size;
  };
  assert.equal(evalAt(), 72);
  assert.equal(evalAt('--image-size', '64'), 64);
});
