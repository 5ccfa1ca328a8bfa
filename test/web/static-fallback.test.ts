/**
 * The static server's fallback folders (what `alexnet web` serves the
 * installed package's page-only dist/web with): a path the root has nothing at
 * is served from the folder mounted there, with the same types and headers;
 * the root wins where both have a file; only files (no folder index, no
 * listing, nothing hidden); and no path leads out of a fallback folder, to the
 * package.json beside it or through a symbolic link.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StaticServer } from '../../src/node/web/static-server.js';
import { assertIsolationHeaders, get } from './http.js';

const SECRET = 'the package.json beside the served folders';
const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
let pkg: string;
let server: StaticServer;
let rootOnly: StaticServer;

/** A package layout as installed: dist/web (the page alone), dist/browser (bundle, wasm), data/fashion-mnist-subset. */
before(async () => {
  pkg = mkdtempSync(join(tmpdir(), 'alexnet-web-fallback-'));
  const site = join(pkg, 'dist', 'web');
  const browser = join(pkg, 'dist', 'browser');
  const data = join(pkg, 'data', 'fashion-mnist-subset');
  for (const dir of [site, browser, data]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), SECRET);
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(site, 'app.js'), 'import "./worker.js";\n');
  writeFileSync(join(site, 'styles.css'), 'from the site');
  writeFileSync(join(browser, 'alexnet-ts.js'), 'export const bundle = 1;\n');
  writeFileSync(join(browser, 'alexnet-simd.wasm'), WASM);
  writeFileSync(join(browser, 'alexnet-simd-threads.worker.js'), 'self.onmessage = () => {};\n');
  writeFileSync(join(browser, 'styles.css'), 'from dist/browser');
  writeFileSync(join(browser, '.hidden'), SECRET);
  writeFileSync(join(browser, 'index.html'), 'not the page');
  symlinkSync(join(pkg, 'package.json'), join(browser, 'link-out.js'));
  writeFileSync(join(data, 't10k-labels-idx1-ubyte.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
  const fallbacks = [
    { at: '', dir: browser },
    { at: 'data/fashion-mnist-subset', dir: data },
  ];
  server = await StaticServer.start({ root: site, host: '127.0.0.1', port: 0, fallbacks });
  rootOnly = await StaticServer.start({ root: site, host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await rootOnly?.close();
  rmSync(pkg, { recursive: true, force: true });
});

describe('fallback folders', () => {
  test('the files the page-only site lacks come from the folders mounted at their URLs, typed and isolated', async () => {
    const cases: [string, string, string][] = [
      ['/alexnet-ts.js', 'text/javascript; charset=utf-8', 'export const bundle = 1;\n'],
      ['/alexnet-simd-threads.worker.js', 'text/javascript; charset=utf-8', 'self.onmessage = () => {};\n'],
      ['/alexnet-simd.wasm', 'application/wasm', WASM.toString('utf8')],
      ['/data/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz', 'application/gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00]).toString('utf8')],
    ];
    for (const [path, type, body] of cases) {
      const reply = await get(server.url, path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.headers['content-type'], type, path);
      assert.equal(reply.body, body, path);
      assert.equal(reply.headers['content-encoding'], undefined, path);
      assertIsolationHeaders(reply, path);
      // Without fallbacks the same site has none of them.
      assert.equal((await get(rootOnly.url, path)).status, 404, `${path} without fallbacks`);
    }
    const head = await get(server.url, '/alexnet-simd.wasm', { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(WASM.length));
    const etag = head.headers.etag as string;
    assert.equal((await get(server.url, '/alexnet-simd.wasm', { headers: { 'If-None-Match': etag } })).status, 304);
  });

  test("the site root's own files win over a fallback's", async () => {
    assert.equal((await get(server.url, '/styles.css')).body, 'from the site');
    assert.match((await get(server.url, '/')).body, /<title>page<\/title>/);
    assert.match((await get(server.url, '/index.html')).body, /<title>page<\/title>/);
  });

  test('only files, at their mount point: no folder index, no hidden files, nothing mounted elsewhere', async () => {
    for (const path of [
      '/data/',
      '/data/fashion-mnist-subset/',
      '/data/fashion-mnist-subset',
      '/.hidden',
      '/t10k-labels-idx1-ubyte.gz',
      '/data/alexnet-ts.js',
    ]) {
      const reply = await get(server.url, path);
      assert.equal(reply.status, 404, path);
      assertIsolationHeaders(reply, path);
    }
  });

  test('no path leads out of a fallback folder', async () => {
    const attempts = [
      '/../package.json',
      '/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/data/fashion-mnist-subset/../../package.json',
      '/data/fashion-mnist-subset/%2e%2e/%2e%2e/package.json',
      '/data/fashion-mnist-subset/..%2f..%2fpackage.json',
      `/${'..%2f'.repeat(12)}etc/passwd`,
      '/link-out.js',
      'http://127.0.0.1/../package.json',
    ];
    for (const path of attempts) {
      const reply = await get(server.url, path);
      assert.ok(reply.status === 400 || reply.status === 404, `${path}: status ${reply.status}`);
      assert.ok(!reply.body.includes(SECRET), `${path} leaked a file outside the served folders`);
      assertIsolationHeaders(reply, path);
    }
  });

  test('a fallback folder that does not exist is named at start', async () => {
    const starting = StaticServer.start({ root: join(pkg, 'dist', 'web'), host: '127.0.0.1', port: 0, fallbacks: [{ at: '', dir: join(pkg, 'nope') }] });
    // A server that started anyway is closed, or it would keep the test process running.
    starting.then((started) => started.close()).catch(() => {});
    await assert.rejects(starting, /the fallback folder .*nope \(served at \/\) does not exist/);
  });
});
