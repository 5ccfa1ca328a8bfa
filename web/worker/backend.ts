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

/**
 * Why the wasm build runs as it does, for the backend chip's tooltip: the library's reason, except on a page outside
 * a secure context (plain HTTP away from localhost), where the headers may well be sent but the browser ignores them.
 */
function backendDetail(wasm: { threaded: boolean; reason: string }): string {
  if (wasm.threaded || globalThis.isSecureContext !== false) return wasm.reason;
  return 'one thread: the page is served over plain HTTP from an address other than localhost, so the browser ignores the COOP/COEP headers (no SharedArrayBuffer)';
}

export async function setUpBackend(preference: BackendPreference): Promise<BackendInfo> {
  if (preference === 'auto') {
    try {
      // No `threads` option: the library takes the threaded build exactly where the page is cross-origin isolated,
      // and otherwise says why not (`threads: false` made it say "one thread, as asked", which nobody had asked).
      const wasm = await useWasmBackend();
      return { name: wasm.name, threaded: wasm.threaded, threads: wasm.threads, detail: backendDetail(wasm), wasmError: null };
    } catch (error) {
      setBackend(referenceBackend());
      return { name: getBackend().name, threaded: false, threads: 1, detail: 'JavaScript kernels, one thread', wasmError: message(error) };
    }
  }
  setBackend(referenceBackend());
  return { name: getBackend().name, threaded: false, threads: 1, detail: 'JavaScript kernels, one thread (chosen on the page)', wasmError: null };
}
