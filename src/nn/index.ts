/** Layers and containers, like torch.nn. */
export * as init from './init.js';
export { AdaptiveAvgPool2d } from './layers/adaptive-avg-pool2d.js';
export { AvgPool2d, type AvgPool2dConfig } from './layers/avg-pool2d.js';
export { Conv2d, type Conv2dConfig } from './layers/conv2d.js';
export { Dropout } from './layers/dropout.js';
export { Flatten } from './layers/flatten.js';
export { Linear } from './layers/linear.js';
export { LocalResponseNorm } from './layers/local-response-norm.js';
export { MaxPool2d, type MaxPool2dConfig } from './layers/max-pool2d.js';
export { ReLU } from './layers/relu.js';
export { Module, type ForwardHook, type LoadStateDictOptions, type LoadStateDictResult, type SetPrecisionOptions, type StateDict } from './module.js';
export type { ForwardSteps, SubmoduleCall } from './forward-steps.js';
export { Parameter } from './parameter.js';
export { Sequential, type ReluFusable } from './sequential.js';
