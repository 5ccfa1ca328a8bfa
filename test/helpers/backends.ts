/** Every backend this machine can run, for tests that check a behaviour on each: js, wasm, and native when the addon loads. */
import type { Backend } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/registry.js';
import { nativeBackend } from '../../src/node/native/load.js';
import type { NativeBackend } from '../../src/node/native/native-backend.js';
import { loadWasmBackend } from '../../src/node/wasm/load.js';

export async function availableBackends(): Promise<{ backends: [string, Backend][]; native: NativeBackend | null }> {
  const backends: [string, Backend][] = [
    ['js', referenceBackend()],
    ['wasm', await loadWasmBackend()],
  ];
  const native = nativeBackend({ warn: false });
  if (native !== null) backends.push(['native', native]);
  return { backends, native };
}
