/**
 * Which backend Node programs (the CLI, the server, training) run on: the
 * native C++ addon when it loads, else the portable js backend. Asking for
 * js never loads the addon.
 */
import type { Backend } from '../backend/backend.js';
import { referenceBackend, setBackend } from '../backend/registry.js';
import { installNativeBackend, nativeInfo, nativeLoadFailure, type NativeInfo } from './native/load.js';

export type BackendName = 'native' | 'js';
export const BACKEND_NAMES: readonly BackendName[] = ['native', 'js'];

/** Validates a --backend value. */
export function parseBackendName(text: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(text)) return text as BackendName;
  throw new Error(`unknown backend '${text}': expected one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Makes `name` the current backend and returns it. Without a name: native
 * when the addon loads, js otherwise. Asking for native explicitly when it
 * cannot load is an error.
 */
export function selectBackend(name?: BackendName): Backend {
  if (name === 'js') {
    setBackend(referenceBackend());
    return referenceBackend();
  }
  const native = installNativeBackend();
  if (native !== null) {
    setBackend(native);
    return native;
  }
  if (name === 'native') throw new Error(`--backend native: the native addon is not available (${nativeLoadFailure()}); use --backend js`);
  setBackend(referenceBackend());
  return referenceBackend();
}

/** The native loader's description of the addon (CPU features, SIMD path, threads), or null without it. */
export function nativeBackendInfo(): NativeInfo | null {
  return nativeInfo();
}
