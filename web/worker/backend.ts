/**
 * Choosing the kernels: the WebAssembly backend when asked for and it
 * loads (on threads when the page is cross-origin isolated, so that
 * SharedArrayBuffer exists), else the portable JavaScript one. A wasm file
 * that fails to load is not fatal: the reason goes to the page, which shows
 * it, and everything runs on js.
 */
import { getBackend, setBackend, referenceBackend, useWasmBackend } from 'alexnet-ts';
import type { BackendInfo, BackendPreference } from '../protocol.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function setUpBackend(preference: BackendPreference): Promise<BackendInfo> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (preference === 'auto') {
    try {
      const wasm = await useWasmBackend({ threads: isolated });
      return { name: wasm.name, threaded: wasm.threaded, threads: wasm.threads, detail: wasm.reason, wasmError: null };
    } catch (error) {
      setBackend(referenceBackend());
      return { name: getBackend().name, threaded: false, threads: 1, detail: 'JavaScript kernels, one thread', wasmError: message(error) };
    }
  }
  setBackend(referenceBackend());
  return { name: getBackend().name, threaded: false, threads: 1, detail: 'JavaScript kernels, one thread (chosen on the page)', wasmError: null };
}
