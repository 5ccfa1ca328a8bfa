#!/usr/bin/env node
// The browser bundle, dist/browser/:
//   alexnet-ts.js        src/browser/index.ts (the package-root API plus
//                        useWasmBackend) bundled and minified by esbuild, ESM
//   alexnet-simd*.{mjs,wasm}, alexnet-simd-threads.worker.js
//                        the wasm builds, copied from wasm/ (committed;
//                        scripts/build-wasm.mjs rebuilds them), which
//                        useWasmBackend() loads from beside the bundle
// The core must not reach Node APIs: esbuild fails the build if it does.
// Fails too when the bundle exceeds its size budget (400 kB of JavaScript,
// 1 MB per .wasm).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'browser');
const partial = `${out}.partial`;
const JS_BUDGET = 400_000;
const WASM_BUDGET = 1_000_000;

rmSync(partial, { recursive: true, force: true });
mkdirSync(partial, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/browser/index.ts'],
  outfile: join(partial, 'alexnet-ts.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  // Class names stay: a module's typeName is its constructor's name (PyTorch's class name), which Sequential reads to
  // fuse Conv2d/Linear with the ReLU after them and which printed models show. Minified, every class was renamed
  // (the page ran each ReLU as a separate pass, 7 per forward: batch 1 on one thread in Chromium 54 instead of 33 ms,
  // Zen 5) for 19 kB of bundle.
  keepNames: true,
  // Source maps point into src/, which the package does not ship.
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of readdirSync(join(root, 'wasm'))) copyFileSync(join(root, 'wasm', file), join(partial, file));

const over = readdirSync(partial)
  .map((file) => ({ file, bytes: statSync(join(partial, file)).size }))
  .filter(({ file, bytes }) => (file.endsWith('.wasm') ? bytes > WASM_BUDGET : file === 'alexnet-ts.js' && bytes > JS_BUDGET));
if (over.length > 0) {
  console.error(`build-browser: over budget: ${over.map((o) => `${o.file} ${o.bytes} bytes`).join(', ')} (JS ≤ ${JS_BUDGET}, each .wasm ≤ ${WASM_BUDGET})`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
renameSync(partial, out);
for (const file of readdirSync(out).sort()) console.log(`build-browser: dist/browser/${file} ${(statSync(join(out, file)).size / 1000).toFixed(1)} kB`);
