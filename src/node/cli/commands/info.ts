/** `alexnet info`: version, backend in use (the wasm build and why, when it is wasm), the native addon's CPU path, Node. */
import type { Command } from 'commander';
import { getBackend } from '../../../backend/registry.js';
import { WasmBackend } from '../../../backend/wasm/wasm-backend.js';
import { nativeBackendInfo } from '../../backend.js';
import { packageVersion } from '../../package-version.js';
import { runAction } from '../run-action.js';

/** One "key: value" line per entry of the loader's description, nested objects flattened with dots. */
function describe(value: unknown, prefix: string, lines: string[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) describe(inner, prefix === '' ? key : `${prefix}.${key}`, lines);
  } else {
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    lines.push(prefix === '' ? `  ${text}` : `  ${prefix}: ${text}`);
  }
}

export function register(program: Command): void {
  program
    .command('info')
    .description("show the version, the backend in use, the native addon's CPU features and threads, and Node")
    .action(
      runAction(() => {
        const lines = [`alexnet-ts ${packageVersion()}`, `backend: ${getBackend().name}`];
        const backend = getBackend();
        if (backend instanceof WasmBackend) {
          lines.push('wasm backend:');
          describe(backend.info(), '', lines);
        }
        const native = nativeBackendInfo();
        if (native === null || native === undefined) {
          lines.push('native addon: not available');
        } else {
          lines.push('native addon:');
          describe(native, '', lines);
        }
        lines.push(`node: ${process.version} (${process.platform} ${process.arch})`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
