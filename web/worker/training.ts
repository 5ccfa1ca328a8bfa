/**
 * Live training in the worker: torchvision's AlexNet with 1 input channel
 * and 10 classes on the embedded Fashion-MNIST subset at 64×64, SGD with
 * momentum 0.9 and weight decay 5e-4: `alexnet train --dataset
 * fashion-mnist-subset`'s recipe, with the batch size and learning rate
 * the page sets. Each step is one job of the worker's queue and reports
 * its loss and accuracy; Stop ends the run after the current step and
 * evaluates on the 1,000 test images; Start again continues the same run.
 */
import { countTopK, createModel, data, F, manualSeed, NonFiniteLossError, noGrad, SGD, trainStep, type nn } from 'alexnet-ts';
import type { ModelInfo, TrainEvent, TrainOptions, TrainState } from '../protocol.js';
import { type FashionData, fashionData } from './fashion-data.js';
import { describeModel, type PageModel } from './models.js';
import { filtersPicture } from './pictures.js';
import { nextTask, type TaskQueue } from './task-queue.js';

/** The input side `alexnet train` uses for Fashion-MNIST with torchvision's AlexNet. */
export const FASHION_SIDE = 64;
const EVAL_BATCH = 100;

type Emit = (event: TrainEvent, transfer?: Transferable[]) => void;

interface Run {
  model: nn.Module;
  optimizer: SGD;
  loader: data.DataLoader;
  batchSize: number;
  seed: number;
  step: number;
  epoch: number;
  /** Batches done in the current epoch. */
  batch: number;
  testAccuracy: number | null;
}

export class Trainer {
  private state: TrainState = 'idle';
  private run: Run | null = null;
  private stopRequested = false;
  private generation = 0;

  constructor(
    private readonly queue: TaskQueue,
    private readonly emit: Emit,
  ) {}

  get busy(): boolean {
    return this.state === 'loading' || this.state === 'running' || this.state === 'stopping' || this.state === 'evaluating';
  }

  /** The trained model, once a run stopped (null while none, or while it trains). */
  get model(): PageModel | null {
    if (this.run === null || this.run.step === 0) return null;
    return describeModel(this.run.model, 'alexnet', this.source(), 'trained', false, 1, 10);
  }

  /** The model being trained, in whatever state (classifying while it trains is allowed). */
  get liveModel(): nn.Module | null {
    return this.run?.model ?? null;
  }

  private source(): string {
    const run = this.run!;
    const accuracy = run.testAccuracy === null ? '' : `, ${(100 * run.testAccuracy).toFixed(1)}% test accuracy`;
    return `trained in this page: ${run.step} steps of ${run.batchSize} on Fashion-MNIST${accuracy}`;
  }

  private setState(state: TrainState, message: string | null = null): void {
    this.state = state;
    this.emit({ type: 'state', state, step: this.run?.step ?? 0, message });
  }

  /** Starts (or continues) a run; returns once it is under way. */
  start(options: TrainOptions): void {
    if (this.busy) throw new Error('training is already running');
    if (!(options.lr > 0 && options.lr <= 1)) throw new Error(`learning rate ${options.lr}: expected a number above 0 and at most 1`);
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 512)
      throw new Error(`batch size ${options.batchSize}: expected 1 to 512`);
    if (!Number.isInteger(options.epochs) || options.epochs < 1 || options.epochs > 100) throw new Error(`epochs ${options.epochs}: expected 1 to 100`);
    this.stopRequested = false;
    const generation = ++this.generation;
    this.setState('loading');
    void this.loop(options, generation);
  }

  stop(): void {
    if (!this.busy) return;
    this.stopRequested = true;
    if (this.state === 'running') this.setState('stopping');
  }

  /** Forgets the run (its model, optimizer state and position). */
  reset(): void {
    this.stopRequested = true;
    this.generation++;
    this.run = null;
    this.emit({ type: 'model', info: null });
    this.setState('idle');
  }

  private async prepare(options: TrainOptions, fashion: FashionData): Promise<Run> {
    let run = this.run;
    if (run === null) {
      run = await this.queue.run(() => {
        manualSeed(options.seed);
        const model = createModel('alexnet', { inChannels: 1, numClasses: 10 }).train();
        const optimizer = new SGD(model.parameters(), { lr: options.lr, momentum: 0.9, weightDecay: 5e-4 });
        const loader = new data.DataLoader(fashion.train, { batchSize: options.batchSize, shuffle: true, seed: options.seed });
        return { model, optimizer, loader, batchSize: options.batchSize, seed: options.seed, step: 0, epoch: 0, batch: 0, testAccuracy: null };
      });
    } else if (run.batchSize !== options.batchSize) {
      // Another batch size: the epoch continues at the same image, in batches of the new size.
      const images = run.batch * run.batchSize;
      run.loader = new data.DataLoader(fashion.train, { batchSize: options.batchSize, shuffle: true, seed: run.seed });
      run.batch = Math.floor(images / options.batchSize);
      run.batchSize = options.batchSize;
    }
    for (const group of run.optimizer.paramGroups) group.lr = options.lr;
    return run;
  }

  private async loop(options: TrainOptions, generation: number): Promise<void> {
    const current = (): boolean => generation === this.generation;
    try {
      const fashion = await fashionData(FASHION_SIDE, 1);
      if (!current()) return;
      this.emit({ type: 'data', trainImages: fashion.train.length, testImages: fashion.test.length });
      const run = await this.prepare(options, fashion);
      if (!current()) return;
      this.run = run;
      if (run.epoch >= options.epochs) {
        this.setState('finished', `the run already did its ${options.epochs} epoch${options.epochs === 1 ? '' : 's'}: raise Epochs to go on, or Reset`);
        return;
      }
      this.setState(this.stopRequested ? 'stopping' : 'running');
      const batchesPerEpoch = run.loader.length;
      // The steps done (perhaps at another batch size) and the batches left at this one.
      const totalSteps = run.step + (options.epochs - run.epoch) * batchesPerEpoch - run.batch;
      while (run.epoch < options.epochs && !this.stopRequested) {
        for await (const batch of run.loader.epochBatches(run.epoch, { startBatch: run.batch })) {
          if (!current() || this.stopRequested) break;
          await this.queue.run(async () => {
            run.model.train();
            const t0 = performance.now();
            const { loss, logits } = trainStep(run.model, run.optimizer, batch.images, batch.labels, run.step + 1);
            const stepMs = performance.now() - t0;
            const rows = batch.labels.length;
            run.step += 1;
            run.batch = batch.batchIndex + 1;
            const accuracy = countTopK(logits, rows, logits.length / rows, batch.labels, 1) / rows;
            this.emit({
              type: 'step',
              report: {
                step: run.step,
                epoch: run.epoch,
                batch: run.batch,
                batchesPerEpoch,
                totalSteps,
                loss,
                accuracy,
                stepMs,
                imagesPerSecond: rows / (stepMs / 1000),
              },
            });
            const { picture } = await filtersPicture(run.model, 4);
            this.emit({ type: 'filters', step: run.step, picture }, [picture.bitmap]);
          });
          // Requests that came in during the step go first.
          await nextTask();
        }
        if (!current()) return;
        if (!this.stopRequested) {
          run.epoch += 1;
          run.batch = 0;
        }
      }
      if (!current()) return;
      if (run.step === 0) {
        // Stopped before the first step: nothing to test.
        this.setState('idle');
        return;
      }
      const finished = run.epoch >= options.epochs;
      await this.evaluate(run, fashion, current);
      if (!current()) return;
      this.emit({ type: 'model', info: this.model?.info ?? null });
      this.setState(finished ? 'finished' : 'stopped');
    } catch (error) {
      if (!current()) return;
      const message =
        error instanceof NonFiniteLossError
          ? `training stopped: ${error.message}. The learning rate is too high for this batch size: press Reset and start again with a smaller one.`
          : `training failed: ${(error as Error).message}`;
      this.setState('error', message);
    }
  }

  /** Top-1 accuracy and mean loss on the test images, a batch per job. */
  private async evaluate(run: Run, fashion: FashionData, current: () => boolean): Promise<void> {
    this.setState('evaluating');
    const test = fashion.test;
    const loader = new data.DataLoader(test, { batchSize: EVAL_BATCH, shuffle: false });
    let correct = 0;
    let lossSum = 0;
    let done = 0;
    for await (const batch of loader) {
      if (!current()) return;
      await this.queue.run(() => {
        run.model.eval();
        const { loss, hits } = noGrad(() => {
          const logits = run.model.call(batch.images);
          const rows = batch.labels.length;
          return { loss: F.crossEntropy(logits, batch.labels).item() * rows, hits: countTopK(logits.data, rows, logits.shape[1], batch.labels, 1) };
        });
        correct += hits;
        lossSum += loss;
        done += batch.labels.length;
      });
      this.emit({ type: 'eval', step: run.step, accuracy: correct / done, loss: lossSum / done, samples: test.length, done });
      await nextTask();
    }
    run.model.eval();
    run.testAccuracy = correct / done;
  }

  /** For the page's model list. */
  info(): ModelInfo | null {
    return this.model?.info ?? null;
  }
}
