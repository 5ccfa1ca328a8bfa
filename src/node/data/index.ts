export * from './fashion-mnist-files.js';
export * from './image-folder.js';
export { DataLoader } from './data-loader.js';
export { WorkerThreadPool } from './worker-pool.js';
