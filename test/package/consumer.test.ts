/**
 * The published package as a user gets it: `npm pack` (which builds dist/ and
 * copies the addon into prebuilds/<platform>-<arch>/), then a fresh project
 * installs the tarball with scripts disabled (`npm install --ignore-scripts`,
 * where npm is heading for dependencies' install scripts) and must still run
 * on the native backend, from the library and from the `alexnet` command.
 * The tarball holds no file twice (the page, the wasm builds and the data
 * once each), and `alexnet web` serves the whole page from the install.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { skipWithoutAddon } from '../native/native-helpers.js';
import { assertIsolationHeaders, get } from '../web/http.js';

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

/** Every file under `dir`, as absolute paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Groups of files under `dir` above `minBytes` with the same content (relative paths), each group sorted. */
function duplicateFiles(dir: string, minBytes: number): string[][] {
  const byHash = new Map<string, string[]>();
  for (const file of filesUnder(dir)) {
    if (statSync(file).size <= minBytes) continue;
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
    byHash.set(hash, [...(byHash.get(hash) ?? []), relative(dir, file)]);
  }
  return [...byHash.values()].filter((group) => group.length > 1).map((group) => group.sort());
}

/** `alexnet web --port 0` run from the consumer's install; resolves with its URL once it prints it. */
function startInstalledWeb(consumer: string): Promise<{ url: string; output: () => string; stop: () => void }> {
  const bin = join(consumer, 'node_modules', '.bin', 'alexnet');
  const child = spawn(process.execPath, [bin, '--backend', 'js', 'web', '--port', '0'], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
  after(() => child.kill('SIGKILL'));
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`alexnet web printed no URL in 30 s:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = / at (http:\/\/\S+\/) /.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ url: match[1], output: () => output, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', () => reject(new Error(`alexnet web exited early:\n${output}`)));
  });
}

test('the packed tarball ships what users need, with the prebuilt addon, and no tests, tools or benchmarks', {
  skip: skipWithoutAddon || (!linuxX64 && 'prebuilds are made for linux-x64'),
  timeout: 10 * 60 * 1000,
}, async () => {
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
    'package/dist/browser/alexnet-simd.mjs',
    'package/dist/web/index.html',
    'package/dist/web/app.js',
    'package/dist/web/worker.js',
    'package/data/fashion-mnist-subset/train-images-idx3-ubyte.gz',
    'package/native/wasm/exports.cc',
  ]) {
    assert.ok(files.includes(needed), `${needed} is in the package`);
  }
  // The wasm builds ship once, in dist/browser/ (Node's wasm backend reads them there); the page's build script stays
  // out, so an installed `alexnet web` never tries to build.
  for (const absent of ['package/wasm/', 'package/scripts/build-web.mjs']) {
    assert.ok(!files.some((f) => f.startsWith(absent)), `${absent} is not in the package`);
  }
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  sh('tar', ['-xzf', join(work, tarball), '-C', unpacked], work);
  assert.deepEqual(duplicateFiles(join(unpacked, 'package'), 64_000), [], 'no file above 64 kB is in the package twice');
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
  // It reads dist/browser/, where scripts/build-browser.mjs copied the checkout's wasm/: the same builds, byte for byte.
  const installed = join(consumer, 'node_modules', 'alexnet-ts');
  for (const name of readdirSync(join(repo, 'wasm'))) {
    assert.ok(readFileSync(join(installed, 'dist', 'browser', name)).equals(readFileSync(join(repo, 'wasm', name))), `dist/browser/${name} is wasm/${name}`);
  }

  // `alexnet web` from the install: the page-only dist/web, with the bundle, the wasm builds and the data served from
  // the package's dist/browser/ and data/ at the URLs the full site has them at.
  const web = await startInstalledWeb(consumer);
  try {
    const urls: [string, string, string][] = [
      ['/', 'text/html; charset=utf-8', join('dist', 'web', 'index.html')],
      ['/app.js', 'text/javascript; charset=utf-8', join('dist', 'web', 'app.js')],
      ['/worker.js', 'text/javascript; charset=utf-8', join('dist', 'web', 'worker.js')],
      ['/alexnet-ts.js', 'text/javascript; charset=utf-8', join('dist', 'browser', 'alexnet-ts.js')],
      ['/alexnet-simd.wasm', 'application/wasm', join('dist', 'browser', 'alexnet-simd.wasm')],
      ['/alexnet-simd-threads.wasm', 'application/wasm', join('dist', 'browser', 'alexnet-simd-threads.wasm')],
      ['/alexnet-simd-threads.mjs', 'text/javascript; charset=utf-8', join('dist', 'browser', 'alexnet-simd-threads.mjs')],
      ['/alexnet-simd-threads.worker.js', 'text/javascript; charset=utf-8', join('dist', 'browser', 'alexnet-simd-threads.worker.js')],
      ['/data/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz', 'application/gzip', join('data', 'fashion-mnist-subset', 't10k-labels-idx1-ubyte.gz')],
    ];
    for (const [path, type, file] of urls) {
      const reply = await get(web.url, path);
      assert.equal(reply.status, 200, `${path}:\n${web.output()}`);
      assert.equal(reply.headers['content-type'], type, path);
      assert.equal(reply.headers['content-length'], String(statSync(join(installed, file)).size), path);
      assertIsolationHeaders(reply, path);
    }
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/data/fashion-mnist-subset/../../package.json']) {
      assert.equal((await get(web.url, path)).status, 400, path);
    }
    assert.doesNotMatch(web.output(), /building the page/, 'the installed page is served as it is');
  } finally {
    web.stop();
  }

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
