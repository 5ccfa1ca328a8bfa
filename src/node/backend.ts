/**
 * Which backend Node programs (the CLI, the server, training) run on: the
 * native C++ addon when it loads, else the portable js backend.
 *
 * The addon's loader (./native/load.ts) is imported lazily, so that programs
 * that ask for js never touch the addon, and so that a build without the
 * addon still works.
 */
import type { Backend } from '../backend/backend.js';
import { referenceBackend, setBackend } from '../backend/registry.js';

export type BackendName = 'native' | 'js';
export const BACKEND_NAMES: readonly BackendName[] = ['native', 'js'];

/** What the native loader module offers (the parts this file uses). */
interface NativeLoader {
  installNativeBackend?: () => Backend | null | Promise<Backend | null>;
  nativeInfo?: () => unknown;
}

/** Validates a --backend value. */
export function parseBackendName(text: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(text)) return text as BackendName;
  throw new Error(`unknown backend '${text}': expected one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Loads the native loader module, or null when this build has none. Other
 * failures (a broken build) are reported as one warning line and treated as absent.
 */
async function importNativeLoader(): Promise<NativeLoader | null> {
  // A variable specifier: the loader is optional, so the compiler must not require it.
  const specifier = './native/load.js';
  try {
    return (await import(specifier)) as NativeLoader;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write(`alexnet: warning: cannot load the native backend loader: ${(error as Error).message.split('\n')[0]}\n`);
    }
    return null;
  }
}

/**
 * Makes `name` the current backend and returns it. Without a name: native
 * when the addon loads, js otherwise. Asking for native explicitly when it
 * cannot load is an error.
 */
export async function selectBackend(name?: BackendName): Promise<Backend> {
  if (name === 'js') {
    setBackend(referenceBackend());
    return referenceBackend();
  }
  const loader = await importNativeLoader();
  const native = loader?.installNativeBackend ? await loader.installNativeBackend() : null;
  if (native) {
    setBackend(native);
    return native;
  }
  if (name === 'native') throw new Error('--backend native: the native addon is not available in this build (use --backend js)');
  setBackend(referenceBackend());
  return referenceBackend();
}

/** The native loader's description of the addon (CPU features, SIMD path, threads), or null without it. */
export async function nativeBackendInfo(): Promise<unknown> {
  const loader = await importNativeLoader();
  return loader?.nativeInfo ? loader.nativeInfo() : null;
}
