/**
 * The training loop of `alexnet train`: epochs of SGD over a shuffled
 * DataLoader, evaluation after every epoch, a metrics line and an atomic
 * checkpoint per epoch, and a run that can stop anywhere (Ctrl-C,
 * --max-steps) and --resume to the same weights an uninterrupted run gets.
 *
 * Determinism: the model is initialised after seeding the default generator
 * with the run's seed; dropout then draws from that generator, whose state
 * every checkpoint saves; the DataLoader derives each epoch's order from
 * (seed, epoch) alone, so a resumed epoch sees the same batches.
 */
import { DataLoader } from '../data/data-loader.js';
import type { Module } from '../../nn/module.js';
import { createModel } from '../../models/registry.js';
import { ReduceLROnPlateau } from '../../optim/reduce-lr-on-plateau.js';
import type { LrScheduler } from '../../optim/scheduler.js';
import { SGD } from '../../optim/sgd.js';
import { StepLR } from '../../optim/step-lr.js';
import { defaultGenerator, manualSeed } from '../../tensor/random.js';
import { evaluate, type LabelledBatch } from '../../train/evaluate.js';
import { countTopK } from '../../train/metrics.js';
import { NonFiniteLossError, trainStep } from '../../train/train-step.js';
import type { ClassificationResult } from '../../train/metrics.js';
import { saveCheckpoint, type EpochSums, type RunPosition } from './checkpoint.js';
import { validateConfig, type TrainConfig } from './config.js';
import { openRunData, type RunData } from './datasets.js';
import { writeFilterPng } from './filters-png.js';
import { appendMetrics, truncateMetrics, type EpochMetrics } from './metrics-log.js';
import { createProgress, type ProgressMode } from './progress.js';
import { claimRunDir, inspectRunDir, type RunPaths } from './run-dir.js';

export interface TrainHooks {
  /** Builds the model (default: the registry's model with the config's channels and classes). */
  createModel?: (config: TrainConfig) => Module;
  /** The data (default: opened from config.dataset). */
  data?: RunData;
  /** --data: where the Fashion-MNIST files are. */
  dataDir?: string;
  /** Worker threads preparing batches (default 0: on the main thread). */
  workers?: number;
  /** Aborting stops after the current step (or evaluation batch) with a checkpoint. */
  signal?: AbortSignal;
  progress?: ProgressMode;
  /** Where the epoch summaries go (default: stdout). */
  log?: (line: string) => void;
  /** Called after every optimizer step with the run's step count. */
  onStep?: (step: number) => void;
  /** Draw conv1-filters.png at each epoch end and at the end (default true). */
  drawFilters?: boolean;
}

export type TrainStatus = 'completed' | 'interrupted' | 'max-steps' | 'already-complete';

export interface TrainResult {
  status: TrainStatus;
  position: RunPosition;
  /** The last metrics line written in this session. */
  metrics: EpochMetrics | null;
  paths: RunPaths;
  model: Module;
  data: RunData;
}

function buildScheduler(config: TrainConfig, optimizer: SGD): LrScheduler | null {
  switch (config.schedule) {
    case 'none':
      return null;
    case 'step':
      return new StepLR(optimizer, config.stepSize, config.gamma);
    case 'plateau':
      return new ReduceLROnPlateau(optimizer, {
        mode: 'min',
        factor: config.factor,
        patience: config.patience,
        threshold: config.threshold,
        cooldown: config.cooldown,
        minLr: config.minLr,
      });
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Stops yielding once the signal is aborted (the caller checks the signal afterwards). */
async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const item of source) {
    await yieldToEventLoop();
    if (signal?.aborted) return;
    yield item;
  }
}

/** The first parameter value that is NaN or ±∞, by parameter name; null when every value is finite. */
function firstNonFinite(model: Module): { name: string; value: number } | null {
  for (const [name, p] of model.namedParameters()) {
    const value = p.data.find((v) => !Number.isFinite(v));
    if (value !== undefined) return { name, value };
  }
  return null;
}

/** The registry model a run trains: its classes, input channels and initialization scheme. */
export function modelForRun(config: TrainConfig): Module {
  return createModel(config.model, { inChannels: config.inChannels, numClasses: config.numClasses, init: config.init });
}

/** "after epoch 2" at an epoch boundary, else "epoch 3, batch 17"; plus the step. */
function describePosition(p: RunPosition): string {
  return `${p.batch === 0 ? `after epoch ${p.epoch}` : `epoch ${p.epoch + 1}, batch ${p.batch}`}, step ${p.step}`;
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** "top-5 error 1.23%", or why there is none: top-5 is not defined for fewer than 5 classes. */
function top5Text(result: ClassificationResult): string {
  return result.top5Error === null ? `top-5 n/a (${result.classes} classes)` : `top-5 error ${percent(result.top5Error)}`;
}

export async function runTraining(config: TrainConfig, outDir: string, resume: boolean, hooks: TrainHooks = {}): Promise<TrainResult> {
  // The run folder's lock (claimRunDir) is held from the claim to the end of the session, however it ends.
  const lock = { release: async (): Promise<void> => {} };
  try {
    return await trainInRunDir(config, outDir, resume, hooks, lock);
  } finally {
    await lock.release();
  }
}

async function trainInRunDir(
  config: TrainConfig,
  outDir: string,
  resume: boolean,
  hooks: TrainHooks,
  lock: { release: () => Promise<void> },
): Promise<TrainResult> {
  validateConfig(config);
  const log = hooks.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  // The folder is checked before the data is opened (which may download) and claimed only once both are fine.
  const run = await inspectRunDir(outDir, config, resume);
  const { paths, checkpoint } = run;
  const data =
    hooks.data ?? (await openRunData({ dataset: config.dataset, imageSize: config.imageSize, inChannels: config.inChannels, dataDir: hooks.dataDir }));
  if (config.numClasses < data.classes.length) {
    throw new Error(`--num-classes ${config.numClasses} is fewer than the ${data.classes.length} classes of ${config.dataset}`);
  }

  manualSeed(config.seed);
  const model = hooks.createModel ? hooks.createModel(config) : modelForRun(config);
  model.train();
  const optimizer = new SGD(model.parameters(), {
    lr: config.lr,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    dampening: config.dampening,
    nesterov: config.nesterov,
  });
  const scheduler = buildScheduler(config, optimizer);
  const position: RunPosition = { epoch: 0, batch: 0, step: 0 };
  let sums: EpochSums = { lossSum: 0, top1Correct: 0, samples: 0 };

  if (checkpoint !== null) {
    try {
      model.loadStateDict(checkpoint.model);
    } catch (error) {
      throw new Error(
        `--resume: the checkpoint ${paths.checkpoint} does not fit model '${config.model}' (${config.inChannels} input channels, ${config.numClasses} classes): ${(error as Error).message}`,
      );
    }
    optimizer.loadStateDict(checkpoint.optimizer);
    if (scheduler !== null) {
      if (checkpoint.scheduler === null || checkpoint.scheduler.name !== scheduler.name) {
        throw new Error(`--resume: the checkpoint has ${checkpoint.scheduler?.name ?? 'no'} scheduler, the run asks for ${scheduler.name}`);
      }
      scheduler.loadStateDict(checkpoint.scheduler.state);
    }
    defaultGenerator.setState(checkpoint.rng.defaultGenerator);
    Object.assign(position, checkpoint.position);
    sums = { ...checkpoint.epochSums };
  }
  lock.release = await claimRunDir(run, config);
  if (resume) await truncateMetrics(paths.metrics, position.step);

  const workers = hooks.workers ?? 0;
  const trainLoader = new DataLoader(data.train, { batchSize: config.batchSize, shuffle: true, seed: config.seed, numWorkers: workers });
  const valLoader = new DataLoader(data.val, { batchSize: config.batchSize, shuffle: false, numWorkers: workers });
  const progress = createProgress(hooks.progress ?? 'auto');
  const batchesPerEpoch = trainLoader.length;
  let lastMetrics: EpochMetrics | null = null;
  let lastSaved = checkpoint === null ? null : describePosition(checkpoint.position);

  const save = async (reason: string): Promise<void> => {
    // A step can take finite weights to ∞ or NaN with a finite loss (a huge --lr): such weights must not replace
    // the last good checkpoint either.
    const diverged = firstNonFinite(model);
    if (diverged !== null) {
      await trainLoader.close();
      await valLoader.close();
      throw new Error(
        `training stopped: ${diverged.name} holds ${diverged.value} after step ${position.step} (epoch ${position.epoch + 1}); the weights diverged. ` +
          (lastSaved === null ? 'No checkpoint had been written yet. ' : `The last good checkpoint, ${paths.checkpoint} (${lastSaved}), was kept. `) +
          'A diverging loss usually needs a smaller --lr.',
      );
    }
    await saveCheckpoint(paths.checkpoint, {
      config,
      model: model.stateDict(),
      optimizer: optimizer.stateDict(),
      scheduler: scheduler === null ? null : { name: scheduler.name, state: scheduler.stateDict() },
      position: { ...position },
      epochSums: { ...sums },
      rng: { defaultGenerator: defaultGenerator.getState() },
      reason,
    });
    lastSaved = describePosition(position);
  };

  const evaluateVal = async (label: string): Promise<{ result: ClassificationResult; seconds: number } | null> => {
    const t0 = performance.now();
    progress.start(label, data.val.length, 0, false);
    const batches = untilAborted<LabelledBatch>(valLoader, hooks.signal);
    let result: ClassificationResult;
    try {
      result = await evaluate(model, batches, {
        onBatch: (done) => progress.update(done, { imagesPerSecond: done / ((performance.now() - t0) / 1000) }),
      });
    } catch (error) {
      progress.stop();
      if (hooks.signal?.aborted) return null; // stopped before its first batch: nothing evaluated, nothing wrong
      throw error;
    }
    progress.stop();
    if (hooks.signal?.aborted) return null;
    return { result, seconds: (performance.now() - t0) / 1000 };
  };

  /** `drawn`: the filter picture is already up to date (written at the epoch end just before). */
  const finish = async (status: TrainStatus, drawn = false): Promise<TrainResult> => {
    await trainLoader.close();
    await valLoader.close();
    if (!drawn && (hooks.drawFilters ?? true)) await writeFilterPng(paths.filters, model);
    return { status, position: { ...position }, metrics: lastMetrics, paths, model, data };
  };

  const reachedMaxSteps = (): boolean => config.maxSteps !== null && position.step >= config.maxSteps;
  // A Ctrl-C on the last step (or during the evaluation after it) saved an interrupt checkpoint before that
  // evaluation: resuming runs it, as the run would have.
  const evaluationPending = checkpoint?.reason === 'interrupt';
  if (position.epoch >= config.epochs || (reachedMaxSteps() && !evaluationPending)) {
    log(
      `${paths.dir}: the run already reached ${reachedMaxSteps() ? `step ${position.step} (--max-steps ${config.maxSteps})` : `epoch ${position.epoch} of ${config.epochs}`}; nothing to do (raise --epochs or --max-steps to continue)`,
    );
    return finish('already-complete');
  }
  log(
    `training ${config.model} on ${data.description}; ${batchesPerEpoch} batches of ${config.batchSize} per epoch; run folder ${paths.dir}` +
      (checkpoint !== null ? `; resuming at epoch ${position.epoch + 1}, batch ${position.batch}, step ${position.step}` : ''),
  );

  while (position.epoch < config.epochs) {
    const epochLabel = `epoch ${position.epoch + 1}/${config.epochs}`;
    const lr = optimizer.paramGroups[0].lr;
    let sessionImages = 0;
    let trainSeconds = 0;
    if (position.batch < batchesPerEpoch && !reachedMaxSteps()) {
      progress.start(epochLabel, batchesPerEpoch, position.batch);
      const t0 = performance.now();
      let currentBatch = position.batch + 1;
      try {
        for await (const batch of trainLoader.epochBatches(position.epoch, { startBatch: position.batch })) {
          currentBatch = batch.batchIndex + 1;
          const rows = batch.labels.length;
          const { loss, logits } = trainStep(model, optimizer, batch.images, batch.labels, position.step + 1);
          position.step += 1;
          // The loader's own index, not a count: a batch whose samples were all unreadable is never yielded.
          position.batch = batch.batchIndex + 1;
          sums.lossSum += loss * rows;
          sums.samples += rows;
          sums.top1Correct += countTopK(logits, rows, logits.length / rows, batch.labels, 1);
          sessionImages += rows;
          trainSeconds = (performance.now() - t0) / 1000;
          progress.update(position.batch, { loss, imagesPerSecond: sessionImages / trainSeconds });
          hooks.onStep?.(position.step);
          if (config.checkpointEvery && position.step % config.checkpointEvery === 0 && position.batch < batchesPerEpoch && !reachedMaxSteps()) {
            await save('periodic');
          }
          // Steps are synchronous; without a turn of the event loop a Ctrl-C would wait for the whole epoch.
          await yieldToEventLoop();
          if (hooks.signal?.aborted || reachedMaxSteps()) break;
        }
        // Not stopped early: the epoch is done, even if its last batches held only skipped samples.
        if (!hooks.signal?.aborted && !reachedMaxSteps()) position.batch = batchesPerEpoch;
      } catch (error) {
        progress.stop();
        if (error instanceof NonFiniteLossError) {
          await trainLoader.close();
          await valLoader.close();
          throw new Error(
            `training stopped: ${error.message} (epoch ${position.epoch + 1}, batch ${currentBatch}). ` +
              (lastSaved === null ? 'No checkpoint had been written yet. ' : `The last good checkpoint, ${paths.checkpoint} (${lastSaved}), was kept. `) +
              'A diverging loss usually needs a smaller --lr.',
          );
        }
        throw error;
      }
      progress.stop();
    }

    if (hooks.signal?.aborted) {
      await save('interrupt');
      log(
        `interrupted at step ${position.step} (epoch ${position.epoch + 1}, batch ${position.batch}/${batchesPerEpoch}); checkpoint saved to ${paths.checkpoint}; continue with --resume`,
      );
      return finish('interrupted');
    }

    if (sums.samples === 0) {
      await trainLoader.close();
      await valLoader.close();
      throw new Error(
        `training stopped: epoch ${position.epoch + 1} trained on no image: every sample was skipped as unreadable (see the warnings above); the epoch was not saved`,
      );
    }
    const partial = position.batch < batchesPerEpoch;
    const evaluation = await evaluateVal(partial ? `eval (step ${position.step})` : `eval ${position.epoch + 1}/${config.epochs}`);
    if (evaluation === null) {
      await save('interrupt');
      log(`interrupted during evaluation at step ${position.step}; checkpoint saved to ${paths.checkpoint}; continue with --resume`);
      return finish('interrupted');
    }
    const { result, seconds } = evaluation;
    if (!Number.isFinite(result.loss)) {
      // Weights that give a non-finite validation loss have diverged: they must not replace the last good checkpoint.
      await trainLoader.close();
      await valLoader.close();
      throw new Error(
        `training stopped: the validation loss is ${result.loss} at step ${position.step} (epoch ${position.epoch + 1}); the weights diverged. ` +
          (lastSaved === null ? 'No checkpoint had been written yet. ' : `The last good checkpoint, ${paths.checkpoint} (${lastSaved}), was kept. `) +
          'A diverging loss usually needs a smaller --lr.',
      );
    }
    const epochNumber = position.epoch + 1;
    if (!partial) scheduler?.step(result.top1Error);
    lastMetrics = {
      epoch: epochNumber,
      step: position.step,
      partial,
      train_loss: sums.lossSum / sums.samples,
      train_top1_error: (sums.samples - sums.top1Correct) / sums.samples,
      val_loss: result.loss,
      val_top1_error: result.top1Error,
      val_top5_error: result.top5Error,
      images_per_s: sessionImages > 0 ? sessionImages / trainSeconds : null,
      train_time_s: trainSeconds,
      eval_time_s: seconds,
      lr,
      next_lr: optimizer.paramGroups[0].lr,
      time: new Date().toISOString(),
    };
    await appendMetrics(paths.metrics, lastMetrics);
    if (!partial) {
      position.epoch += 1;
      position.batch = 0;
      sums = { lossSum: 0, top1Correct: 0, samples: 0 };
    }
    await save(partial ? 'max-steps' : 'epoch');
    if (hooks.drawFilters ?? true) await writeFilterPng(paths.filters, model);
    log(
      `${partial ? `step ${position.step} (epoch ${epochNumber}, partial)` : `epoch ${epochNumber}/${config.epochs}`}: ` +
        `train loss ${lastMetrics.train_loss.toFixed(4)}, val loss ${result.loss.toFixed(4)}, ` +
        `top-1 error ${percent(result.top1Error)}, ${top5Text(result)}, ` +
        `${lastMetrics.images_per_s === null ? '-' : lastMetrics.images_per_s.toFixed(1)} img/s, lr ${lr}` +
        `${lastMetrics.next_lr !== lr ? ` → ${lastMetrics.next_lr}` : ''}; checkpoint ${paths.checkpoint}`,
    );
    if (reachedMaxSteps()) return finish('max-steps', true);
  }
  return finish('completed', true);
}
