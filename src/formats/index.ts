/** Weight-file formats: parse from / write to bytes (no Node APIs). */
export { FormatError, UnsafePickleError } from './errors.js';
export type { DType } from './dtypes.js';
export { type StateDict, asStateDict, extractStateDict, STATE_DICT_KEYS } from './state-dict.js';
export type { PyValue, PyObject } from './pickle/py-values.js';
export { loadPth, detectPthContainer, type LoadPthOptions, type PthContainer } from './pth/pth-reader.js';
export { savePth, savePthChunks, type PthValue, type SavePthOptions } from './pth/pth-writer.js';
export { loadSafetensors, saveSafetensors, saveSafetensorsChunks, type SafetensorsContents } from './safetensors.js';
export { loadNpy, saveNpy, saveNpyChunks } from './npy.js';
export { detectWeightsFormat, readStateDict, loadStateDict, type WeightsFormat, type ReadStateDictOptions, type LoadStateDictOptions } from './weights-file.js';
