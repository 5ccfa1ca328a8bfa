/**
 * What is fuzzed: each format's valid base files (the committed fixtures, or
 * files made here from them) and its reader. A reader must load a mutant or
 * reject it with an Error whose message names the file; anything else (a
 * TypeError, a RangeError from an allocation, a hang) is a finding. What it
 * returns must stay within the format's stated allocation bound.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import sharp from 'sharp';

import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { FormatError } from '../../src/formats/errors.js';
import { loadNpy } from '../../src/formats/npy.js';
import { loadPth } from '../../src/formats/pth/pth-reader.js';
import { loadSafetensors } from '../../src/formats/safetensors.js';
import { readStateDict } from '../../src/formats/weights-file.js';
import { decodeImage, maxDecodablePixels } from '../../src/node/image/decode.js';
import { decodeModel, importOnnx, OnnxTensor, type OnnxFeeds, type OnnxValueInfo } from '../../src/onnx/index.js';
import type { OnnxGraphProto } from '../../src/onnx/model-proto.js';
import { type TensorProtoMessage, tensorFromProto } from '../../src/onnx/tensor-proto.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { lrnPoolGraph, reshapeMatMul, shapeIfGraph, tinyConvNet } from '../../test/helpers/onnx-graphs.js';
import { lengthFields, protobufFields } from './mutate.js';
import { mutateOnnx } from './onnx-mutate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIB = 1024 * 1024;

export interface FuzzTarget {
  readonly format: string;
  /** Valid files the mutants start from. */
  bases(): Promise<Uint8Array[]>;
  /** Reads a mutant; `rand` varies reader options. Returns the bytes it allocated for its result. */
  read(bytes: Uint8Array, source: string, rand: () => number): Promise<number>;
  /** Largest result allowed for an input of `inputBytes` (the stated bound). */
  bound(inputBytes: number): number;
  /** Whether a rejection is the reader's own (an Error of the expected class naming the source). */
  expectedError(error: unknown, source: string): boolean;
  /** Offsets of the fields worth setting to extreme values (default: mutate.ts's lengthFields). */
  fields?(bytes: Uint8Array): number[];
  /** A mutant that keeps the format's structure (null: fall back to mutate.ts), for half of the cases. */
  mutate?(base: Uint8Array, rand: () => number): Uint8Array | null;
}

function file(...parts: string[]): Uint8Array {
  const b = readFileSync(join(ROOT, ...parts));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const fixtures =
  (...names: string[]) =>
  (): Promise<Uint8Array[]> =>
    Promise.resolve(names.map((n) => file('test', 'fixtures', 'formats', n)));

/** Bytes held by a reader's result, each buffer once, not counting the input's own. */
export function resultBytes(value: unknown, input: Uint8Array): number {
  const buffers = new Set<ArrayBufferLike>();
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Tensor) buffers.add(v.data.buffer);
    else if (ArrayBuffer.isView(v)) buffers.add(v.buffer);
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (Array.isArray(v)) stack.push(...v);
    else stack.push(...Object.values(v));
  }
  buffers.delete(input.buffer);
  let total = 0;
  for (const b of buffers) total += b.byteLength;
  return total;
}

const formatError = (error: unknown, source: string): boolean => error instanceof FormatError && error.message.includes(source);
const namedError = (error: unknown, source: string): boolean => error instanceof Error && error.constructor === Error && error.message.includes(source);

/** Weight files and arrays: at most 16 bytes per input byte (dtype widening to float32, shared storages) plus 64 MiB. */
const linearBound = (inputBytes: number): number => 16 * inputBytes + 64 * MIB;

const pthRead = (bytes: Uint8Array, source: string, rand: () => number): Promise<number> => {
  const value = rand() < 0.5 ? loadPth(bytes, { source, verifyChecksums: rand() < 0.3 }) : readStateDict(bytes, { source, verifyChecksums: rand() < 0.3 });
  return Promise.resolve(resultBytes(value, bytes));
};

function idxBases(): Promise<Uint8Array[]> {
  const pixels = Uint8Array.from({ length: 3 * 5 * 4 }, (_, i) => (i * 37) & 0xff);
  const images = encodeIdx(IDX_IMAGES_MAGIC, [3, 5, 4], pixels);
  const labels = encodeIdx(IDX_LABELS_MAGIC, [6], Uint8Array.of(0, 1, 2, 3, 4, 9));
  return Promise.resolve([images, labels, gzipSync(images), gzipSync(labels)]);
}

/** Small versions of a committed photo (and its 1-bit and gray variants) in the format. */
async function imageBases(format: 'jpeg' | 'png' | 'webp'): Promise<Uint8Array[]> {
  const photos = ['chelsea.png', 'camera.png', 'chelsea_1bit.png'];
  const out: Uint8Array[] = [];
  for (const name of photos) {
    const source = sharp(Buffer.from(file('test', 'fixtures', 'image', 'photos', name))).resize(48, 40, { fit: 'fill' });
    const encoded = await source.toFormat(format, format === 'png' ? { palette: name.includes('1bit') } : { quality: 80 }).toBuffer();
    out.push(new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length));
  }
  return out;
}

const imageTarget = (format: 'jpeg' | 'png' | 'webp'): FuzzTarget => ({
  format,
  bases: () => imageBases(format),
  read: async (bytes, source) => {
    const image = await decodeImage(bytes, source);
    return image.data.byteLength;
  },
  // RGB bytes of the most pixels decodeImage accepts from that many bytes of the format.
  bound: (inputBytes) => 3 * maxDecodablePixels(format, inputBytes),
  expectedError: namedError,
});

/** Largest input the onnx target feeds a mutant graph (larger declared shapes are imported but not run). */
const ONNX_MAX_FEED_ELEMENTS = 1 << 16;

/** A zero tensor of each declared input (symbolic dims as 1), or null when a shape is undeclared or too large to feed. */
function zeroFeeds(inputs: readonly OnnxValueInfo[]): OnnxFeeds | null {
  const feeds = new Map<string, OnnxTensor>();
  for (const input of inputs) {
    if (input.shape === null) return null;
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || shape.reduce((a, b) => a * b, 1) > ONNX_MAX_FEED_ELEMENTS) return null;
    feeds.set(input.name, OnnxTensor.zeros(input.elementType ?? 'float32', shape));
  }
  return feeds;
}

/**
 * Whether a graph holds an integer (an int or ints attribute, an integer
 * initializer or Constant) from 2^10 up to 2^31. Pads, shapes and indices
 * that large make tensors of up to 2^31 elements that the engine accepts and
 * computes, slowly but correctly: such mutants are imported, not run. Larger
 * values are run, since they can only overflow a size and must be refused.
 */
function holdsLargeSizes(graph: OnnxGraphProto, source: string): boolean {
  const large = (v: number | bigint): boolean => {
    const magnitude = Math.abs(Number(v));
    return magnitude >= 2 ** 10 && magnitude < 2 ** 31;
  };
  const tensorIsLarge = (proto: TensorProtoMessage): boolean => {
    try {
      const value = tensorFromProto(proto, { source, what: 'value' });
      return value.type !== 'float32' && value.type !== 'float64' && Array.from(value.data as ArrayLike<number | bigint>).some(large);
    } catch {
      return false; // the importer refuses it anyway
    }
  };
  return (
    graph.initializers.some(tensorIsLarge) ||
    graph.nodes.some((node) =>
      [...node.attributes.values()].some(
        (a) =>
          (a.kind === 'int' && large(a.value)) ||
          (a.kind === 'ints' && a.value.some(large)) ||
          (a.kind === 'tensor' && tensorIsLarge(a.value)) ||
          (a.kind === 'graph' && holdsLargeSizes(a.value, source)),
      ),
    )
  );
}

/**
 * ONNX: the import (decoding, initializers, compiling every node) and then
 * one run on zero inputs of the declared shapes. Counted: the state dict and
 * the outputs. Rejections are FormatErrors or plain Errors naming the file
 * (every message of the importer and of a node starts with the source).
 */
const onnxTarget: FuzzTarget = {
  format: 'onnx',
  bases: () => Promise.resolve([tinyConvNet(), tinyConvNet(9), reshapeMatMul(), lrnPoolGraph(), shapeIfGraph()]),
  read: (bytes, source) => {
    const model = importOnnx(bytes, { source });
    const feeds = holdsLargeSizes(decodeModel(bytes, source).graph, source) ? null : zeroFeeds(model.inputs);
    const outputs = feeds === null ? null : model.run(feeds);
    return Promise.resolve(resultBytes([model.stateDict(), outputs], bytes));
  },
  // Initializers are at most 8 bytes per input byte (a 1-byte varint into int64_data); the run's values are small next to 64 MiB.
  bound: linearBound,
  expectedError: (error, source) => formatError(error, source) || namedError(error, source),
  fields: (bytes) => [...protobufFields(bytes), ...lengthFields(bytes)],
  mutate: mutateOnnx,
};

export const TARGETS: readonly FuzzTarget[] = [
  {
    format: 'pth-zip',
    bases: fixtures('zip_checkpoint.pth', 'zip_noncontiguous.pth', 'zip_state_dict.pth', 'zip_dtypes.pth', 'zip_shared.pth'),
    read: pthRead,
    bound: linearBound,
    expectedError: formatError,
  },
  {
    format: 'pth-legacy',
    bases: fixtures('legacy_state_dict.pth', 'legacy_noncontiguous.pth', 'legacy_dtypes.pth', 'legacy_checkpoint_model.pth', 'legacy_shared.pth'),
    read: pthRead,
    bound: linearBound,
    expectedError: formatError,
  },
  {
    format: 'safetensors',
    bases: fixtures('tensors.safetensors'),
    read: (bytes, source) => Promise.resolve(resultBytes(loadSafetensors(bytes, { source }), bytes)),
    bound: linearBound,
    expectedError: formatError,
  },
  {
    format: 'npy',
    bases: fixtures('f4.npy', 'version2.npy', 'fortran.npy', 'big_endian_f4.npy', 'i8.npy', 'b1.npy', 'u1.npy'),
    read: (bytes, source) => Promise.resolve(resultBytes(loadNpy(bytes, { source }), bytes)),
    bound: linearBound,
    expectedError: formatError,
  },
  {
    format: 'idx',
    bases: idxBases,
    read: (bytes, source, rand) => Promise.resolve(resultBytes(rand() < 0.5 ? parseIdxImages(bytes, source) : parseIdxLabels(bytes, source), bytes)),
    bound: linearBound,
    expectedError: namedError,
  },
  imageTarget('jpeg'),
  imageTarget('png'),
  imageTarget('webp'),
  onnxTarget,
];

/**
 * Readers that misbehave on purpose, run only when named: the engine's own
 * test checks that a hang is cut off at the time limit and that a crash and a
 * dying worker are reported, and that the run goes on after each.
 */
export const SELF_TEST_TARGETS: readonly FuzzTarget[] = [
  {
    format: 'self-test-hang',
    bases: () => Promise.resolve([Uint8Array.of(1, 2, 3)]),
    read: () => {
      for (;;); // every case spins forever
    },
    bound: () => 0,
    expectedError: formatError,
  },
  {
    format: 'self-test-crash',
    bases: () => Promise.resolve([Uint8Array.of(1, 2, 3)]),
    // Odd cases throw a TypeError (a crash), even ones end the worker's process.
    read: (_bytes, source) => (Number(source.split('#')[1]) % 2 === 1 ? Promise.reject(new TypeError('boom')) : process.exit(3)),
    bound: () => 0,
    expectedError: formatError,
  },
];

export function targetFor(format: string): FuzzTarget {
  const target = [...TARGETS, ...SELF_TEST_TARGETS].find((t) => t.format === format);
  if (target === undefined) throw new Error(`unknown format '${format}': expected one of ${TARGETS.map((t) => t.format).join(', ')}`);
  return target;
}
