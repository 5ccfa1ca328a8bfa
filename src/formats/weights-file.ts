/**
 * Format detection by content (not file extension) and a single entry point
 * that turns any supported weights file into a state dict.
 */
import { fail, withFormatContext } from './errors.js';
import { detectPthContainer, loadPth, type LoadPthOptions } from './pth/pth-reader.js';
import { loadSafetensors } from './safetensors.js';
import type { PyValue } from './pickle/py-values.js';
import { extractStateDict, type StateDict } from './state-dict.js';
import { importOnnx, looksLikeOnnx } from '../onnx/index.js';

export type WeightsFormat = 'pth-zip' | 'pth-legacy' | 'safetensors' | 'npy' | 'onnx';

export function detectWeightsFormat(bytes: Uint8Array): WeightsFormat | null {
  const pth = detectPthContainer(bytes);
  if (pth !== null) return pth === 'zip' ? 'pth-zip' : 'pth-legacy';
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') return 'npy';
  // safetensors: a u64 header length (sane) followed by a JSON object.
  if (bytes.length >= 10 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0) return 'safetensors';
  // Checked last: a protobuf ModelProto opens with ir_version (field 1, a small varint), bytes 08 0x.
  if (looksLikeOnnx(bytes)) return 'onnx';
  return null;
}

export interface ReadStateDictOptions extends LoadPthOptions {
  /** For checkpoints that nest several state dicts: the entry to take (e.g. 'model_ema'). */
  key?: string;
  /** Called with a .pth file's whole object tree (a training checkpoint's settings sit beside its weights). */
  onCheckpoint?: (tree: PyValue) => void;
}

/** @deprecated Renamed ReadStateDictOptions (nn.LoadStateDictOptions is Module.loadStateDict's). */
export type LoadStateDictOptions = ReadStateDictOptions;

/**
 * Reads a .pth (either format) or .safetensors file's bytes and returns its
 * state dict; Module.loadStateDict then copies one into a model.
 */
export function readStateDict(bytes: Uint8Array, options: ReadStateDictOptions = {}): StateDict {
  const source = options.source ?? '<weights bytes>';
  const format = detectWeightsFormat(bytes);
  switch (format) {
    case 'pth-zip':
    case 'pth-legacy':
      return withFormatContext(source, 'the state dict', () => {
        const tree = loadPth(bytes, { ...options, source });
        options.onCheckpoint?.(tree);
        return extractStateDict(tree, { source, key: options.key });
      });
    case 'safetensors':
      return loadSafetensors(bytes, { source }).tensors;
    case 'npy':
      return fail(source, 'a .npy file holds a single array, not a state dict of named tensors');
    case 'onnx':
      // The graph's float initializers under their names (a torch export's names are its state_dict keys).
      return withFormatContext(source, 'the ONNX model', () => importOnnx(bytes, { source }).stateDict());
    default:
      return fail(source, 'unrecognized weights file: expected a PyTorch checkpoint (.pth, zip or legacy), .safetensors or .onnx');
  }
}

/** @deprecated Renamed readStateDict (Module.loadStateDict is the method that loads one into a model). */
export const loadStateDict = readStateDict;
