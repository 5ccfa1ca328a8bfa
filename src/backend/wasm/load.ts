/**
 * Chooses and instantiates a wasm build. There are two, compiled from the
 * same sources (scripts/build-wasm.mjs): `simd`, one thread, which runs
 * anywhere WebAssembly SIMD does; and `simd-threads`, whose kernels spread
 * over web workers sharing one memory. The threaded build needs
 * SharedArrayBuffer, which browsers give only to cross-origin isolated pages
 * (served with COOP/COEP headers), and Worker, which Node.js lacks; without
 * them the single-threaded build runs, and the backend's info says why.
 */
import type { WasmModule, WasmModuleFactory, WasmModuleOptions } from './wasm-module.js';
import { WasmBackend, type WasmBackendInfo } from './wasm-backend.js';

export type WasmBuild = WasmBackendInfo['build'];

/** File names of a build's glue module; its .wasm (and the threaded build's .worker.js) sit beside it. */
export const WASM_BUILD_FILES: Record<WasmBuild, { glue: string; wasm: string }> = {
  simd: { glue: 'alexnet-simd.mjs', wasm: 'alexnet-simd.wasm' },
  'simd-threads': { glue: 'alexnet-simd-threads.mjs', wasm: 'alexnet-simd-threads.wasm' },
};

export interface WasmLoadOptions {
  /**
   * false or 1: the single-threaded build; a larger number: the threaded build with that many threads (where it can run);
   * true or absent: the threaded build with one thread per logical core where it can run.
   */
  threads?: boolean | number;
}

/** How the platform provides a build: its glue module, and (Node) the .wasm bytes. */
export interface WasmSource {
  importFactory(build: WasmBuild): Promise<WasmModuleFactory>;
  wasmBinary?(build: WasmBuild): Promise<Uint8Array>;
  /** Or: instantiates the build's .wasm itself given the glue's imports (browser: while it downloads). */
  instantiate?(build: WasmBuild, imports: object): Promise<WasmInstantiated>;
  /** URLs of the .wasm and worker files, given their names (browser). */
  locateFile?(file: string): string;
}

/** What WebAssembly.instantiate(Streaming) resolves to. */
export interface WasmInstantiated {
  instance: unknown;
  module: unknown;
}

/** Which build can run here, and why: the reason the backend's info reports. */
export function chooseWasmBuild(options: WasmLoadOptions = {}): { build: WasmBuild; reason: string } {
  const { threads } = options;
  if (threads !== undefined && typeof threads !== 'boolean' && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`wasm backend: threads must be true, false or a whole number ≥ 1, got ${String(threads)}`);
  }
  if (options.threads === false || options.threads === 1) return { build: 'simd', reason: `one thread, as asked (threads: ${options.threads})` };
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown };
  if (typeof g.Worker !== 'function') return { build: 'simd', reason: 'no Worker in this environment (Node.js): one thread' };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated !== true)
    return { build: 'simd', reason: 'the page is not cross-origin isolated (no COOP/COEP headers), so no SharedArrayBuffer: one thread' };
  return { build: 'simd-threads', reason: 'cross-origin isolated: kernels on web workers sharing one memory' };
}

/** Instantiates the chosen build and wraps it as a Backend. Rejects with a message naming the build and the cause. */
export async function createWasmBackend(source: WasmSource, options: WasmLoadOptions = {}): Promise<WasmBackend> {
  const { build, reason } = chooseWasmBuild(options);
  const files = WASM_BUILD_FILES[build];
  let backend: WasmBackend;
  // Which file failed: the glue module (its import) or the .wasm it then fetches and compiles.
  let file = files.glue;
  try {
    const factory = await source.importFactory(build);
    file = files.wasm;
    const moduleOptions: WasmModuleOptions = {
      wasmBinary: source.wasmBinary === undefined ? undefined : await source.wasmBinary(build),
      locateFile: source.locateFile?.bind(source),
      // Emscripten reports load failures through printErr as well as the rejection we rethrow below.
      printErr: () => {},
    };
    const module = await instantiateWith(factory, moduleOptions, source, build);
    backend = new WasmBackend(module, { build, reason });
  } catch (error) {
    throw new Error(`the wasm backend did not load (${file}): ${describeLoadError(error)}`);
  }
  if (typeof options.threads === 'number' && build === 'simd-threads') backend.setThreads(options.threads);
  return backend;
}

/**
 * A load failure's message, with its kind where that says more than "Error": a CompileError (a body that is no
 * wasm module, or a truncated one) or a TypeError (a fetch the browser refused).
 */
function describeLoadError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

/**
 * Runs the glue's factory. With a source that instantiates the .wasm itself,
 * a failure there (an HTTP error, a body that is not wasm) would leave the
 * factory's promise pending for ever, as the glue only waits for `ready`:
 * it is raced against that failure.
 */
function instantiateWith(factory: WasmModuleFactory, options: WasmModuleOptions, source: WasmSource, build: WasmBuild): Promise<WasmModule> {
  const instantiate = source.instantiate?.bind(source);
  if (instantiate === undefined) return factory(options);
  const failed = new Promise<never>((_, reject) => {
    options.instantiateWasm = (imports, ready) => {
      instantiate(build, imports).then(({ instance, module }) => ready(instance, module), reject);
      return {};
    };
  });
  return Promise.race([factory(options), failed]);
}
