/**
 * DataLoaders in Node run `numWorkers > 0` on worker threads: loading this
 * module (as alexnet-ts/node does) makes WorkerThreadPool the default pool of
 * the one DataLoader class (src/data/data-loader.ts), so decoding and
 * augmentation leave the main thread.
 */
import { DataLoader, setDefaultWorkerPool } from '../../data/data-loader.js';
import { WorkerThreadPool } from './worker-pool.js';

setDefaultWorkerPool((spec, n) => new WorkerThreadPool(spec, n));

export { DataLoader };
