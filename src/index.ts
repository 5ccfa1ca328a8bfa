/**
 * alexnet-ts, the browser-safe core: tensors, autograd, layers, models.
 * Node-only pieces (native backend, files, images, CLI) are in 'alexnet-ts/node'.
 */
export { Tensor, attachGrad, type NestedArray, type NestedNumbers, type TensorOptions } from './tensor/tensor.js';
export { Generator, defaultGenerator, manualSeed, type GeneratorState } from './tensor/random.js';
export { numel, shapeToString, type Shape } from './tensor/shape.js';
export { isGradEnabled, noGrad, noGradAsync } from './autograd/grad-mode.js';
export type { GradFn } from './autograd/node.js';
export type { AvgPool2dGeometry, Backend, Conv2dGeometry, LrnGeometry, Pool2dGeometry, SgdHyper } from './backend/backend.js';
export { getBackend, referenceBackend, setBackend, withBackend } from './backend/registry.js';
export { JsBackend } from './backend/js/index.js';
export * as F from './ops/index.js';
export * as nn from './nn/index.js';
export { AlexNet, ALEXNET_MIN_INPUT, type AlexNetOptions } from './models/alexnet.js';
export { AlexNetOriginal, ALEXNET_ORIGINAL_INPUT, type AlexNetOriginalOptions } from './models/alexnet-original.js';
export { createModel, getModelEntry, modelNames, type ModelEntry, type ModelOptions } from './models/registry.js';
export { topK, type Prediction } from './models/predictions.js';
export * from './formats/index.js';
export * as onnx from './onnx/index.js';
export * from './models/pretrained.js';
export { IMAGENET_CLASSES } from './models/imagenet-classes.js';
export * as image from './image/index.js';
export {
  summary,
  formatSummary,
  TORCHINFO_STORAGE_OVERHEAD_BYTES,
  DEFAULT_COL_WIDTH,
  type SummaryOptions,
  type FormatOptions,
  type SummaryResult,
  type LayerSummary,
} from './summary/index.js';
export * as data from './data/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export * as visualize from './visualize/index.js';
