/** The functional API, like torch.nn.functional: import * as F from './ops/index.js'. */
export { add, mean, mul, mulScalar, sub, sum } from './arithmetic.js';
export { adaptiveAvgPool2d } from './adaptive-avg-pool2d.js';
export { avgPool2d, avgPool2dGeometry, avgPoolOutputSize, type AvgPool2dOptions, type AvgPool2dPadding } from './avg-pool2d.js';
export { conv2d, conv2dAsync, conv2dGeometry, convOutputSize, type Conv2dOptions } from './conv2d.js';
export { dropout } from './dropout.js';
export { linear, linearAsync, type LinearOptions } from './linear.js';
export { localResponseNorm, type LrnOptions } from './local-response-norm.js';
export { crossEntropy, nllLoss, type ClassTargets } from './loss.js';
export { maxPool2d, maxPool2dAsync, maxPool2dGeometry, poolOutputSize, type MaxPool2dOptions } from './max-pool2d.js';
export { pad, type Pads } from './pad.js';
export { pair, type Pair } from './pair.js';
export { relu } from './relu.js';
export { logSoftmax, softmax } from './softmax.js';
