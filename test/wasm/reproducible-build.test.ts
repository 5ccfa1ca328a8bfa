/**
 * The committed wasm/ builds are what the committed C++ sources compile to:
 * scripts/build-wasm.mjs --check rebuilds both into a temporary folder with
 * Emscripten and compares them byte for byte (the build is deterministic).
 * So a change to native/src cannot land without its wasm rebuild, and the
 * files a fresh clone uses without Emscripten are the reviewed sources'.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const emcc = spawnSync('em++', ['--version'], { encoding: 'utf8' });
const skip = emcc.error !== undefined ? 'Emscripten is not installed (Debian: apt-get install emscripten node-acorn); .ci/run installs it' : false;

test('wasm/ equals a fresh build of native/src and native/wasm', { skip, timeout: 600_000 }, () => {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /wasm\/ matches the sources/);
});
