/**
 * `npm run build:web` (scripts/build-web.mjs): the static site holds the
 * page, its two scripts (the worker importing the library bundle beside it,
 * not a copy of it), the library bundle with every file of dist/browser
 * (its .wasm files), the Fashion-MNIST subset with its licence, and the
 * headers file for static hosts; served, the types are right. With
 * --page-only (npm pack) the page's own files alone, which `alexnet web`
 * serves with dist/browser/ and data/ behind them at the full site's URLs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { siteFallbacks } from '../../src/node/web/site.js';
import { StaticServer } from '../../src/node/web/static-server.js';
import { assertIsolationHeaders, get } from './http.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'alexnet-build-web-'));
const out = join(work, 'web');
after(() => rmSync(work, { recursive: true, force: true }));

const pageOnly = join(work, 'page');

function buildWeb(args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['scripts/build-web.mjs', ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`build-web failed: ${stderr}`)),
    );
  });
}

before(async () => {
  await buildWeb(['--out', out]);
  // The full build above has just rebuilt dist/browser.
  await buildWeb(['--out', pageOnly, '--skip-browser', '--page-only']);
});

/** Every file under `dir`, as paths relative to it. */
function files(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

test('the site holds the page, its scripts, the library bundle and the data', { timeout: 300_000 }, () => {
  for (const name of [
    'index.html',
    'styles.css',
    'app.js',
    'worker.js',
    'alexnet-ts.js',
    '_headers',
    'data/fashion-mnist-subset/train-images-idx3-ubyte.gz',
    'data/fashion-mnist-subset/train-labels-idx1-ubyte.gz',
    'data/fashion-mnist-subset/t10k-images-idx3-ubyte.gz',
    'data/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz',
    'data/fashion-mnist-subset/README.md',
  ]) {
    assert.ok(existsSync(join(out, name)), `${name} is missing from the built site`);
  }
  // Everything the library build put beside its bundle (the wasm kernels and their loaders) comes along.
  for (const name of files(join(ROOT, 'dist', 'browser'))) assert.ok(existsSync(join(out, name)), `dist/browser/${name} was not copied`);
  assert.equal(
    statSync(join(out, 'data/fashion-mnist-subset/train-images-idx3-ubyte.gz')).size,
    statSync(join(ROOT, 'data/fashion-mnist-subset/train-images-idx3-ubyte.gz')).size,
  );
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  // Relative URLs: the site works from any folder of any host.
  assert.match(html, /src="\.\/app\.js"/);
  assert.match(html, /href="\.\/styles\.css"/);
  const worker = readFileSync(join(out, 'worker.js'), 'utf8');
  assert.match(worker, /from "\.\/alexnet-ts\.js"/, 'the worker imports the bundle beside it');
  assert.ok(worker.length < 200_000, 'the worker does not carry its own copy of the library');
  assert.match(readFileSync(join(out, 'app.js'), 'utf8'), /worker\.js/);
  assert.match(readFileSync(join(out, '_headers'), 'utf8'), /Cross-Origin-Embedder-Policy: require-corp/);
  assert.ok(!existsSync(`${out}.partial`), 'the temporary folder is gone');
});

/** The part of the bundle's API the test below uses. */
interface BundleModule {
  typeName: string;
  children(): BundleModule[];
  eval(): void;
  call(x: unknown): unknown;
}
interface Bundle {
  createModel(name: string): BundleModule;
  getBackend(): { reluForward(x: Float32Array, out: Float32Array): void };
  noGrad<T>(fn: () => T): T;
  Tensor: { randn(shape: number[]): unknown };
}

test("the minified library bundle keeps PyTorch's class names, so Sequential fuses ReLU into the layer before it", { timeout: 60_000 }, async () => {
  // Imported in Node: the core of the bundle (models, the js backend) needs no browser.
  const A = (await import(pathToFileURL(join(out, 'alexnet-ts.js')).href)) as Bundle;
  const model = A.createModel('alexnet');
  const [features, avgpool, classifier] = model.children();
  assert.deepEqual([model.typeName, features.typeName, avgpool.typeName, classifier.typeName], ['AlexNet', 'Sequential', 'AdaptiveAvgPool2d', 'Sequential']);
  assert.deepEqual(
    features.children().map((m) => m.typeName),
    ['Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'Conv2d', 'ReLU', 'MaxPool2d'],
  );
  // Separate ReLU passes, counted on the backend: none in inference (fused), one per ReLU when recording gradients.
  const backend = A.getBackend();
  const relu = backend.reluForward.bind(backend);
  let passes = 0;
  backend.reluForward = (x, y) => {
    passes++;
    relu(x, y);
  };
  model.eval();
  const x = A.Tensor.randn([1, 3, 64, 64]);
  A.noGrad(() => model.call(x));
  assert.equal(passes, 0, 'inference runs every ReLU inside its Conv2d or Linear');
  model.call(x);
  assert.equal(passes, 7, 'with gradients, each of the 7 ReLUs runs on its own');
});

test('served, the built site has the right types and headers', { timeout: 60_000 }, async () => {
  const server = await StaticServer.start({ root: out, host: '127.0.0.1', port: 0 });
  try {
    const page = await get(server.url, '/');
    assert.equal(page.status, 200);
    assertIsolationHeaders(page, '/');
    for (const script of ['/app.js', '/worker.js', '/alexnet-ts.js']) {
      assert.equal((await get(server.url, script)).headers['content-type'], 'text/javascript; charset=utf-8', script);
    }
    for (const wasm of files(out).filter((f) => f.endsWith('.wasm'))) {
      assert.equal((await get(server.url, `/${wasm}`)).headers['content-type'], 'application/wasm', wasm);
    }
    assert.equal((await get(server.url, '/data/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz')).headers['content-type'], 'application/gzip');
  } finally {
    await server.close();
  }
});

test("--page-only writes the page's own files alone; served with the package's fallbacks, every URL of the full site answers the same", {
  timeout: 60_000,
}, async () => {
  assert.deepEqual(files(pageOnly).sort(), ['.nojekyll', '_headers', 'app.js', 'app.js.map', 'index.html', 'styles.css', 'worker.js', 'worker.js.map']);
  const full = await StaticServer.start({ root: out, host: '127.0.0.1', port: 0 });
  const page = await StaticServer.start({ root: pageOnly, host: '127.0.0.1', port: 0, fallbacks: siteFallbacks(ROOT) });
  try {
    for (const name of files(out).filter((f) => !f.startsWith('.'))) {
      const [want, got] = [await get(full.url, `/${name}`), await get(page.url, `/${name}`)];
      assert.equal(got.status, 200, name);
      assert.equal(got.headers['content-type'], want.headers['content-type'], name);
      assert.equal(got.headers['content-length'], want.headers['content-length'], name);
      assert.equal(got.body, want.body, name);
      assertIsolationHeaders(got, name);
    }
  } finally {
    await full.close();
    await page.close();
  }
});

test('bad arguments are refused with the usage', async () => {
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, ['scripts/build-web.mjs', '--bogus'], { cwd: ROOT }, (error, _stdout, stderr) =>
      resolve({ code: error === null ? 0 : (error.code as number), stderr }),
    );
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^build-web: usage: node scripts\/build-web\.mjs \[--out DIR\] \[--skip-browser\] \[--page-only\]/);
});
