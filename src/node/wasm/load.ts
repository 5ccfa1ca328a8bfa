/**
 * The wasm backend in Node.js: the single-threaded build (Node has no web
 * workers for the threaded one) read from the package's wasm/ folder. Used
 * where the native addon cannot build, and by tests and benchmarks.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { createWasmBackend, WASM_BUILD_FILES, type WasmLoadOptions } from '../../backend/wasm/load.js';
import type { WasmBackend } from '../../backend/wasm/wasm-backend.js';
import type { WasmModuleFactory } from '../../backend/wasm/wasm-module.js';

/** The package's wasm/ folder ($ALEXNET_WASM_DIR overrides), found upwards from this file (src/ under tsx, dist/src/ built). */
export function wasmDir(): string {
  const override = process.env.ALEXNET_WASM_DIR;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'wasm', WASM_BUILD_FILES.simd.wasm))) return join(dir, 'wasm');
    dir = dirname(dir);
  }
  throw new Error(`the wasm build is missing: no wasm/${WASM_BUILD_FILES.simd.wasm} above ${fileURLToPath(import.meta.url)} (run npm run build:wasm)`);
}

export function loadWasmBackend(options: WasmLoadOptions = {}): Promise<WasmBackend> {
  return createWasmBackend(
    {
      importFactory: async (build) => {
        const glue = (await import(pathToFileURL(join(wasmDir(), WASM_BUILD_FILES[build].glue)).href)) as { default: WasmModuleFactory };
        return glue.default;
      },
      wasmBinary: async (build) => new Uint8Array(await readFile(join(wasmDir(), WASM_BUILD_FILES[build].wasm))),
    },
    options,
  );
}
