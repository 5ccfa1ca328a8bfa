/**
 * The DataLoader for Node: the core DataLoader with worker threads available,
 * so `numWorkers > 0` decodes and augments off the main thread.
 */
import { DataLoader as CoreDataLoader, type DataLoaderOptions } from '../../data/data-loader.js';
import type { Dataset } from '../../data/dataset.js';
import { WorkerThreadPool } from './worker-pool.js';

export class DataLoader extends CoreDataLoader {
  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    super(dataset, { workerPool: (spec, n) => new WorkerThreadPool(spec, n), ...options });
  }
}
