/**
 * The Emscripten module of the wasm build (native/wasm/exports.cc over the
 * kernels of native/src), typed: its C entry points and how to reach its
 * memory. Pointers and sizes are byte offsets into that memory.
 */

/** The C entry points (`alx_*`), each returning 0 or 1 with alx_last_error set. */
export interface WasmExports {
  _alx_last_error(): number;
  _alx_malloc(bytes: number): number;
  _alx_free(ptr: number): void;
  _alx_threads(): number;
  _alx_set_threads(n: number): number;
  _alx_simd(): number;
  _alx_tile_rows(): number;
  _alx_tile_columns(): number;
  _alx_gemm(transA: number, transB: number, M: number, N: number, K: number, A: number, B: number, C: number, accumulate: number): number;
  _alx_linear_forward(batch: number, inF: number, outF: number, x: number, w: number, bias: number, out: number, relu: number): number;
  _alx_linear_transposed_new(outF: number, inF: number, handleOut: number): number;
  _alx_linear_transpose_rows(handle: number, row0: number, rows: number, src: number): number;
  _alx_linear_transposed_free(handle: number): void;
  _alx_linear_forward_transposed(batch: number, inF: number, outF: number, x: number, packed: number, bias: number, out: number, relu: number): number;
  _alx_conv_forward(geom: number, x: number, w: number, bias: number, out: number, relu: number): number;
  _alx_conv_pack(geom: number, w: number, handleOut: number): number;
  _alx_packed_free(handle: number): void;
  /** A C string, valid until the next call. */
  _alx_packed_conv_algorithm(handle: number): number;
  _alx_conv_forward_packed(geom: number, packed: number, x: number, bias: number, out: number, relu: number): number;
  _alx_conv_backward_data(geom: number, gradOut: number, w: number, gradIn: number): number;
  _alx_conv_backward_weight(geom: number, x: number, gradOut: number, gradW: number, gradBias: number): number;
  _alx_lrn_forward(
    batch: number,
    channels: number,
    spatial: number,
    size: number,
    alpha: number,
    beta: number,
    k: number,
    x: number,
    out: number,
    scale: number,
  ): number;
  _alx_lrn_backward(
    batch: number,
    channels: number,
    spatial: number,
    size: number,
    alpha: number,
    beta: number,
    k: number,
    x: number,
    out: number,
    scale: number,
    gradOut: number,
    gradIn: number,
  ): number;
  _alx_max_pool_forward(geom: number, x: number, out: number, argmax: number): number;
  _alx_max_pool_backward(geom: number, gradOut: number, argmax: number, gradIn: number): number;
  _alx_resample_bilinear(...args: [...ResampleArgs, out: number]): number;
  _alx_resample_bilinear_to_planes(...args: [...ResampleArgs, table: number, planes: number, out: number]): number;
}

/**
 * A WebAssembly.Memory, described by what is used of it (the core is typed without the DOM library, which
 * is where TypeScript declares WebAssembly).
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

function isMemory(value: unknown): value is WasmMemory {
  return typeof value === 'object' && value !== null && 'buffer' in value && typeof (value as { grow?: unknown }).grow === 'function';
}

/** What the Emscripten factory resolves to. */
/** The source image and both axes' taps (addresses, strides and output counts), as the C resampling entry points take them first. */
export type ResampleArgs = [
  src: number,
  width: number,
  height: number,
  channels: number,
  colFirst: number,
  colCount: number,
  colWeights: number,
  colStride: number,
  colOutputs: number,
  rowFirst: number,
  rowCount: number,
  rowWeights: number,
  rowStride: number,
  rowOutputs: number,
];

export interface WasmModule extends WasmExports {
  /** The instance's exports (minified names); the memory is among them in the single-threaded build. */
  asm?: Record<string, unknown>;
  /** The shared memory of the threaded build (created by the glue, or passed in). */
  wasmMemory?: WasmMemory;
}

/** Options the Emscripten factory accepts (the subset used here). */
export interface WasmModuleOptions {
  /** The .wasm bytes, when the caller read them itself (Node: from disk). */
  wasmBinary?: Uint8Array;
  /** Where the .wasm and worker files are, given their file names. */
  locateFile?: (path: string, scriptDirectory: string) => string;
  /**
   * Instantiates the .wasm in the caller's own way (the browser: compiled
   * while it downloads): given the glue's imports, it returns {} at once and
   * later hands the instance and its module (which the threaded build sends
   * to its workers) to `ready`.
   */
  instantiateWasm?: (imports: object, ready: (instance: unknown, module: unknown) => void) => object;
  /** Replaces Emscripten's console output (the kernels print nothing; aborts do). */
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

export type WasmModuleFactory = (options?: WasmModuleOptions) => Promise<WasmModule>;

/** The module's linear memory: the threaded build shares one across its workers. */
export function memoryOf(module: WasmModule): WasmMemory {
  if (isMemory(module.wasmMemory)) return module.wasmMemory;
  for (const value of Object.values(module.asm ?? {})) if (isMemory(value)) return value;
  throw new Error('the wasm module exports no memory: was it built by scripts/build-wasm.mjs?');
}

const utf8 = new TextDecoder();

/** Reads a NUL-terminated UTF-8 string (error messages, kernel and algorithm names: "F(5×5, 3×3)") out of wasm memory. */
export function readCString(memory: WasmMemory, ptr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = ptr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  // A copy: TextDecoder refuses views of the threaded build's SharedArrayBuffer.
  return utf8.decode(bytes.slice(ptr, end));
}
