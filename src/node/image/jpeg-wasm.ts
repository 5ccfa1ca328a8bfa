/**
 * Small JPEGs decoded in WebAssembly on the calling thread: mozjpeg's decoder
 * (libjpeg-turbo's, with its islow IDCT and fancy upsampling, as in sharp's
 * libvips and in PIL) compiled by @jsquash/jpeg. For a 224×224 photo sharp
 * spends about 1.9 ms of CPU, of which decoding is about 0.3 ms (it decodes a
 * 2048×2048 JPEG at 5.5 ns a pixel): the rest is its pipeline (reading ~170
 * options per call, libvips' threads handing the work to each other,
 * allocations). This decoder takes about 0.75 ms in all. Without SIMD it
 * loses from about 450×450 pixels on, so decodeImage uses it below that.
 *
 * It only ever answers for clean files: a file on which libjpeg says
 * anything (a warning such as a truncated file, or an error) gives null, and
 * the caller decodes it with sharp, which decides what is corrupt as it
 * always did. After an error the instance is dropped (libjpeg left through
 * exit() without freeing its buffers) and the next call makes a new one.
 * One difference remains, in corrupt files libjpeg decodes without a word:
 * where corrupt data makes DCT coefficients overflow 16 bits, libjpeg-turbo's
 * SIMD inverse DCT (sharp's and PIL's here) and its C one (WebAssembly's)
 * can differ in a few pixels; PIL run with JSIMD_FORCENONE=1 gives this
 * decoder's bytes. Valid files decode identically (test/image/jpeg-wasm.test.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RgbOrRgbaImage } from '../../image/image.js';

/** The part of the Emscripten module the decoder uses (@jsquash/jpeg/codec/dec/mozjpeg_dec). */
interface MozjpegModule {
  decode(data: Uint8Array, preserveOrientation: boolean): { data: Uint8ClampedArray; width: number; height: number } | null;
}

/** The WebAssembly JS API members used here (the project is typed without the DOM library, which declares them). */
interface WasmInstance {
  exports: object;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface ModuleOptions {
  noInitialRun: boolean;
  instantiateWasm(imports: object, ready: (instance: WasmInstance) => void): object;
  print(text: string): void;
  printErr(text: string): void;
}

type ModuleFactory = (options: ModuleOptions) => Promise<MozjpegModule>;

/** The largest image (width × height) worth decoding here: above about 450×450 sharp's SIMD decoder is faster. */
export const WASM_JPEG_MAX_PIXELS = 160_000;
/** The largest file copied into the decoder's memory (a 400×400 JPEG at quality 100 is about 150 kB). */
export const WASM_JPEG_MAX_BYTES = 1 << 20;

const require = createRequire(import.meta.url);

let compiled: object | null = null;
let instance: Promise<MozjpegModule> | null = null;
/** Set when the decoder cannot be loaded here: sharp decodes everything. */
let unavailable = false;
/** What libjpeg printed during the current call. */
const messages: string[] = [];

function newInstance(): Promise<MozjpegModule> {
  compiled ??= new wasmApi.Module(readFileSync(require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')));
  const wasm = compiled;
  return import('@jsquash/jpeg/codec/dec/mozjpeg_dec.js').then(({ default: factory }) =>
    (factory as unknown as ModuleFactory)({
      noInitialRun: true,
      instantiateWasm(imports, ready) {
        const created = new wasmApi.Instance(wasm, imports);
        ready(created);
        return created.exports;
      },
      print: (text) => messages.push(text),
      printErr: (text) => messages.push(text),
    }),
  );
}

/**
 * The pixels of a JPEG with 1 or 3 components as RGBA, alpha 255 (gray is replicated, as PIL's convert('RGB')
 * does), or null when this decoder is not the one to ask: the caller then uses sharp. No EXIF rotation, as PIL.
 */
export async function decodeSmallJpeg(bytes: Uint8Array, width: number, height: number): Promise<RgbOrRgbaImage | null> {
  if (unavailable || width * height > WASM_JPEG_MAX_PIXELS || bytes.length > WASM_JPEG_MAX_BYTES) return null;
  let decoder: MozjpegModule;
  try {
    instance ??= newInstance();
    decoder = await instance;
  } catch {
    unavailable = true;
    return null;
  }
  messages.length = 0;
  let decoded: ReturnType<MozjpegModule['decode']>;
  try {
    decoded = decoder.decode(bytes, false);
  } catch {
    instance = null;
    return null;
  }
  if (decoded === null || messages.length > 0 || decoded.width !== width || decoded.height !== height) return null;
  const { data } = decoded;
  return { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
