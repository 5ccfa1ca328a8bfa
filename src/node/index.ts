/**
 * alexnet-ts for Node: everything in the core plus what needs Node — the
 * native backend, files and downloads, image decoding, data sets and loaders.
 */
export * from '../index.js';
export { selectBackend, selectBackendAsync, nativeBackendInfo, parseBackendName, type BackendName } from './backend.js';
export { loadWasmBackend } from './wasm/load.js';
export { writeFileAtomic } from './fs/atomic-write.js';
export * from './weights/index.js';
export { readOnnxModelFile, writeOnnxFile } from './onnx/onnx-files.js';
export { decodeImage, readImage, preprocessImageFiles } from './image/index.js';
export * from './data/index.js';
export { alexnetCacheDir } from './fs/cache-dir.js';
export { downloadFile, type Checksum, type DownloadOptions, type DownloadResult } from './fs/download.js';
export { installNativeBackend, nativeBackend, nativeInfo, NativeBackend, type NativeInfo } from './native/index.js';
export { ImageClassifier, type ClassifierModel } from './classify/image-classifier.js';
export { PreprocessPool, type PreparedRow } from './image/preprocess-pool.js';
export { RowSlab } from './image/row-slab.js';
export { InferenceServer, type ServeOptions } from './serve/server.js';
export { servingClassifier, type ServingClassifier, type ServingClassifierOptions } from './serve/serving-classifier.js';
export { DynamicBatcher, QueueFullError, type BatcherOptions } from './serve/batcher.js';
