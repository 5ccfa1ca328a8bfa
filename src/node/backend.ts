/**
 * Which backend Node programs (the CLI, the server, training) run on: the
 * native C++ addon when it loads, else the same kernels compiled to
 * WebAssembly, else the portable js backend. Asking for one by name never
 * loads the others.
 *
 * selectBackend() is synchronous and knows native and js only (the addon
 * loads synchronously, WebAssembly does not); selectBackendAsync(), which the
 * CLI uses, adds wasm.
 */
import type { Backend } from '../backend/backend.js';
import { referenceBackend, setBackend } from '../backend/registry.js';
import { nativeBackend, nativeInfo, nativeLoadFailure, type NativeInfo, warnNativeUnavailable } from './native/load.js';
import { loadWasmBackend } from './wasm/load.js';

export type BackendName = 'native' | 'wasm' | 'js';
export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

/** Validates a --backend value. */
export function parseBackendName(text: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(text)) return text as BackendName;
  throw new Error(`unknown backend '${text}': expected one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Makes `name` the current backend and returns it. Without a name: native
 * when the addon loads, js otherwise. Asking for native explicitly when it
 * cannot load is an error; wasm needs selectBackendAsync.
 */
export function selectBackend(name?: BackendName): Backend {
  if (name === 'wasm') throw new Error('the wasm backend loads asynchronously: use selectBackendAsync');
  if (name === 'js') {
    setBackend(referenceBackend());
    return referenceBackend();
  }
  // Asked for by name, its absence is the error itself: no warning line about another backend first.
  const native = nativeBackend({ warn: name !== 'native' });
  if (native !== null) {
    setBackend(native);
    return native;
  }
  if (name === 'native') throw new Error(`--backend native: the native addon is not available (${nativeLoadFailure()}); use --backend wasm or js`);
  setBackend(referenceBackend());
  return referenceBackend();
}

/**
 * As selectBackend, with wasm: by name, or without a name where the addon
 * does not load (one line on stderr says why and what runs instead).
 */
export async function selectBackendAsync(name?: BackendName): Promise<Backend> {
  if (name === 'js' || name === 'native') return selectBackend(name);
  if (name === 'wasm') {
    const wasm = await loadWasmBackend();
    setBackend(wasm);
    return wasm;
  }
  const native = nativeBackend({ warn: false });
  if (native !== null) {
    setBackend(native);
    return native;
  }
  try {
    const wasm = await loadWasmBackend();
    setBackend(wasm);
    warnNativeUnavailable('wasm');
    return wasm;
  } catch (error) {
    warnNativeUnavailable('js', `, wasm backend too (${(error as Error).message})`);
    setBackend(referenceBackend());
    return referenceBackend();
  }
}

/** The native loader's description of the addon (CPU features, SIMD path, threads), or null without it. */
export function nativeBackendInfo(): NativeInfo | null {
  return nativeInfo();
}
