/**
 * Weight files on disk: read into memory once (tensors are then views of that
 * buffer where the format allows, so a 244 MB checkpoint costs ~244 MB) and
 * parsed by the byte-level readers in src/formats; writes are atomic.
 */
import { open } from 'node:fs/promises';
import { freshArray, LARGE_ARRAY_LENGTH } from '../../tensor/buffer-pool.js';
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

/**
 * The file's bytes as a plain Uint8Array (not a Buffer, whose slice() semantics
 * differ). A large file is read into an array from the backend's allocator:
 * its tensors stay views of these bytes (a model loaded with assign: true
 * keeps them as its weights), and the native backend's large arrays sit on
 * 2 MiB pages, which a batch-1 forward streams about 1.5× faster (huge_pages.h).
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size < 4 * LARGE_ARRAY_LENGTH) return toBytes(await file.readFile());
      const storage = freshArray(Math.ceil(size / 4));
      const bytes = new Uint8Array(storage.buffer, storage.byteOffset, size);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await file.read(bytes, at, Math.min(size - at, 1 << 30), at);
        if (bytesRead === 0) throw new FormatError(path, `cannot read ${path}: it shrank while being read (${at} of ${size} bytes)`);
        at += bytesRead;
      }
      return bytes;
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof FormatError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FormatError(path, `cannot read ${path}: ${why}`, { cause: error });
  }
}

function toBytes(buffer: Buffer): Uint8Array {
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
