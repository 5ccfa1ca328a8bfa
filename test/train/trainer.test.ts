import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadCheckpoint } from '../../src/node/train/checkpoint.js';
import { validateConfig } from '../../src/node/train/config.js';
import { modelForRun, runTraining, type TrainHooks } from '../../src/node/train/trainer.js';
import type { Linear } from '../../src/nn/layers/linear.js';
import type { AlexNetOriginal } from '../../src/models/alexnet-original.js';
import { SkippableSampleError } from '../../src/data/dataset.js';
import { epochPermutation } from '../../src/data/sampling.js';
import { loadStateDict } from '../../src/formats/weights-file.js';
import { tinyConfig, tinyData, tinyModel } from './tiny-run.js';

const root = await mkdtemp(join(tmpdir(), 'alexnet-trainer-'));
after(() => rm(root, { recursive: true, force: true }));

const hooks = (extra: TrainHooks = {}): TrainHooks => ({
  createModel: tinyModel,
  data: tinyData(),
  progress: 'none',
  log: () => {},
  drawFilters: false,
  ...extra,
});

async function metricsLines(dir: string): Promise<Record<string, unknown>[]> {
  return (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('two epochs straight equal one epoch + resume, bit for bit', async () => {
  const straightDir = join(root, 'straight');
  const logLines: string[] = [];
  const straight = await runTraining(tinyConfig(), straightDir, false, hooks({ log: (line) => logLines.push(line) }));
  assert.equal(straight.status, 'completed');
  assert.deepEqual(straight.position, { epoch: 2, batch: 0, step: 10 });

  const splitDir = join(root, 'split');
  const first = await runTraining(tinyConfig({ epochs: 1 }), splitDir, false, hooks());
  assert.equal(first.status, 'completed');
  const second = await runTraining(tinyConfig({ epochs: 2 }), splitDir, true, hooks());
  assert.equal(second.status, 'completed');

  const a = straight.model.stateDict();
  const b = second.model.stateDict();
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [key, tensor] of a) assert.deepEqual(b.get(key)!.data, tensor.data, `weight ${key}`);

  const straightMetrics = await metricsLines(straightDir);
  const splitMetrics = await metricsLines(splitDir);
  assert.equal(straightMetrics.length, 2);
  for (const key of ['epoch', 'train_loss', 'val_loss', 'val_top1_error', 'val_top5_error', 'lr']) {
    assert.deepEqual(
      splitMetrics.map((m) => m[key]),
      straightMetrics.map((m) => m[key]),
      key,
    );
  }
  // StepLR(1, 0.5): the second epoch runs at half the rate.
  assert.deepEqual(
    straightMetrics.map((m) => m.lr),
    [0.05, 0.025],
  );
  for (const m of straightMetrics) {
    for (const key of ['train_loss', 'val_loss', 'images_per_s']) assert.equal(typeof m[key], 'number', key);
    assert.ok((m.val_top1_error as number) >= 0 && (m.val_top1_error as number) <= 1, 'val_top1_error');
    // The tiny model has 4 classes: top-5 error is not defined (torch.topk(5) refuses them), so it is null, not 0.
    assert.equal(m.val_top5_error, null);
  }
  assert.ok(
    logLines.some((line) => line.includes('top-5 n/a (4 classes)')),
    logLines.join('\n'),
  );
});

test('an interruption mid-epoch resumes to the same weights', async () => {
  const controller = new AbortController();
  const dir = join(root, 'interrupted');
  const stopped = await runTraining(
    tinyConfig(),
    dir,
    false,
    hooks({
      signal: controller.signal,
      onStep: (step) => {
        if (step === 3) controller.abort();
      },
    }),
  );
  assert.equal(stopped.status, 'interrupted');
  assert.deepEqual(stopped.position, { epoch: 0, batch: 3, step: 3 });
  const saved = await loadCheckpoint(join(dir, 'checkpoint.pth'));
  assert.equal(saved.reason, 'interrupt');
  assert.deepEqual(saved.position, { epoch: 0, batch: 3, step: 3 });
  assert.equal(saved.epochSums.samples, 24);

  const resumed = await runTraining(tinyConfig(), dir, true, hooks());
  assert.equal(resumed.status, 'completed');
  const reference = await runTraining(tinyConfig(), join(root, 'reference'), false, hooks());
  for (const [key, tensor] of reference.model.stateDict()) assert.deepEqual(resumed.model.stateDict().get(key)!.data, tensor.data, key);
  const [m1] = await metricsLines(dir);
  const [r1] = await metricsLines(join(root, 'reference'));
  assert.equal(m1.train_loss, r1.train_loss);
});

test('--max-steps stops mid-epoch with a partial evaluation, and a larger limit continues', async () => {
  const dir = join(root, 'max-steps');
  const result = await runTraining(tinyConfig({ maxSteps: 7 }), dir, false, hooks());
  assert.equal(result.status, 'max-steps');
  assert.deepEqual(result.position, { epoch: 1, batch: 2, step: 7 });
  const lines = await metricsLines(dir);
  assert.deepEqual(
    lines.map((l) => [l.epoch, l.partial, l.step]),
    [
      [1, false, 5],
      [2, true, 7],
    ],
  );
  const again = await runTraining(tinyConfig({ maxSteps: 7 }), dir, true, hooks());
  assert.equal(again.status, 'already-complete');
  const more = await runTraining(tinyConfig({ maxSteps: null }), dir, true, hooks());
  assert.equal(more.status, 'completed');
  assert.equal(more.position.step, 10);
});

test('the checkpoint is a .pth whose model part loads as a state dict', async () => {
  const dir = join(root, 'straight');
  const bytes = await readFile(join(dir, 'checkpoint.pth'));
  const stateDict = loadStateDict(new Uint8Array(bytes), { source: 'checkpoint.pth' });
  assert.deepEqual([...stateDict.keys()], ['0.weight', '0.bias', '4.weight', '4.bias']);
  const checkpoint = await loadCheckpoint(join(dir, 'checkpoint.pth'));
  assert.equal(checkpoint.optimizer.step_count, 10);
  assert.equal(checkpoint.optimizer.state.size, 4);
  assert.equal(checkpoint.scheduler?.name, 'StepLR');
  assert.equal(checkpoint.rng.defaultGenerator.s.length, 4);
  assert.ok((await stat(join(dir, 'config.json'))).isFile());
});

test('a folder holding another run is refused, and --resume must match', async () => {
  const dir = join(root, 'straight');
  const before = await readFile(join(dir, 'checkpoint.pth'));
  await assert.rejects(runTraining(tinyConfig(), dir, false, hooks()), /already holds a training run.*--resume/);
  await assert.rejects(runTraining(tinyConfig({ lr: 0.1, epochs: 3 }), dir, true, hooks()), /holds a different run.*lr 0.05 \(saved\) vs 0.1 \(now\)/);
  await assert.rejects(runTraining(tinyConfig({ model: 'other', epochs: 3 }), dir, true, hooks()), /model "tiny" \(saved\) vs "other" \(now\)/);
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), before, 'nothing was overwritten');
  await assert.rejects(runTraining(tinyConfig(), join(root, 'nothing-here'), true, hooks()), /holds no training run to continue/);
  await assert.rejects(runTraining(tinyConfig({ init: 'paper', epochs: 3 }), dir, true, hooks()), /init undefined \(saved\) vs "paper" \(now\)/);
});

test('--resume of a folder whose checkpoint.pth is gone is refused while metrics.jsonl holds progress', async () => {
  const dir = join(root, 'lost-checkpoint');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const metrics = await readFile(join(dir, 'metrics.jsonl'));
  await rm(join(dir, 'checkpoint.pth'));
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 2 }), dir, true, hooks()),
    /--resume: .* has no checkpoint\.pth, but its metrics\.jsonl holds 1 record\(s\) of progress that starting again from step 0 would erase; nothing was changed/,
  );
  assert.deepEqual(await readFile(join(dir, 'metrics.jsonl')), metrics, 'the history is kept');
  // A run that recorded nothing yet (stopped before its first checkpoint) starts again.
  await rm(join(dir, 'metrics.jsonl'));
  assert.equal((await runTraining(tinyConfig({ epochs: 1 }), dir, true, hooks())).status, 'completed');
});

test("a run's init reaches its model: 'paper' sets the hidden Linear biases to 1, the article's init leaves them at PyTorch's default", () => {
  const base = tinyConfig({ model: 'alexnet-original', inChannels: 1, numClasses: 10, imageSize: 227 });
  const hiddenBias = (init?: 'paper'): Float32Array => (modelForRun({ ...base, init }) as AlexNetOriginal).classifier.at<Linear>(0).bias!.data;
  assert.ok(hiddenBias('paper').every((v) => v === 1));
  const article = hiddenBias();
  assert.ok(
    article.every((v) => Math.abs(v) <= 1 / Math.sqrt(256 * 6 * 6)),
    'U(±1/√fan_in), as torch.nn.Linear',
  );
});

test('a checkpoint whose weights do not fit the model fails clearly', async () => {
  const dir = join(root, 'shape');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const wider = (c: Parameters<typeof tinyModel>[0]) => tinyModel({ ...c, inChannels: 2 });
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 2 }), dir, true, hooks({ createModel: wider })),
    /does not fit model 'tiny'.*0\.weight: expected \[3, 2, 3, 3\], got \[3, 1, 3, 3\]/,
  );
});

test('weights a step took to ∞ or NaN (a finite loss, a huge --lr) never replace the last good checkpoint', async () => {
  const dir = join(root, 'diverged-weights');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const good = await readFile(join(dir, 'checkpoint.pth'));
  let model: ReturnType<typeof tinyModel> | null = null;
  const capture = (c: Parameters<typeof tinyModel>[0]) => {
    model = tinyModel(c);
    return model;
  };
  // After the resumed run's first step the first weight overflows; its checkpoint (every step) must not be written.
  const overflow = (step: number) => {
    if (step === 6) [...model!.parameters()][0].data[0] = Number.POSITIVE_INFINITY;
  };
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 2, checkpointEvery: 1 }), dir, true, hooks({ createModel: capture, onStep: overflow })),
    /^Error: training stopped: 0\.weight holds Infinity after step 6 \(epoch 2\); the weights diverged\. The last good checkpoint, .* was kept\./,
  );
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), good);
  assert.throws(() => validateConfig(tinyConfig({ lr: 1e40 })), /^Error: --lr 1e\+40 is beyond float32's largest value \(3\.4e38\)$/);
});

test('a diverging loss stops with the step named and keeps the last good checkpoint', async () => {
  const dir = join(root, 'diverge');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const good = await readFile(join(dir, 'checkpoint.pth'));
  // The poisoned sample's batch in epoch 2 (index 1), from the loader's order for seed 3.
  const batch = Math.floor(epochPermutation(3, 1, 40).indexOf(9) / 8) + 1;
  const step = 5 + batch;
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 3 }), dir, true, hooks({ data: { ...tinyData(), train: poisoned(tinyData().train, 9) } })),
    (error: Error) => {
      assert.match(
        error.message,
        new RegExp(
          `the loss is NaN at step ${step}; .*\\(epoch 2, batch ${batch}\\)\\. The last good checkpoint, .*checkpoint.pth \\(after epoch 1, step 5\\), was kept`,
        ),
      );
      return true;
    },
  );
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), good);
});

/** The same data set with one sample's pixels made NaN. */
function poisoned(dataset: ReturnType<typeof tinyData>['train'], index: number): ReturnType<typeof tinyData>['train'] {
  return {
    length: dataset.length,
    get(i, rng) {
      const sample = dataset.get(i, rng) as { image: { channels: number; height: number; width: number; data: Float32Array }; label: number };
      if (i !== index) return sample;
      return { label: sample.label, image: { ...sample.image, data: new Float32Array(sample.image.data.length).fill(NaN) } };
    },
  };
}

test('a plateau schedule survives an interruption before its first step and a resume', async () => {
  const config = tinyConfig({ schedule: 'plateau', patience: 0, factor: 0.5, epochs: 3 });
  const straight = await runTraining(config, join(root, 'plateau-straight'), false, hooks());
  const controller = new AbortController();
  const dir = join(root, 'plateau-split');
  const stopped = await runTraining(
    config,
    dir,
    false,
    hooks({
      signal: controller.signal,
      onStep: (s) => {
        if (s === 2) controller.abort();
      },
    }),
  );
  assert.equal(stopped.status, 'interrupted');
  const saved = await loadCheckpoint(join(dir, 'checkpoint.pth'));
  assert.equal(saved.scheduler?.name, 'ReduceLROnPlateau');
  assert.equal(saved.scheduler?.state.best, Infinity);
  const resumed = await runTraining(config, dir, true, hooks());
  assert.equal(resumed.status, 'completed');
  for (const [key, tensor] of straight.model.stateDict()) assert.deepEqual(resumed.model.stateDict().get(key)!.data, tensor.data, key);
  const lrs = (await metricsLines(dir)).map((m) => [m.lr, m.next_lr]);
  // The tiny task reaches 0 validation error in epoch 1; no further improvement halves the rate each epoch.
  assert.deepEqual(lrs, [
    [0.05, 0.05],
    [0.05, 0.025],
    [0.025, 0.0125],
  ]);
  assert.deepEqual(
    lrs,
    (await metricsLines(join(root, 'plateau-straight'))).map((m) => [m.lr, m.next_lr]),
  );
});

test('batches whose samples were all skipped keep the positions right across a resume', async () => {
  const withBadSample = (): ReturnType<typeof tinyData> => {
    const data = tinyData();
    const train = data.train;
    return {
      ...data,
      train: {
        length: train.length,
        get: (i, rng) => {
          if (i === 5) throw new SkippableSampleError('sample 5 is corrupt');
          return train.get(i, rng);
        },
      },
    };
  };
  const config = tinyConfig({ batchSize: 1 });
  const straight = await runTraining(config, join(root, 'skip-straight'), false, hooks({ data: withBadSample() }));
  assert.deepEqual(straight.position, { epoch: 2, batch: 0, step: 78 }, 'one empty batch per epoch is not a step');
  const controller = new AbortController();
  const dir = join(root, 'skip-split');
  const stopped = await runTraining(
    config,
    dir,
    false,
    hooks({
      data: withBadSample(),
      signal: controller.signal,
      onStep: (s) => {
        if (s === 50) controller.abort();
      },
    }),
  );
  assert.equal(stopped.position.step, 50);
  const resumed = await runTraining(config, dir, true, hooks({ data: withBadSample() }));
  assert.deepEqual(resumed.position, { epoch: 2, batch: 0, step: 78 });
  for (const [key, tensor] of straight.model.stateDict()) assert.deepEqual(resumed.model.stateDict().get(key)!.data, tensor.data, key);
});

test('an epoch in which every sample was skipped stops the run instead of reporting NaN', async () => {
  const data = tinyData();
  const unreadable = {
    ...data,
    train: {
      length: data.train.length,
      get: (): never => {
        throw new SkippableSampleError('a format the decoder does not read');
      },
    },
  };
  const dir = join(root, 'all-skipped');
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks({ data: unreadable, createModel: tinyModel })),
    /training stopped: epoch 1 trained on no image: every sample was skipped as unreadable/,
  );
  await assert.rejects(stat(join(dir, 'checkpoint.pth')), { code: 'ENOENT' });
});

test('weights whose validation loss is not finite never replace the last good checkpoint', async () => {
  const dir = join(root, 'val-nan');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const good = await readFile(join(dir, 'checkpoint.pth'));
  // The training images are fine; one validation image is NaN, so the loss of epoch 2's evaluation is.
  const data = tinyData();
  await assert.rejects(runTraining(tinyConfig({ epochs: 2 }), dir, true, hooks({ data: { ...data, val: poisoned(data.val, 3) } })), (error: Error) => {
    assert.match(
      error.message,
      /the validation loss is NaN at step 10 \(epoch 2\); the weights diverged\. The last good checkpoint, .*\(after epoch 1, step 5\), was kept/,
    );
    return true;
  });
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), good);
});

test('Ctrl-C on the --max-steps step: --resume runs the evaluation the run owed', async () => {
  const controller = new AbortController();
  const dir = join(root, 'max-steps-interrupt');
  const stopped = await runTraining(
    tinyConfig({ maxSteps: 7 }),
    dir,
    false,
    hooks({ signal: controller.signal, onStep: (s) => void (s === 7 && controller.abort()) }),
  );
  assert.equal(stopped.status, 'interrupted');
  const resumed = await runTraining(tinyConfig({ maxSteps: 7 }), dir, true, hooks());
  assert.equal(resumed.status, 'max-steps');
  const straight = join(root, 'max-steps-straight');
  await runTraining(tinyConfig({ maxSteps: 7 }), straight, false, hooks());
  assert.deepEqual(
    (await metricsLines(dir)).map((l) => [l.epoch, l.partial, l.step, l.val_loss]),
    (await metricsLines(straight)).map((l) => [l.epoch, l.partial, l.step, l.val_loss]),
  );
  const again = await runTraining(tinyConfig({ maxSteps: 7 }), dir, true, hooks());
  assert.equal(again.status, 'already-complete');
});

test("two sessions never train into one folder: a live lock is refused, a dead session's lock taken over", async () => {
  const { writeFile } = await import('node:fs/promises');
  const { hostname } = await import('node:os');
  const { spawnSync } = await import('node:child_process');
  const dir = join(root, 'locked');
  await runTraining(tinyConfig({ epochs: 1 }), dir, false, hooks());
  const lock = join(dir, '.lock');
  await assert.rejects(stat(lock), { code: 'ENOENT' }, 'released when the session ended');
  const before = await readFile(join(dir, 'checkpoint.pth'));
  // A live session (this process stands in for it) holds the folder.
  await writeFile(lock, `${process.pid} ${hostname()}\n`);
  await assert.rejects(
    runTraining(tinyConfig({ epochs: 2 }), dir, true, hooks()),
    /locked is in use by another training session \(process \d+ on .*\); nothing was changed/,
  );
  assert.deepEqual(await readFile(join(dir, 'checkpoint.pth')), before);
  // A session that died (SIGKILL) left its lock: taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(lock, `${dead} ${hostname()}\n`);
  const resumed = await runTraining(tinyConfig({ epochs: 2 }), dir, true, hooks());
  assert.equal(resumed.status, 'completed');
  await assert.rejects(stat(lock), { code: 'ENOENT' });
});
