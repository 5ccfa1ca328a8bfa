#!/usr/bin/env node
// Compiles the C++ kernels of native/src, with the C entry points of
// native/wasm/exports.cc, to WebAssembly with 128-bit SIMD: the same sources
// as the native addon (minus its N-API bindings), two builds:
//   wasm/alexnet-simd.{mjs,wasm}                    one thread
//   wasm/alexnet-simd-threads.{mjs,wasm,worker.js}  pthreads on web workers
// The outputs are committed, so installing the package needs no Emscripten;
// this script rebuilds them (Debian: apt-get install emscripten node-acorn).
//
//   node scripts/build-wasm.mjs            rebuild wasm/
//   node scripts/build-wasm.mjs --check    rebuild into a temp folder and fail
//                                          unless the result equals wasm/
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

const sources = readdirSync(join(root, 'native/src'))
  .filter((f) => f.endsWith('.cc') && !f.startsWith('bind_') && f !== 'napi_util.cc' && f !== 'binding.cc')
  .sort()
  .map((f) => join('native/src', f))
  .concat(['native/wasm/exports.cc']);

const common = [
  '-std=c++17',
  '-O3',
  '-msimd128',
  '-fno-math-errno',
  // Exceptions (bad geometry, allocation failure) are caught in exports.cc: native wasm exception handling costs
  // nothing until one is thrown, unlike Emscripten's JavaScript-based emulation.
  '-fwasm-exceptions',
  '-Wall',
  '-Wextra',
  '-Werror',
  // Code the x86 build uses and wasm does not (huge pages, the FMA peak loop).
  '-Wno-unused-const-variable',
  '-Wno-unused-parameter',
  '-sMODULARIZE=1',
  '-sEXPORT_ES6=1',
  '-sEXPORT_NAME=createAlexnetWasm',
  '-sALLOW_MEMORY_GROWTH=1',
  '-sMAXIMUM_MEMORY=4GB',
  // The module never touches files; Node.js gets the .wasm bytes from src/node/wasm/load.ts.
  '-sENVIRONMENT=web,worker',
  '-sFILESYSTEM=0',
];

const builds = [
  { name: 'alexnet-simd', flags: [] },
  {
    name: 'alexnet-simd-threads',
    flags: [
      '-pthread',
      // Growing shared memory makes Emscripten's JavaScript re-check its views on each heap access; ours touches the
      // heap only to copy arrays in and out, once per kernel call.
      '-Wno-pthreads-mem-growth',
      // Workers are started while the module loads, one per logical core (at most 16): the kernels' thread pool
      // then starts synchronously, which a browser thread could not wait for.
      '-sPTHREAD_POOL_SIZE=Math.min(16,(typeof navigator!="undefined"&&navigator.hardwareConcurrency)||4)',
    ],
  },
];

function emcc(args) {
  const env = { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };
  const r = spawnSync('em++', args, { cwd: root, stdio: 'inherit', env });
  if (r.error?.code === 'ENOENT') {
    console.error('build-wasm: em++ not found; install Emscripten (Debian: apt-get install emscripten node-acorn)');
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const staging = mkdtempSync(join(tmpdir(), 'alexnet-wasm-'));
try {
  for (const b of builds) {
    console.log(`build-wasm: ${b.name}`);
    emcc([...common, ...b.flags, ...sources, '-o', join(staging, `${b.name}.mjs`)]);
  }
  const outDir = join(root, 'wasm');
  const built = readdirSync(staging).sort();
  if (check) {
    const differing = built.filter((f) => {
      try {
        return !readFileSync(join(staging, f)).equals(readFileSync(join(outDir, f)));
      } catch {
        return true;
      }
    });
    if (differing.length > 0) {
      console.error(`build-wasm --check: wasm/ is not what the sources build: ${differing.join(', ')} differ (run npm run build:wasm and commit)`);
      process.exit(1);
    }
    console.log(`build-wasm --check: wasm/ matches the sources (${built.join(', ')})`);
  } else {
    mkdirSync(outDir, { recursive: true });
    // Each file lands under a temporary name first, then is renamed into place.
    for (const f of built) {
      copyFileSync(join(staging, f), join(outDir, `${f}.partial`));
      renameSync(join(outDir, `${f}.partial`), join(outDir, f));
    }
    console.log(`build-wasm: wrote ${built.map((f) => `wasm/${f}`).join(', ')}`);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
