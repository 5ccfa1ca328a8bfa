/**
 * useWasmBackend(): loads the wasm build that sits beside this bundle
 * (dist/browser/: alexnet-simd*.mjs/.wasm, built by scripts/build-wasm.mjs)
 * and makes it the current backend. The threaded build is taken when the
 * page is cross-origin isolated, the single-threaded one otherwise.
 */
import { setBackend } from '../backend/registry.js';
import { createWasmBackend, WASM_BUILD_FILES, type WasmInstantiated, type WasmLoadOptions } from '../backend/wasm/load.js';
import type { WasmBackendInfo } from '../backend/wasm/wasm-backend.js';
import type { WasmModuleFactory } from '../backend/wasm/wasm-module.js';

export interface UseWasmBackendOptions extends WasmLoadOptions {
  /** Where the .mjs/.wasm files are served (default: beside this module). */
  baseUrl?: string | URL;
}

/** The WebAssembly JS API members used here (the core is typed without the DOM library, which declares them). */
interface WasmStreamingApi {
  instantiateStreaming?(source: Response, imports: object): Promise<WasmInstantiated>;
  instantiate(bytes: ArrayBuffer, imports: object): Promise<WasmInstantiated>;
}

/**
 * A build's .wasm, fetched here rather than by the Emscripten glue: the glue compiles whatever body comes back,
 * so a missing file (the host's 404 page) was reported as "CompileError: … expected magic word" instead of its
 * status. It is compiled while it downloads where the host labels it application/wasm (streaming refuses any
 * other type), else from its bytes.
 */
async function instantiateWasm(url: string, imports: object): Promise<WasmInstantiated> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`);
  const api = (globalThis as unknown as { WebAssembly: WasmStreamingApi }).WebAssembly;
  const type = response.headers.get('content-type')?.split(';')[0].trim().toLowerCase();
  if (api.instantiateStreaming !== undefined && type === 'application/wasm') return api.instantiateStreaming(response, imports);
  return api.instantiate(await response.arrayBuffer(), imports);
}

export async function useWasmBackend(options: UseWasmBackendOptions = {}): Promise<WasmBackendInfo> {
  // A folder: '/lib' means '/lib/' (as a URL base, '/lib' would resolve the files one folder up, beside it).
  const given = options.baseUrl ?? './';
  const folder = typeof given === 'string' && given !== '' && !given.endsWith('/') ? `${given}/` : given;
  const base = new URL(folder, import.meta.url);
  const backend = await createWasmBackend(
    {
      importFactory: async (build) => {
        const url = new URL(WASM_BUILD_FILES[build].glue, base).href;
        // A URL computed at run time: bundlers leave the import alone, so the glue stays a file of its own
        // (the threaded build's workers import it again by that name).
        const glue = (await import(/* @vite-ignore */ /* webpackIgnore: true */ url)) as { default: WasmModuleFactory };
        return glue.default;
      },
      instantiate: (build, imports) => instantiateWasm(new URL(WASM_BUILD_FILES[build].wasm, base).href, imports),
      locateFile: (file) => new URL(file, base).href,
    },
    options,
  );
  setBackend(backend);
  return backend.info();
}
