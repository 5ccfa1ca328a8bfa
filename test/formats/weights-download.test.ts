import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveWeights, loadWeights } from '../../src/node/weights/resolve.js';
import { alexnetCacheDir } from '../../src/node/fs/cache-dir.js';
import { savePth } from '../../src/formats/pth/pth-writer.js';
import { ALEXNET_WEIGHTS, sha256PrefixFromFileName } from '../../src/models/pretrained.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { canonical } from './helpers.js';

// A generated checkpoint served under torch.hub-style names: <name>-<sha256 prefix>.pth.
const stateDict = new Map([
  [
    'features.0.weight',
    Tensor.from([
      [1, 2],
      [3, 4],
    ]),
  ],
  ['features.0.bias', Tensor.from([0.5, -0.5])],
]);
const body = savePth({ state_dict: stateDict, epoch: 1 });
const sha256 = createHash('sha256').update(body).digest('hex');
const goodName = `alexnet-test-${sha256.slice(0, 8)}.pth`;

let server: Server;
let base = '';
const hits = new Map<string, number>();

before(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === `/files/${goodName}` || path === '/wrong/alexnet-test-deadbeef.pth') {
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.end(body);
    } else if (path === `/moved/${goodName}`) {
      res.writeHead(302, { location: `/files/${goodName}` });
      res.end();
    } else if (path === `/cut/${goodName}`) {
      // Promise the whole file, send half, then drop the connection.
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((done) => probe.close(done));
  return port;
}

function tempCache(): string {
  return mkdtempSync(join(tmpdir(), 'alexnet-cache-'));
}

test('downloads once (following a redirect), verifies the hash, then uses the cache without network', async () => {
  const cacheDir = tempCache();
  try {
    const url = `${base}/moved/${goodName}`;
    const first = await resolveWeights('IMAGENET1K_V1', { url, cacheDir, progress: false });
    assert.equal(first.path, join(cacheDir, goodName));
    assert.equal(first.downloaded, true);
    assert.equal(first.weights, ALEXNET_WEIGHTS.IMAGENET1K_V1);
    assert.deepStrictEqual(new Uint8Array(readFileSync(first.path)), body);
    assert.deepStrictEqual(readdirSync(cacheDir), [goodName], 'no .partial left behind');
    assert.equal(hits.get(`/files/${goodName}`), 1);

    const second = await resolveWeights('DEFAULT', { url, cacheDir, progress: false });
    assert.equal(second.path, first.path);
    assert.equal(second.downloaded, false);
    assert.equal(hits.get(`/files/${goodName}`), 1, 'the second call made no request');
    assert.equal(hits.get(`/moved/${goodName}`), 1);

    const loaded = await loadWeights('IMAGENET1K_V1', { url, cacheDir, progress: false });
    assert.deepStrictEqual(canonical(loaded), canonical(stateDict));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a wrong hash leaves nothing in the cache and names both hashes', async () => {
  const cacheDir = tempCache();
  try {
    await assert.rejects(resolveWeights('IMAGENET1K_V1', { url: `${base}/wrong/alexnet-test-deadbeef.pth`, cacheDir, progress: false }), (e: Error) => {
      assert.match(e.message, /alexnet-test-deadbeef\.pth is corrupt or not the expected file: SHA-256 should start with deadbeef but is [0-9a-f]{64}/);
      assert.ok(e.message.includes(sha256), 'names the actual hash');
      return true;
    });
    assert.deepStrictEqual(readdirSync(cacheDir), []);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a connection cut midway fails clearly and leaves no file in place', async () => {
  const cacheDir = tempCache();
  try {
    await assert.rejects(
      resolveWeights('IMAGENET1K_V1', { url: `${base}/cut/${goodName}`, cacheDir, progress: false }),
      new RegExp(`download of ${base}/cut/${goodName} failed after \\d+ of ${body.length} bytes: .*nothing was saved`),
    );
    assert.deepStrictEqual(readdirSync(cacheDir), []);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('HTTP errors and unreachable servers say how to install the file by hand', async () => {
  const cacheDir = tempCache();
  try {
    await assert.rejects(
      resolveWeights('IMAGENET1K_V1', { url: `${base}/missing/${goodName}`, cacheDir, progress: false }),
      /cannot download .*\/missing\/.*: HTTP 404 Not Found; to install it by hand, download .* and save it as /,
    );
    const closed = await closedPort();
    await assert.rejects(
      resolveWeights('IMAGENET1K_V1', { url: `http://127.0.0.1:${closed}/${goodName}`, cacheDir, progress: false }),
      /cannot download http:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/,
    );
    await assert.rejects(resolveWeights('IMAGENET1K_V1', { url: `${base}/files/nohash.pth`, cacheDir }), /its file name carries no SHA-256 prefix/);
    assert.deepStrictEqual(readdirSync(cacheDir), []);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a local path is used as is; an unknown spec is explained', async () => {
  const dir = tempCache();
  try {
    const file = join(dir, 'mine.pth');
    writeFileSync(file, body);
    const resolved = await resolveWeights(file);
    assert.deepStrictEqual(resolved, { path: file, weights: null, downloaded: false });
    assert.deepStrictEqual(canonical(await loadWeights(file)), canonical(stateDict));
    await assert.rejects(
      resolveWeights(join(dir, 'nope.pth')),
      /weights '.*nope\.pth' is neither a known name \(IMAGENET1K_V1, DEFAULT\) nor an existing file/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache directory: ALEXNET_HOME, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(alexnetCacheDir({ ALEXNET_HOME: '/a/b', XDG_CACHE_HOME: '/x' }), '/a/b');
  assert.equal(alexnetCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/alexnet-ts');
  assert.match(alexnetCacheDir({}), /\/\.cache\/alexnet-ts$/);
});

test('registry: torchvision AlexNet_Weights.IMAGENET1K_V1 metadata', () => {
  const w = ALEXNET_WEIGHTS.IMAGENET1K_V1;
  assert.equal(w.url, 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth');
  assert.equal(sha256PrefixFromFileName(w.fileName), w.sha256Prefix);
  assert.equal(w.categories.length, 1000);
  assert.deepStrictEqual([w.categories[0], w.categories[999]], ['tench', 'toilet tissue']);
  assert.equal(new Set(w.categories).size, 1000, 'names are unique');
  assert.deepStrictEqual(w.minSize, [63, 63]);
  assert.equal(ALEXNET_WEIGHTS.DEFAULT, w);
});
