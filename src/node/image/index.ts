/** Node-only image I/O: decoding files with sharp into the core's RgbImage records. */
export { decodeImage, readImage } from './decode.js';
export { preprocessImageFiles } from './preprocess-files.js';
