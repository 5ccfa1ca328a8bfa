/** The bench's input batches in the browser: .npy files as tools/export_onnx.py writes them. */
import type { RawTensor } from '../../lib/tfjs-alexnet.js';

/** A float32, little-endian, C-order .npy array (what tools/export_onnx.py writes). */
export function parseNpy(bytes: Uint8Array, source: string): RawTensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error(`${source}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header))
    throw new Error(`${source}: expected little-endian float32 in C order, got ${header}`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const offset = start + headerLength;
  const count = shape.reduce((a, b) => a * b, 1);
  // Copied: the offset need not be a multiple of 4.
  const data = new Float32Array(bytes.slice(offset, offset + 4 * count).buffer);
  if (data.length !== count) throw new Error(`${source}: ${data.length} values for shape [${shape}]`);
  return { data, shape };
}
