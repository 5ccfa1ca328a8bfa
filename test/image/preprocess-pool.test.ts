/**
 * The preprocessing pool's workers decode and transform images exactly as
 * the calling thread would, writing into rows of a shared slab when given
 * one (and into fresh arrays when every row is lent); a failed image gives
 * its row back. RowSlab lends each row once at a time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { imagenetEvalTransform } from '../../src/image/imagenet.js';
import { decodeImage } from '../../src/node/image/decode.js';
import { PreprocessPool } from '../../src/node/image/preprocess-pool.js';
import { RowSlab } from '../../src/node/image/row-slab.js';

const OPTIONS = { resize: 256, crop: 224 };
const ROW = 3 * 224 * 224;
let photos: Uint8Array[];

before(async () => {
  const make = (width: number, height: number, seed: number) =>
    sharp({ create: { width, height, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 100 + seed, sigma: 40 } } })
      .jpeg({ quality: 90 })
      .toBuffer();
  photos = (await Promise.all([make(224, 224, 0), make(640, 480, 1), make(300, 900, 2)])).map((b) => new Uint8Array(b));
});

/** The tensor the calling thread computes for `bytes` (decode, then the eval transform). */
async function expected(bytes: Uint8Array): Promise<Float32Array> {
  return imagenetEvalTransform(await decodeImage(bytes.slice(), 'photo'), OPTIONS).data;
}

test('RowSlab lends each row once, gives out the last returned first, and refuses a double return', () => {
  const slab = new RowSlab(2, 4);
  const a = slab.acquire();
  const b = slab.acquire();
  assert.deepEqual([a, b, slab.acquire()], [0, 1, null]);
  assert.equal(slab.inUse, 2);
  slab.view(1).fill(7);
  assert.deepEqual([...RowSlab.view(slab.buffer, 4, 1)], [7, 7, 7, 7], 'a view from the buffer alone sees the same row');
  slab.release(1);
  assert.throws(() => slab.release(1), /RowSlab: row 1 is not lent/);
  assert.throws(() => slab.release(5), /RowSlab: no row 5/);
  assert.equal(slab.acquire(), 1);
  assert.throws(() => new RowSlab(0, 4), /positive integers/);
});

let pool: PreprocessPool;
let slab: RowSlab;

before(() => {
  slab = new RowSlab(2, ROW);
  pool = new PreprocessPool(2, slab);
});

after(() => pool.close());

test('prepareRow: the workers write the calling thread’s tensors into slab rows, and fresh arrays once every row is lent', async () => {
  const rows = await Promise.all([...photos, ...photos].map((p) => pool.prepareRow(p.slice(), 'photo', 1e8, OPTIONS)));
  const inSlab = rows.filter((r) => r.data.buffer === slab.buffer).length;
  assert.equal(inSlab, 2, 'two rows in the slab, the rest fresh arrays');
  assert.equal(slab.inUse, 2);
  for (const [i, row] of rows.entries()) assert.deepEqual(row.data, await expected(photos[i % photos.length]), `image ${i}`);
  for (const row of rows) {
    row.release();
    row.release(); // a second call does nothing
  }
  assert.equal(slab.inUse, 0);
});

test('a failed image gives its row back, and names itself', async () => {
  await assert.rejects(pool.prepareRow(photos[0].slice(0, 200), 'cut.jpg', 1e8, OPTIONS), /cut\.jpg is not a decodable image/);
  await assert.rejects(
    pool.prepareRow(photos[1].slice(), 'big.jpg', 1000, OPTIONS),
    /^Error: big\.jpg is too large: 640×480 is 307200 pixels, above the limit of 1000 \(the reader's limit, such as alexnet serve's --max-image-pixels\)$/,
  );
  assert.equal(slab.inUse, 0);
});

test('prepare and transform without a row still answer with their own arrays', async () => {
  assert.deepEqual(await pool.prepare(photos[2].slice(), 'photo', 1e8, OPTIONS), await expected(photos[2]));
  const image = await decodeImage(photos[1].slice(), 'photo');
  const want = imagenetEvalTransform(image, OPTIONS).data;
  assert.deepEqual(await pool.transform(image, OPTIONS), want);
});
