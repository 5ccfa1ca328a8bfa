/**
 * Packed weights the program drops (a model replaced, as the demo page does
 * on every weights load) give their WebAssembly memory back once collected:
 * before, a packed linear weight stayed reachable from its own finalizer's
 * held value and the page ran out of memory after about 16 AlexNet loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = `
import { loadWasmBackend } from './src/node/wasm/load.ts';
const wasm = await loadWasmBackend();
const mib = () => wasm.memory.buffer.byteLength / 2 ** 20;
const w = new Float32Array(4096 * 2304).fill(0.5); // 36 MiB packed
const sizes = [];
for (let i = 0; i < 12; i++) {
  (() => void wasm.packLinearWeight(4096, 2304, w, 'fp32'))();
  for (let k = 0; k < 3; k++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  sizes.push(mib());
}
process.stdout.write(JSON.stringify(sizes));
`;

test('packed linear weights dropped without dispose() are freed: wasm memory stays flat over 12 packings', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const sizes = JSON.parse(result.stdout) as number[];
  // 12 × 36 MiB if nothing were freed; a few packings in flight at most when they are.
  assert.ok(sizes[11] - sizes[0] < 3 * 36, `wasm memory grew from ${sizes[0]} to ${sizes[11]} MiB: ${sizes.join(', ')}`);
});

test('a failure inside WebAssembly that is no Error (the threaded build out of memory) becomes one clear Error', async () => {
  const { CallArena } = await import('../../src/backend/wasm/call-arena.js');
  const module = { _alx_malloc: () => 8, _alx_free: () => {} } as unknown as ConstructorParameters<typeof CallArena>[0];
  const arena = new CallArena(module, () => new ArrayBuffer(64));
  const bare = { toString: () => '[object WebAssembly.Exception]' };
  assert.throws(
    () =>
      arena.run([], () => {
        throw bare;
      }),
    /^Error: wasm backend: a kernel failed inside WebAssembly \(out of memory, most likely\): \[object WebAssembly\.Exception\]$/,
  );
  const real = new RangeError('kept as it is');
  assert.throws(
    () =>
      arena.run([], () => {
        throw real;
      }),
    (e) => e === real,
  );
});
