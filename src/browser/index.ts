/**
 * The browser bundle's entry (dist/browser/alexnet-ts.js): the package-root
 * API plus useWasmBackend(), which loads the wasm kernels served beside it.
 */
export * from '../index.js';
export { useWasmBackend, type UseWasmBackendOptions } from './use-wasm-backend.js';
export type { WasmBackendInfo } from '../backend/wasm/wasm-backend.js';
