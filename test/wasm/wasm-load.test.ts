/**
 * Loading the wasm backend: the options are checked, and a failed load names
 * the file that failed (the glue module, or the .wasm it fetches).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseWasmBuild, createWasmBackend } from '../../src/backend/wasm/load.js';
import { poolGeometry } from '../helpers/kernel-geometry.js';

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

test('a .wasm the source instantiates itself: its failure rejects the load (the glue waits for ever), its kind named', async () => {
  class CompileError extends Error {
    override name = 'CompileError';
  }
  // As Emscripten's glue: with instantiateWasm given, it returns {} and waits for `ready`, which never comes here.
  const waitingGlue = async () => (options?: { instantiateWasm?: (imports: object, ready: () => void) => object }) => {
    options?.instantiateWasm?.({}, () => {});
    return new Promise<never>(() => {});
  };
  await assert.rejects(
    createWasmBackend(
      { importFactory: waitingGlue, instantiate: () => Promise.reject(new CompileError('section extends past end of the module')) },
      { threads: 1 },
    ),
    /^Error: the wasm backend did not load \(alexnet-simd\.wasm\): CompileError: section extends past end of the module$/,
  );
  await assert.rejects(
    createWasmBackend({ importFactory: waitingGlue, instantiate: () => Promise.reject(new Error('HTTP 404 for /x.wasm')) }, { threads: 1 }),
    /^Error: the wasm backend did not load \(alexnet-simd\.wasm\): HTTP 404 for \/x\.wasm$/,
  );
});

test('a pool geometry the kernels cannot run is refused by name, never a trap or a hang', async () => {
  const { loadWasmBackend } = await import('../../src/node/wasm/load.js');
  const wasm = await loadWasmBackend();
  const good = poolGeometry({ batch: 1, channels: 1, inH: 4, inW: 4, kernel: 2, stride: 2 });
  const x = new Float32Array(16);
  for (const [field, value, message] of [
    ['strideW', 0, /stride and dilation must be positive/],
    ['strideW', -1, /stride and dilation must be positive/],
    ['dilationW', 0, /stride and dilation must be positive/],
    ['kernelH', 0, /sizes must be positive/],
    ['padH', -1, /padding must be at most half the kernel size/],
  ] as const) {
    assert.throws(
      () => wasm.maxPool2dForward({ ...good, [field]: value }, x, new Float32Array(4), new Int32Array(4)),
      new RegExp(`invalid pool geometry: ${message.source}`),
      `${field} ${value}`,
    );
  }
  const out = new Float32Array(4);
  wasm.maxPool2dForward(
    good,
    Float32Array.from({ length: 16 }, (_, i) => i),
    out,
    null,
  );
  assert.deepEqual([...out], [5, 7, 13, 15], 'the module still works');
});

test("a weight packed by one wasm backend instance is refused by another (it lives in the first one's memory)", async () => {
  const { loadWasmBackend } = await import('../../src/node/wasm/load.js');
  const [a, b] = [await loadWasmBackend(), await loadWasmBackend()];
  const packed = a.packLinearWeight(3, 4, new Float32Array(12).fill(1), 'fp32');
  assert.throws(
    () => b.linearForwardPacked(1, 4, 3, new Float32Array(4), packed, null, new Float32Array(3), false),
    /packed by another instance of the wasm backend/,
  );
  a.linearForwardPacked(1, 4, 3, new Float32Array(4).fill(1), packed, null, new Float32Array(3), false);
  packed.dispose();
});
