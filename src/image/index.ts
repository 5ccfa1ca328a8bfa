/** Image math in pure TypeScript (no Node APIs): PIL/torchvision-exact preprocessing. */
export { assertImage, assertRgbImage, assertRgbOrRgbaImage, createImage, type Image8, type ImageTensor, type RgbImage, type RgbOrRgbaImage } from './image.js';
export { cmykToRgb, gray16ToRgb, toRgb } from './convert.js';
export { bilinearTaps, resizeBilinear, type AxisTaps } from './resample.js';
export { resize, resizedOutputSize, type ResizeSize } from './resize.js';
export { centerCrop, crop, type CropSize } from './crop.js';
export { toTensor } from './to-tensor.js';
export { normalize } from './normalize.js';
export { interpolateBilinear } from './interpolate.js';
export { readImageHeader, type ImageFormat, type ImageHeader } from './image-header.js';
export {
  IMAGENET_MEAN,
  IMAGENET_STD,
  imagenetEvalPixels,
  imagenetEvalTransform,
  preprocessBatch,
  type EvalTransformOptions,
} from './imagenet.js';
