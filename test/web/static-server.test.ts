/**
 * The demo page's web server (src/node/web/): COOP/COEP/CORP on every
 * response, the right content types (JavaScript, application/wasm, the
 * gzipped data as bytes), 404s, HEAD, 405, directory redirects, ETags, and
 * no way out of the site root however `..` is spelled.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveRequestPath } from '../../src/node/web/request-path.js';
import { StaticServer } from '../../src/node/web/static-server.js';
import { assertIsolationHeaders, get } from './http.js';

const SECRET = 'the secret next to the site';
let work: string;
let root: string;
let server: StaticServer;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'alexnet-web-server-'));
  root = join(work, 'site');
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>demo</title>');
  writeFileSync(join(root, 'alexnet-ts.js'), 'export const x = 1;\n');
  writeFileSync(join(root, 'kernels.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  writeFileSync(join(root, 'styles.css'), 'body{}');
  writeFileSync(join(root, 'data', 'images.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
  writeFileSync(join(root, 'sub', 'index.html'), 'sub index');
  writeFileSync(join(root, 'name with space.txt'), 'spaced');
  writeFileSync(join(root, '.hidden'), 'hidden');
  writeFileSync(join(work, 'secret.txt'), SECRET);
  writeFileSync(join(work, 'package.json'), SECRET);
  symlinkSync(join(work, 'secret.txt'), join(root, 'link-out.txt'));
  server = await StaticServer.start({ root, host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the static server', () => {
  test('the index page, with the cross-origin isolation headers', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const reply = await get(server.url, '/');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(reply.body, /<title>demo<\/title>/);
    assertIsolationHeaders(reply, '/');
    assert.equal((await get(server.url, '/index.html')).body, reply.body);
    assert.equal((await get(server.url, '/?x=1#frag')).status, 200);
  });

  test('content types: JavaScript, application/wasm, CSS, the gzipped data as bytes', async () => {
    const js = await get(server.url, '/alexnet-ts.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assertIsolationHeaders(js, '/alexnet-ts.js');
    const wasm = await get(server.url, '/kernels.wasm');
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.equal(wasm.headers['content-length'], '8');
    assert.equal((await get(server.url, '/styles.css')).headers['content-type'], 'text/css; charset=utf-8');
    const gz = await get(server.url, '/data/images.gz');
    assert.equal(gz.headers['content-type'], 'application/gzip');
    assert.equal(gz.headers['content-encoding'], undefined);
    assert.equal((await get(server.url, '/name%20with%20space.txt')).body, 'spaced');
  });

  test('404 for unknown paths and hidden files, with the same headers', async () => {
    for (const path of ['/nope.js', '/data/nope.gz', '/.hidden', '/sub/missing/deeper']) {
      const reply = await get(server.url, path);
      assert.equal(reply.status, 404, path);
      assertIsolationHeaders(reply, path);
    }
  });

  test('no path leads out of the site root', async () => {
    const attempts = [
      '/../secret.txt',
      '/../package.json',
      '/%2e%2e/secret.txt',
      '/%2E%2E/package.json',
      '/.%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/%2e%2e%2Fpackage.json',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/sub/../../secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/%252e%252e/secret.txt',
      `/${'..%2f'.repeat(12)}etc/passwd`,
      '/link-out.txt',
      '/secret.txt%00.html',
      'http://127.0.0.1/../secret.txt',
    ];
    for (const path of attempts) {
      const reply = await get(server.url, path);
      assert.ok(reply.status === 400 || reply.status === 404, `${path}: status ${reply.status}`);
      assert.ok(!reply.body.includes(SECRET), `${path} leaked the file outside the root`);
      assertIsolationHeaders(reply, path);
    }
    assert.equal((await get(server.url, '/%E0%A4%A')).status, 400);
  });

  test('HEAD answers the headers without a body; other methods get 405', async () => {
    const head = await get(server.url, '/alexnet-ts.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String('export const x = 1;\n'.length));
    const post = await get(server.url, '/', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('a folder redirects to its slash form and serves its index.html', async () => {
    const moved = await get(server.url, '/sub?a=1');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, '/sub/?a=1');
    assert.equal((await get(server.url, '/sub/')).body, 'sub index');
    assert.equal((await get(server.url, '/data/')).status, 404); // no listing
  });

  test("a folder's redirect stays on this site however the path starts (no open redirect to //host/)", async () => {
    // A Location of //data/ is a URL of the host "data": the browser would leave the site.
    for (const path of ['//data', '///data', '//data?x=1', '//sub/../data', '/./data', '//%64ata']) {
      const reply = await get(server.url, path);
      if (reply.status === 400) continue; // refused outright (dot segments): nowhere to go, which is safe too
      assert.equal(reply.status, 301, path);
      const location = reply.headers.location as string;
      assert.match(location, /^\/[^/\\]/, `${path} redirects to ${location}, which is not a path of this site`);
      assert.equal(new URL(location, server.url).origin, new URL(server.url).origin, path);
      assert.equal(new URL(location, server.url).pathname, '/data/', path);
    }
    assert.equal((await get(server.url, '//data?x=1')).headers.location, '/data/?x=1');
    // '%2F' decodes to a slash inside one segment: refused, never a redirect to //data/.
    for (const path of ['/%2F/data', '/%2f%2fdata', '/%5C/data']) {
      const reply = await get(server.url, path);
      assert.equal(reply.status, 400, path);
      assert.equal(reply.headers.location, undefined, path);
    }
    // A folder whose name needs encoding is redirected to its encoded name.
    mkdirSync(join(root, 'two words'));
    writeFileSync(join(root, 'two words', 'index.html'), 'spaced folder');
    const spaced = await get(server.url, '//two%20words');
    assert.equal(spaced.headers.location, '/two%20words/');
    assert.equal((await get(server.url, spaced.headers.location as string)).body, 'spaced folder');
  });

  test('an unchanged file is a 304 for its ETag', async () => {
    const first = await get(server.url, '/styles.css');
    const etag = first.headers.etag as string;
    assert.match(etag, /^W\/"/);
    const again = await get(server.url, '/styles.css', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assertIsolationHeaders(again, '304');
  });
});

describe('resolveRequestPath', () => {
  test('maps paths inside the root and refuses dot segments however they are encoded', () => {
    const r = resolveRequestPath('/srv/site', '/a/b%20c.js?q=1');
    assert.deepEqual(r, { ok: true, path: '/srv/site/a/b c.js', trailingSlash: false, pathname: '/a/b%20c.js' });
    assert.equal(resolveRequestPath('/srv/site', '/').ok, true);
    for (const target of ['/..', '/a/..', '/%2e%2e', '/a%2f..%2fb', '/a%5cb', '/%00']) {
      const refused = resolveRequestPath('/srv/site', target);
      assert.equal(refused.ok, false, target);
    }
    assert.deepEqual(resolveRequestPath('/srv/site', 'relative'), { ok: false, status: 400, reason: 'the request target is not a path' });
  });
});
