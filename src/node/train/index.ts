/** Training runs on Node: the loop behind `alexnet train`, its checkpoints, run folders and data. */
export { runTraining, type TrainHooks, type TrainResult, type TrainStatus } from './trainer.js';
export { IDENTITY_KEYS, identityDifferences, runIdentity, validateConfig, type RunIdentity, type ScheduleName, type TrainConfig } from './config.js';
export { CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint, type EpochSums, type RunPosition, type TrainingCheckpoint } from './checkpoint.js';
export { claimRunDir, inspectRunDir, runPaths, type InspectedRun, type RunPaths } from './run-dir.js';
export { checkRunDataExists, classCount, isFashionMnist, nativeChannels, openRunData, type OpenDataOptions, type RunData } from './datasets.js';
export { appendMetrics, type EpochMetrics } from './metrics-log.js';
export { firstConvWeight, writeFilterPng } from './filters-png.js';
export { watchSigint, type InterruptWatch } from './interrupt.js';
export { createProgress, type Progress, type ProgressMode, type ProgressValues } from './progress.js';
