/**
 * The wasm backend in Node.js: the single-threaded build (Node has no web
 * workers for the threaded one) read from the checkout's wasm/ folder, or
 * from dist/browser/ in the installed package, which ships the builds once,
 * beside the browser bundle (scripts/build-browser.mjs copies wasm/ there).
 * Used where the native addon cannot build, and by tests and benchmarks.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { createWasmBackend, WASM_BUILD_FILES, type WasmLoadOptions } from '../../backend/wasm/load.js';
import type { WasmBackend } from '../../backend/wasm/wasm-backend.js';
import type { WasmModuleFactory } from '../../backend/wasm/wasm-module.js';

/** Where the wasm builds are, in the order looked for at each level: the checkout's wasm/, the package's dist/browser/. */
const WASM_FOLDERS: readonly (readonly string[])[] = [['wasm'], ['dist', 'browser']];

/** The first folder of WASM_FOLDERS holding the builds, in `from` or a folder above it (at most 8 levels up). */
export function findWasmDir(from: string): string {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    for (const folder of WASM_FOLDERS) {
      if (existsSync(join(dir, ...folder, WASM_BUILD_FILES.simd.wasm))) return join(dir, ...folder);
    }
    dir = dirname(dir);
  }
  throw new Error(
    `the wasm build is missing: no wasm/${WASM_BUILD_FILES.simd.wasm} or dist/browser/${WASM_BUILD_FILES.simd.wasm} above ${from} (run npm run build:wasm)`,
  );
}

/** The package's wasm builds ($ALEXNET_WASM_DIR overrides), found upwards from this file (src/ under tsx, dist/src/ built). */
export function wasmDir(): string {
  const override = process.env.ALEXNET_WASM_DIR;
  if (override) return override;
  return findWasmDir(dirname(fileURLToPath(import.meta.url)));
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
