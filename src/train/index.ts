/** Training and evaluation building blocks that run anywhere (no Node APIs). */
export { argmaxRows, ClassificationMeter, countTopK, inTopK, type ClassificationResult } from './metrics.js';
export { NonFiniteLossError, trainStep, type TrainStepResult } from './train-step.js';
export { evaluate, logitsNoGrad, type EvaluateOptions, type LabelledBatch } from './evaluate.js';
export { filterGrid, type FilterGridOptions, type RasterImage } from './filter-grid.js';
