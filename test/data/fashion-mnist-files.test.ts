import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist.js';
import { alexnetCacheDir } from '../../src/node/fs/cache-dir.js';
import {
  DEBIAN_FASHION_MNIST_DIR,
  embeddedSubsetDir,
  FASHION_MNIST_URL,
  loadFashionMnist,
  locateFashionMnist,
} from '../../src/node/data/fashion-mnist-files.js';

const subset = embeddedSubsetDir();
const scratch = mkdtempSync(join(tmpdir(), 'alexnet-fmnist-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Nothing from the machine: no env, no system directory, an empty cache. */
function isolated(name: string) {
  return { env: {}, systemDirs: [], cacheDir: join(scratch, name), progress: false };
}

/** Serves the embedded subset's files at http://127.0.0.1:PORT/ and counts requests. */
async function serveSubset(status = 200): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = join(subset, (req.url ?? '').slice(1));
    if (status !== 200 || !existsSync(file)) {
      res.writeHead(status === 200 ? 404 : status).end('no');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, requests, server };
}

test('the cache directory follows ALEXNET_HOME, then XDG_CACHE_HOME', () => {
  assert.equal(alexnetCacheDir({ ALEXNET_HOME: '/a', XDG_CACHE_HOME: '/x' }), '/a');
  assert.equal(alexnetCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/alexnet-ts');
  assert.match(alexnetCacheDir({}), /\.cache\/alexnet-ts$/);
});

test('the embedded subset is loaded only when asked for, class-balanced', async () => {
  const train = await loadFashionMnist('train', { ...isolated('subset'), dataset: 'fashion-mnist-subset' });
  const testSet = await loadFashionMnist('test', { ...isolated('subset'), dataset: 'fashion-mnist-subset' });
  assert.equal(train.location.source, 'embedded subset');
  assert.equal(train.length, 6000);
  assert.equal(testSet.length, 1000);
  const counts = new Array(10).fill(0);
  for (const l of testSet.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(100));
  assert.equal(train.classes, FASHION_MNIST_CLASSES);
  assert.deepEqual(FASHION_MNIST_CLASSES, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
});

test('--data must hold the files; it is used first', async () => {
  const found = await locateFashionMnist('test', { ...isolated('data'), dataDir: subset });
  assert.equal(found.source, 'data option');
  assert.equal(found.images, join(subset, 't10k-images-idx3-ubyte.gz'));
  await assert.rejects(
    locateFashionMnist('test', { ...isolated('data'), dataDir: scratch }),
    new RegExp(`${scratch} \\(given as the data directory\\) does not contain t10k-images-idx3-ubyte\\(\\.gz\\)`),
  );
});

test('ALEXNET_DATA comes before the system directory', async () => {
  const found = await locateFashionMnist('train', { ...isolated('env'), env: { ALEXNET_DATA: subset }, systemDirs: ['/nonexistent'] });
  assert.equal(found.source, 'ALEXNET_DATA');
  const system = await locateFashionMnist('train', { ...isolated('env'), systemDirs: ['/nonexistent', subset] });
  assert.equal(system.source, 'system');
});

test("Debian's dataset-fashion-mnist is found where it is installed", { skip: !existsSync(DEBIAN_FASHION_MNIST_DIR) }, async () => {
  const found = await locateFashionMnist('test', { env: {}, cacheDir: join(scratch, 'debian'), download: false });
  assert.equal(found.source, 'system');
  assert.equal(found.images, join(DEBIAN_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
  // The embedded subset is made of exactly those images (provenance check).
  const full = await loadFashionMnist('test', { env: {}, cacheDir: join(scratch, 'debian'), download: false });
  assert.equal(full.length, 10000);
  const small = await loadFashionMnist('test', { dataset: 'fashion-mnist-subset' });
  const { splits } = JSON.parse(readFileSync(join(subset, 'indices.json'), 'utf8'));
  for (const k of [0, 1, 500, 999]) {
    const source = splits.test.sourceIndices[k];
    assert.deepEqual(small.rawImage(k), full.rawImage(source));
    assert.equal(small.label(k), full.label(source));
  }
});

test('missing files are downloaded into the cache through a .partial file, then found there', async () => {
  const { url, requests, server } = await serveSubset();
  try {
    const options = { ...isolated('download'), baseUrl: url };
    const found = await locateFashionMnist('test', options);
    assert.equal(found.source, 'download');
    const cache = join(scratch, 'download', 'datasets', 'fashion-mnist');
    assert.deepEqual(readdirSync(cache).sort(), ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    assert.deepEqual(requests.sort(), ['/t10k-images-idx3-ubyte.gz', '/t10k-labels-idx1-ubyte.gz']);
    const loaded = await loadFashionMnist('test', options);
    assert.equal(loaded.location.source, 'cache');
    assert.equal(loaded.length, 1000);
    assert.equal(requests.length, 2, 'no second download');
    // The base URL can also come from the environment.
    const viaEnv = await locateFashionMnist('train', { ...isolated('download-env'), env: { ALEXNET_FASHION_MNIST_URL: url.slice(0, -1) } });
    assert.equal(viaEnv.source, 'download');
  } finally {
    server.close();
  }
});

test('when nothing is found and the download fails, one error names every place looked', async () => {
  const { url, server } = await serveSubset(404);
  try {
    const cacheDir = join(scratch, 'fail');
    const error = await locateFashionMnist('train', {
      env: { ALEXNET_DATA: join(scratch, 'nowhere') },
      systemDirs: ['/no/system'],
      cacheDir,
      baseUrl: url,
      progress: false,
    }).then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(error instanceof Error);
    for (const place of [join(scratch, 'nowhere'), '/no/system', join(cacheDir, 'datasets', 'fashion-mnist'), `${url}train-images-idx3-ubyte.gz`, 'HTTP 404']) {
      assert.ok(error.message.includes(place), `error should mention ${place}: ${error.message}`);
    }
    assert.ok(!readdirSync(join(cacheDir, 'datasets', 'fashion-mnist')).some((f) => f.endsWith('.partial')), 'no partial file left');
    await assert.rejects(locateFashionMnist('train', { ...isolated('off'), download: false }), /Downloading is off/);
  } finally {
    server.close();
  }
});

test('an unreachable server is reported with the reason', async () => {
  const { url, server } = await serveSubset();
  server.close();
  await new Promise((r) => server.once('close', r));
  await assert.rejects(
    locateFashionMnist('test', { ...isolated('closed'), baseUrl: url }),
    /cannot download http:\/\/127\.0\.0\.1:\d+\/t10k-images-idx3-ubyte\.gz: .*ECONNREFUSED/,
  );
  assert.equal(FASHION_MNIST_URL, 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/');
});

test('a download whose MD5 does not match is discarded', async () => {
  const { downloadFile } = await import('../../src/node/fs/download.js');
  const { url, server } = await serveSubset();
  try {
    const dest = join(scratch, 'md5', 'labels.gz');
    await assert.rejects(
      downloadFile(`${url}t10k-labels-idx1-ubyte.gz`, dest, { checksum: { algorithm: 'md5', expected: '0'.repeat(32) }, progress: false }),
      /MD5 should be 0{32} but is [0-9a-f]{32}; nothing was saved/,
    );
    assert.deepEqual(readdirSync(join(scratch, 'md5')), []);
  } finally {
    server.close();
  }
});
