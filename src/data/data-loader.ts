/**
 * Batches of a data set as an async iterator, like torch.utils.data.DataLoader:
 * seeded per-epoch shuffling, optional last-batch dropping, and a window of
 * batches prepared ahead of the consumer. Batches can be prepared on the main
 * thread (numWorkers 0) or by a worker pool; the Node entry point supplies the
 * pool (worker_threads), this core class knows only its interface.
 */
import { Tensor } from '../tensor/tensor.js';
import { loadBatch, type BatchRequest, type RawBatch, type SkippedSample } from './batch.js';
import type { Dataset, WorkerDatasetSpec } from './dataset.js';
import { epochPermutation } from './sampling.js';

export interface Batch {
  /** [B, C, H, W]. */
  images: Tensor;
  labels: Int32Array;
  /** Data-set index of every sample in the batch. */
  indices: Int32Array;
  epoch: number;
  /** Position of this batch in its epoch (0-based). */
  batchIndex: number;
}

/** Something that prepares batches elsewhere (worker threads). */
export interface BatchWorkerPool {
  run(request: BatchRequest): Promise<RawBatch>;
  close(): Promise<void>;
}

export type WorkerPoolFactory = (spec: WorkerDatasetSpec, numWorkers: number) => BatchWorkerPool;

let defaultWorkerPool: WorkerPoolFactory | undefined;

/**
 * The worker pool that DataLoaders with numWorkers > 0 use unless given one:
 * the Node entry point (alexnet-ts/node) installs worker threads when loaded;
 * a browser has none unless it installs its own.
 */
export function setDefaultWorkerPool(factory: WorkerPoolFactory | undefined): void {
  defaultWorkerPool = factory;
}

export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reorder the samples every epoch (default false: index order). */
  shuffle?: boolean;
  /** Seeds the shuffle order and every sample's augmentation (default 0). */
  seed?: number;
  /** Leave out a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Worker threads preparing batches; 0 prepares them on the calling thread (default 0). */
  numWorkers?: number;
  /** Batches prepared ahead: per worker with workers, in total without (default 2, torch's prefetch_factor). */
  prefetch?: number;
  /** Called once per sample index that had to be left out; the default warns on the console. */
  onSkip?: (skipped: SkippedSample) => void;
  /** How to start workers; the Node DataLoader provides worker_threads. */
  workerPool?: WorkerPoolFactory;
}

export interface EpochOptions {
  /** Start at this batch of the epoch (resuming mid-epoch); earlier batches are not prepared. */
  startBatch?: number;
}

function positiveInteger(value: number, what: string, allowZero = false): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`DataLoader: ${what} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${value}`);
  }
  return value;
}

export class DataLoader implements AsyncIterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly numWorkers: number;
  readonly prefetch: number;
  /** The epoch that the next `for await` over the loader will produce; it then advances by one. */
  epoch = 0;
  /** Every sample left out so far (index → reason), across epochs. */
  readonly skipped = new Map<number, string>();

  private readonly onSkip: (skipped: SkippedSample) => void;
  private readonly workerPoolFactory: WorkerPoolFactory | undefined;
  private pool: BatchWorkerPool | null = null;

  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    this.dataset = dataset;
    this.batchSize = positiveInteger(options.batchSize ?? 1, 'batchSize');
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) throw new Error(`DataLoader: seed must be a safe integer, got ${this.seed}`);
    this.dropLast = options.dropLast ?? false;
    this.numWorkers = positiveInteger(options.numWorkers ?? 0, 'numWorkers', true);
    this.prefetch = positiveInteger(options.prefetch ?? 2, 'prefetch');
    this.onSkip = options.onSkip ?? ((s) => console.warn(`DataLoader: skipping sample ${s.index}: ${s.message}`));
    this.workerPoolFactory = options.workerPool ?? defaultWorkerPool;
    if (this.numWorkers > 0) {
      if (this.workerPoolFactory === undefined) {
        throw new Error('DataLoader: numWorkers > 0 needs worker threads: import alexnet-ts/node (Node), pass a workerPool, or use numWorkers 0');
      }
      if (typeof dataset.workerSpec !== 'function') {
        throw new Error('DataLoader: this data set cannot run in worker threads (it has no workerSpec()); use numWorkers 0');
      }
    }
  }

  /** Batches per epoch, like len(loader). */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Sets the epoch the next iteration produces (e.g. when resuming from a checkpoint). */
  setEpoch(epoch: number): void {
    this.epoch = positiveInteger(epoch, 'epoch', true);
  }

  /** The order in which epoch `epoch` visits the data set. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return epochPermutation(this.seed, epoch, n);
    const identity = new Int32Array(n);
    for (let i = 0; i < n; i++) identity[i] = i;
    return identity;
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    const epoch = this.epoch;
    this.epoch += 1;
    return this.epochBatches(epoch);
  }

  /** The batches of one given epoch; does not change `epoch`. */
  async *epochBatches(epoch: number, options: EpochOptions = {}): AsyncGenerator<Batch> {
    positiveInteger(epoch, 'epoch', true);
    const count = this.length;
    const start = positiveInteger(options.startBatch ?? 0, 'startBatch', true);
    const order = this.order(epoch);
    const window = this.numWorkers > 0 ? this.numWorkers * this.prefetch : this.prefetch;
    const inFlight: { batchIndex: number; promise: Promise<RawBatch> }[] = [];
    let next = start;
    const schedule = (): void => {
      const batchIndex = next++;
      const indices = order.subarray(batchIndex * this.batchSize, Math.min((batchIndex + 1) * this.batchSize, order.length));
      const promise = this.prepare({ seed: this.seed, epoch, indices: Int32Array.from(indices) });
      // A batch may fail before it is awaited; the failure is reported when the consumer reaches it.
      promise.catch(() => undefined);
      inFlight.push({ batchIndex, promise });
    };
    try {
      while (next < count && inFlight.length < window) schedule();
      while (inFlight.length > 0) {
        const { batchIndex, promise } = inFlight.shift()!;
        const raw = await promise;
        if (next < count) schedule();
        this.recordSkipped(raw.skipped);
        if (raw.labels.length === 0) continue;
        yield { images: new Tensor(raw.images, raw.shape), labels: raw.labels, indices: raw.indices, epoch, batchIndex };
      }
    } finally {
      inFlight.length = 0;
    }
  }

  /** Stops the worker threads (if any). The loader can still be iterated; workers restart on demand. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.close();
  }

  private prepare(request: BatchRequest): Promise<RawBatch> {
    if (this.numWorkers === 0) return loadBatch(this.dataset, request);
    if (this.pool === null) this.pool = this.workerPoolFactory!(this.dataset.workerSpec!(), this.numWorkers);
    return this.pool.run(request);
  }

  private recordSkipped(skipped: readonly SkippedSample[]): void {
    for (const s of skipped) {
      if (this.skipped.has(s.index)) continue;
      this.skipped.set(s.index, s.message);
      this.onSkip(s);
    }
  }
}
