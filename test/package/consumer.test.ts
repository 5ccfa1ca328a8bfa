/**
 * The published package as a user gets it: `npm pack` (which builds dist/ and
 * copies the addon into prebuilds/<platform>-<arch>/), then a fresh project
 * installs the tarball with scripts disabled (`npm install --ignore-scripts`,
 * where npm is heading for dependencies' install scripts) and must still run
 * on the native backend, from the library and from the `alexnet` command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { skipWithoutAddon } from '../native/native-helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'alexnet-pack-'));
after(() => rm(work, { recursive: true, force: true }));

function sh(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

test('the packed tarball ships what users need, with the prebuilt addon, and no tests, tools or benchmarks', {
  skip: skipWithoutAddon || (!linuxX64 && 'prebuilds are made for linux-x64'),
  timeout: 10 * 60 * 1000,
}, () => {
  const packing = sh(npm, ['pack', '--pack-destination', work], repo);
  // prepack builds dist/ and the page; prepare, which npm runs next, must not build again (scripts/prepare.mjs).
  assert.equal(packing.match(/build-browser: dist\/browser\/alexnet-ts\.js/g)?.length, 1, `one build of the bundle:\n${packing}`);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball !== undefined, 'npm pack wrote a tarball');
  const files = sh('tar', ['-tzf', join(work, tarball)], work)
    .trim()
    .split('\n');
  for (const needed of [
    'package/prebuilds/linux-x64/alexnet_native.node',
    'package/dist/src/index.js',
    'package/dist/src/node/cli/main.js',
    'package/binding.gyp',
    'package/LICENSE',
    'package/dist/browser/alexnet-ts.js',
    'package/dist/browser/alexnet-simd.wasm',
    'package/dist/browser/alexnet-simd-threads.worker.js',
    'package/wasm/alexnet-simd.wasm',
    'package/native/wasm/exports.cc',
  ]) {
    assert.ok(files.includes(needed), `${needed} is in the package`);
  }
  assert.ok(
    files.some((f) => f.startsWith('package/native/src/')),
    'native sources (the fallback build)',
  );
  assert.ok(
    files.some((f) => f.startsWith('package/data/fashion-mnist-subset/')),
    'the embedded data set',
  );
  const unwanted = files.filter((f) => /^package\/(test|tools|bench|\.ci|build)\//.test(f));
  assert.deepEqual(unwanted, [], 'no tests, tools, benchmarks or build outputs');
  // A bound that catches a stray folder (test/ alone is ~200 files), not a budget: each source
  // module ships as .js and .d.ts, each native source as itself (600 files on 2026-12-03).
  assert.ok(files.length < 750, `${files.length} files`);

  // A consumer project, installing with every install script disabled.
  const consumer = join(work, 'consumer');
  sh('mkdir', ['-p', consumer], work);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  sh(npm, ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', join(work, tarball)], consumer);
  assert.ok(!existsSync(join(consumer, 'node_modules', 'alexnet-ts', 'build')), 'nothing was built in the consumer');

  const script = [
    "import { selectBackend, createModel, noGrad, Tensor } from 'alexnet-ts/node';",
    'const backend = selectBackend();',
    "const model = createModel('alexnet', { numClasses: 10 }).eval();",
    'const y = noGrad(() => model.call(Tensor.randn([1, 3, 64, 64])));',
    'console.log(backend.name, y.shape.join("x"));',
  ].join('\n');
  writeFileSync(join(consumer, 'run.mjs'), script);
  assert.equal(sh(process.execPath, ['run.mjs'], consumer).trim(), 'native 1x10');
  const info = sh(process.execPath, [join(consumer, 'node_modules', '.bin', 'alexnet'), 'info'], consumer);
  assert.match(info, /backend: native/);
  // A build/Release beside the consumer's node_modules (a project inside a checkout, say) is not the package's
  // addon; one inside the package that does not load gives way to the prebuilt one.
  for (const broken of [join(consumer, 'build', 'Release'), join(consumer, 'node_modules', 'alexnet-ts', 'build', 'Release')]) {
    sh('mkdir', ['-p', broken], work);
    writeFileSync(join(broken, 'alexnet_native.node'), 'not a shared library');
    assert.equal(sh(process.execPath, ['run.mjs'], consumer).trim(), 'native 1x10', broken);
  }

  // The wasm backend from the installed package, in Node.
  writeFileSync(
    join(consumer, 'wasm.mjs'),
    [
      "import { loadWasmBackend, setBackend, createModel, noGrad, Tensor } from 'alexnet-ts/node';",
      'const wasm = await loadWasmBackend();',
      'setBackend(wasm);',
      "const y = noGrad(() => createModel('alexnet', { numClasses: 10 }).eval().call(Tensor.randn([1, 3, 64, 64])));",
      'console.log(wasm.info().simd, y.shape.join("x"));',
    ].join('\n'),
  );
  assert.equal(sh(process.execPath, ['wasm.mjs'], consumer).trim(), 'wasm-simd128 1x10');

  // A bundler resolving the package for the browser gets the browser bundle (the "browser" export condition).
  writeFileSync(join(consumer, 'page.js'), "import { useWasmBackend, createModel } from 'alexnet-ts';\nconsole.log(useWasmBackend, createModel);\n");
  writeFileSync(
    join(consumer, 'bundle.cjs'),
    [
      'const esbuild = require(process.argv[2]);',
      "const r = esbuild.buildSync({ entryPoints: ['page.js'], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'error' });",
      "console.log(Object.keys(r.metafile.inputs).join('\\n'));",
    ].join('\n'),
  );
  const bundled = sh(process.execPath, ['bundle.cjs', join(repo, 'node_modules', 'esbuild')], consumer);
  assert.match(bundled, /node_modules\/alexnet-ts\/dist\/browser\/alexnet-ts\.js/);

  // TypeScript sees the browser build's declarations under the same condition, and through alexnet-ts/browser.
  writeFileSync(
    join(consumer, 'page.ts'),
    [
      "import { createModel, useWasmBackend } from 'alexnet-ts';",
      "import { useWasmBackend as fromSubpath } from 'alexnet-ts/browser';",
      'const ready: Promise<unknown> = useWasmBackend();',
      "console.log(ready, fromSubpath, createModel('alexnet'));",
    ].join('\n'),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'esnext',
        moduleResolution: 'bundler',
        customConditions: ['browser'],
        target: 'es2022',
        lib: ['es2022', 'dom'],
        skipLibCheck: true,
        types: [],
      },
      files: ['page.ts'],
    }),
  );
  sh(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);
});
