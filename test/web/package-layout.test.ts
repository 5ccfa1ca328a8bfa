/**
 * The installed package ships the wasm builds once, in dist/browser/ beside
 * the browser bundle (no wasm/ folder), and dist/web without the files the
 * full site copies in: Node's wasm backend finds the builds there, and
 * `alexnet web` serves dist/browser/ and data/ behind the page.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WASM_BUILD_FILES } from '../../src/backend/wasm/load.js';
import { findWasmDir, wasmDir } from '../../src/node/wasm/load.js';
import { browserDir, siteFallbacks } from '../../src/node/web/site.js';

const work = mkdtempSync(join(tmpdir(), 'alexnet-package-layout-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A package folder with the single-threaded .wasm in each of `folders` and the built module folder, returned. */
function layout(name: string, folders: string[][]): { pkg: string; module: string } {
  const pkg = join(work, name);
  const module = join(pkg, 'dist', 'src', 'node', 'wasm');
  mkdirSync(module, { recursive: true });
  for (const folder of folders) {
    mkdirSync(join(pkg, ...folder), { recursive: true });
    writeFileSync(join(pkg, ...folder, WASM_BUILD_FILES.simd.wasm), 'wasm');
  }
  return { pkg, module };
}

test("the wasm builds: the checkout's wasm/, else the installed package's dist/browser/", () => {
  const installed = layout('installed', [['dist', 'browser']]);
  assert.equal(findWasmDir(installed.module), join(installed.pkg, 'dist', 'browser'));
  const checkout = layout('checkout', [['wasm'], ['dist', 'browser']]);
  assert.equal(findWasmDir(checkout.module), join(checkout.pkg, 'wasm'));
  const bare = layout('bare', []);
  assert.throws(() => findWasmDir(bare.module), /the wasm build is missing: no wasm\/alexnet-simd\.wasm or dist\/browser\/alexnet-simd\.wasm above /);
});

test('ALEXNET_WASM_DIR still names the folder', () => {
  const saved = process.env.ALEXNET_WASM_DIR;
  try {
    process.env.ALEXNET_WASM_DIR = join(work, 'elsewhere');
    assert.equal(wasmDir(), join(work, 'elsewhere'));
  } finally {
    if (saved === undefined) delete process.env.ALEXNET_WASM_DIR;
    else process.env.ALEXNET_WASM_DIR = saved;
  }
});

test("the page's fallbacks: dist/browser at the site root, the data subset at data/fashion-mnist-subset/", () => {
  const pkg = join(work, 'pkg');
  assert.equal(browserDir(pkg), join(pkg, 'dist', 'browser'));
  assert.deepEqual(siteFallbacks(pkg), [
    { at: '', dir: join(pkg, 'dist', 'browser') },
    { at: 'data/fashion-mnist-subset', dir: join(pkg, 'data', 'fashion-mnist-subset') },
  ]);
});
