/**
 * Weight files on disk: read into memory once (tensors are then views of that
 * buffer where the format allows, so a 244 MB checkpoint costs ~244 MB) and
 * parsed by the byte-level readers in src/formats; writes are atomic.
 */
import { readFile } from 'node:fs/promises';
import type { Tensor } from '../../tensor/tensor.js';
import { FormatError } from '../../formats/errors.js';
import { loadPth, type LoadPthOptions } from '../../formats/pth/pth-reader.js';
import { savePthChunks, type PthValue, type SavePthOptions } from '../../formats/pth/pth-writer.js';
import { loadSafetensors, saveSafetensorsChunks, type SafetensorsContents } from '../../formats/safetensors.js';
import { loadNpy, saveNpyChunks } from '../../formats/npy.js';
import { readStateDict, type ReadStateDictOptions } from '../../formats/weights-file.js';
import type { StateDict } from '../../formats/state-dict.js';
import type { PyValue } from '../../formats/pickle/py-values.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

/** The file's bytes as a plain Uint8Array (not a Buffer, whose slice() semantics differ). */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FormatError(path, `cannot read ${path}: ${why}`, { cause: error });
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The whole object tree of a .pth checkpoint (either torch.save format). */
export async function loadPthFile(path: string, options: Omit<LoadPthOptions, 'source'> = {}): Promise<PyValue> {
  return loadPth(await readFileBytes(path), { ...options, source: path });
}

/** The state dict in a .pth (plain or nested in a checkpoint dict) or .safetensors file, detected by content. */
export async function readStateDictFile(path: string, options: Omit<ReadStateDictOptions, 'source'> = {}): Promise<StateDict> {
  return readStateDict(await readFileBytes(path), { ...options, source: path });
}

/** @deprecated Renamed readStateDictFile (Module.loadStateDict is the method that loads one into a model). */
export const loadStateDictFile = readStateDictFile;

export async function loadSafetensorsFile(path: string): Promise<SafetensorsContents> {
  return loadSafetensors(await readFileBytes(path), { source: path });
}

export async function loadNpyFile(path: string): Promise<Tensor> {
  return loadNpy(await readFileBytes(path), { source: path });
}

/** Writes a checkpoint tree (state dict, or {model, optimizer, epoch, ...}) in torch's zip format. */
export async function savePthFile(path: string, value: PthValue, options: SavePthOptions = {}): Promise<void> {
  await writeFileAtomic(path, savePthChunks(value, options));
}

export async function saveSafetensorsFile(
  path: string,
  tensors: StateDict | Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, saveSafetensorsChunks(tensors, metadata));
}

export async function saveNpyFile(path: string, tensor: Tensor): Promise<void> {
  await writeFileAtomic(path, saveNpyChunks(tensor));
}
