/**
 * ONNX model files on disk: reading (with tensors in external data files
 * beside the model, which must stay inside the model's folder) and writing
 * (atomically, like every file this project writes).
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { FormatError } from '../../formats/errors.js';
import { encodeModel, type ExternalDataRef, importOnnx, type OnnxModel, type OnnxModelProto } from '../../onnx/index.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { readFileBytes } from '../weights/weight-files.js';

/** Reads and imports an ONNX model; `bytes` when the caller already read the file. */
export async function readOnnxModelFile(path: string, bytes?: Uint8Array): Promise<OnnxModel> {
  const data = bytes ?? (await readFileBytes(path));
  return importOnnx(data, { source: path, externalData: (ref) => readExternalData(path, ref) });
}

/**
 * The bytes of one external tensor. The location is relative to the model's
 * folder and may not leave it (no absolute paths, no '..', no symlink out):
 * a model file must not be able to read arbitrary files.
 */
export function readExternalData(modelPath: string, ref: ExternalDataRef): Uint8Array {
  const folder = dirname(resolve(modelPath));
  const fail = (why: string): never => {
    throw new FormatError(modelPath, `${modelPath}: external data '${ref.location}' ${why}`);
  };
  if (isAbsolute(ref.location) || ref.location.includes('\0')) fail('must be a path relative to the model');
  const target = resolve(folder, ref.location);
  const escapes = (root: string, file: string): boolean => {
    const rel = relative(root, file);
    return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel);
  };
  if (target === folder) fail("names the model's folder, not a file");
  if (escapes(folder, target)) fail("leaves the model's folder");
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return fail('does not exist');
  }
  if (escapes(realpathSync(folder), real)) fail("leaves the model's folder (through a symbolic link)");
  // Checked before opening: opening a FIFO (or a device) would block, or read without end.
  if (!statSync(real).isFile()) fail('is not a file');
  let fd: number;
  try {
    fd = openSync(real, 'r');
  } catch (error) {
    return fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) fail('is not a file');
    const size = stat.size;
    if (ref.offset > size) fail(`holds ${size} bytes; the tensor starts at byte ${ref.offset}`);
    const length = ref.length ?? size - ref.offset;
    if (ref.offset + length > size) fail(`holds ${size} bytes; the tensor needs bytes ${ref.offset} to ${ref.offset + length}`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, ref.offset + done);
      if (n === 0) fail('ended early');
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Writes a model (see onnx/export.ts) under a temporary name and renames it into place. */
export async function writeOnnxFile(path: string, model: OnnxModelProto): Promise<void> {
  await writeFileAtomic(path, [encodeModel(model)]);
}
