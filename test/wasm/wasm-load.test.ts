/**
 * Loading the wasm backend: the options are checked, and a failed load names
 * the file that failed (the glue module, or the .wasm it fetches).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseWasmBuild, createWasmBackend } from '../../src/backend/wasm/load.js';

test('threads must be true, false or a whole number of at least 1', () => {
  for (const threads of [0, -2, 1.5, Number.NaN]) {
    assert.throws(() => chooseWasmBuild({ threads }), new RegExp(`threads must be true, false or a whole number ≥ 1, got ${threads}`));
  }
  assert.equal(chooseWasmBuild({ threads: 1 }).build, 'simd');
  assert.equal(chooseWasmBuild({ threads: false }).build, 'simd');
});

test('a load that fails names the file: the glue module when it does not import, the .wasm when it does not compile', async () => {
  await assert.rejects(
    createWasmBackend({ importFactory: () => Promise.reject(new Error('404 Not Found')) }, { threads: 1 }),
    /^Error: the wasm backend did not load \(alexnet-simd\.mjs\): 404 Not Found$/,
  );
  await assert.rejects(
    createWasmBackend({ importFactory: async () => () => Promise.reject(new Error('CompileError: bad magic')) }, { threads: 1 }),
    /^Error: the wasm backend did not load \(alexnet-simd\.wasm\): CompileError: bad magic$/,
  );
});
