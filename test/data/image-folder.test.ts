import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Batch } from '../../src/data/data-loader.js';
import { Generator } from '../../src/tensor/random.js';
import { Compose, Normalize, RandomHorizontalFlip, RandomResizedCrop } from '../../src/data/transforms/index.js';
import { ImageFolder, scanImageFolder } from '../../src/node/data/image-folder.js';
import { DataLoader } from '../../src/node/data/data-loader.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-imagefolder-'));
const set = join(root, 'set');
after(() => rmSync(root, { recursive: true, force: true }));

/** Deterministic noise pixels, so decoded PNGs can be compared exactly. */
function noise(width: number, height: number, channels: number, seed: number): Buffer {
  const g = new Generator(seed);
  return Buffer.from(Array.from({ length: width * height * channels }, () => g.int(256)));
}

async function png(path: string, width: number, height: number, channels: 1 | 3 | 4, seed: number): Promise<Buffer> {
  const raw = noise(width, height, channels, seed);
  writeFileSync(path, await sharp(raw, { raw: { width, height, channels } }).png().toBuffer());
  return raw;
}

const raws: Record<string, Buffer> = {};
before(async () => {
  for (const dir of ['zebra', 'ant/nested/deeper', 'ant/b', 'moth']) mkdirSync(join(set, dir), { recursive: true });
  raws.rgb = await png(join(set, 'zebra', 'b.png'), 6, 4, 3, 1);
  raws.gray = await png(join(set, 'zebra', 'a.PNG'), 5, 5, 1, 2);
  writeFileSync(join(set, 'zebra', 'notes.txt'), 'not an image');
  writeFileSync(
    join(set, 'ant', 'c.jpg'),
    await sharp(noise(20, 10, 3, 3), { raw: { width: 20, height: 10, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
  raws.rgba = await png(join(set, 'ant', 'b', 'x.png'), 7, 3, 4, 4);
  await png(join(set, 'ant', 'nested', 'deeper', 'y.png'), 3, 3, 3, 5);
  writeFileSync(join(set, 'moth', 'broken.jpg'), Buffer.from('this is not a jpeg'));
  await png(join(set, 'moth', 'ok.png'), 4, 4, 3, 6);
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'noimages', 'cls'), { recursive: true });
  mkdirSync(join(root, 'noimages', 'fine'), { recursive: true });
  writeFileSync(join(root, 'noimages', 'cls', 'readme.md'), '#');
  await png(join(root, 'noimages', 'fine', 'p.png'), 2, 2, 3, 7);
});

test('classes are sorted folder names; samples are sorted image files, found recursively', async () => {
  const { classes, samples } = await scanImageFolder(set);
  assert.deepEqual(classes, ['ant', 'moth', 'zebra']);
  assert.deepEqual(
    samples.map((s) => [s.path.slice(set.length + 1), s.label]),
    [
      // torchvision's order: directories sorted by path, then files by name; extensions match case-insensitively.
      ['ant/c.jpg', 0],
      ['ant/b/x.png', 0],
      ['ant/nested/deeper/y.png', 0],
      ['moth/broken.jpg', 1],
      ['moth/ok.png', 1],
      ['zebra/a.PNG', 2],
      ['zebra/b.png', 2],
    ],
  );
});

test("a folder reached through two links is listed under each, as torchvision's os.walk does; a link back up stops", async () => {
  const linked = join(root, 'linked');
  mkdirSync(join(linked, 'cls'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  await png(join(linked, 'cls', 'a.png'), 2, 2, 3, 8);
  await png(join(root, 'shared', 's.png'), 2, 2, 3, 9);
  symlinkSync(join(root, 'shared'), join(linked, 'cls', 'link1'));
  symlinkSync(join(root, 'shared'), join(linked, 'cls', 'link2'));
  symlinkSync(join(linked, 'cls'), join(root, 'shared', 'up')); // a cycle through either link
  const { samples } = await scanImageFolder(linked);
  assert.deepEqual(
    samples.map((s) => s.path.slice(linked.length + 1)),
    ['cls/a.png', 'cls/link1/s.png', 'cls/link2/s.png'],
  );
});

test('images decode to RGB [3, H, W] in [0, 1]: gray repeated, alpha dropped', async () => {
  const ds = await ImageFolder.open(set);
  const rgb = await ds.get(6, new Generator(0));
  assert.deepEqual([rgb.image.channels, rgb.image.height, rgb.image.width, rgb.label], [3, 4, 6, 2]);
  // CHW: channel c of pixel (y, x) is raw[(y*W + x)*3 + c] / 255.
  for (const [c, y, x] of [
    [0, 0, 0],
    [1, 2, 3],
    [2, 3, 5],
  ]) {
    assert.equal(rgb.image.data[(c * 4 + y) * 6 + x], Math.fround(raws.rgb[(y * 6 + x) * 3 + c] / 255));
  }
  const gray = await ds.get(5, new Generator(0));
  assert.equal(gray.image.channels, 3);
  assert.equal(gray.image.data[25 * 2 + 7], Math.fround(raws.gray[7] / 255));
  const rgba = await ds.get(1, new Generator(0));
  assert.equal(rgba.image.data[21 + 4], Math.fround(raws.rgba[4 * 4 + 1] / 255));
});

test('a corrupt image is skipped with one warning and counted; strict mode makes it an error', async () => {
  const ds = await ImageFolder.open(set, { transform: new RandomResizedCrop(4) });
  const warnings: string[] = [];
  const loader = new DataLoader(ds, { batchSize: 3, onSkip: (s) => warnings.push(s.message) });
  const batches: Batch[] = [];
  for await (const b of loader) batches.push(b);
  for await (const b of loader) batches.push(b);
  assert.deepEqual(
    batches.slice(0, 3).map((b) => [...b.indices]),
    [[0, 1, 2], [4, 5], [6]],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /moth\/broken\.jpg is not a decodable image/);
  assert.deepEqual([...loader.skipped.keys()], [3]);

  const strict = await ImageFolder.open(set, { strict: true });
  await assert.rejects(Promise.resolve(strict.get(3, new Generator(0))), /ImageFolder: .*moth\/broken\.jpg is not a decodable image/);
});

test('an empty, missing or image-less folder is a clear error', async () => {
  await assert.rejects(ImageFolder.open(join(root, 'empty')), /found no class folders in .*empty/);
  await assert.rejects(ImageFolder.open(join(root, 'missing')), /cannot read the folder .*missing: ENOENT/);
  await assert.rejects(ImageFolder.open(join(set, 'zebra', 'b.png')), /cannot read the folder .*b\.png/);
  await assert.rejects(ImageFolder.open(join(root, 'noimages')), /found no image files in the class folder cls of/);
});

test("BMP, PPM and PGM files (torchvision's extensions this decoder cannot read) fail the scan with one line naming the first", async () => {
  const folder = join(root, 'netpbm');
  mkdirSync(join(folder, 'a'), { recursive: true });
  mkdirSync(join(folder, 'b'), { recursive: true });
  await png(join(folder, 'a', 'x.png'), 2, 2, 3, 10);
  // The scan goes by extension; the contents never get read.
  for (const file of ['a/y.BMP', 'a/z.ppm', 'b/w.pgm']) writeFileSync(join(folder, file), 'BM');
  const message = `ImageFolder: 3 image files in ${folder} (the first: ${join(folder, 'a', 'y.BMP')}) are BMP, PPM or PGM, which torchvision reads but this decoder cannot: convert them to PNG or JPEG`;
  await assert.rejects(scanImageFolder(folder), { message });
  await assert.rejects(ImageFolder.open(folder), { message });
  // Leaving those extensions out is the other way round it: here class b then holds no image.
  await assert.rejects(scanImageFolder(folder, ['.png']), /found no image files in the class folder b of/);
});

test('names that are not UTF-8 are kept, sorted and opened as torchvision does; messages show them with U+FFFD', async (t) => {
  const folder = join(root, 'latin1');
  // Latin-1 "café": the byte e9 alone is not UTF-8. Python's os.fsdecode makes it U+DCE9.
  const classBytes = Buffer.concat([Buffer.from(`${folder}/caf`), Buffer.of(0xe9)]);
  try {
    mkdirSync(classBytes, { recursive: true });
  } catch (error) {
    t.skip(`this file system refuses names that are not UTF-8 (${(error as NodeJS.ErrnoException).code})`);
    return;
  }
  mkdirSync(join(folder, 'b'));
  const inClass = (...name: (string | number)[]): Buffer =>
    Buffer.concat([classBytes, Buffer.from('/'), ...name.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.of(part)))]);
  const raw = noise(3, 2, 3, 11);
  const pngOf = async (pixels: Buffer): Promise<Buffer> =>
    sharp(pixels, { raw: { width: 3, height: 2, channels: 3 } })
      .png()
      .toBuffer();
  writeFileSync(inClass(0xe9, 't', 0xe9, '.png'), await pngOf(raw));
  writeFileSync(inClass(0xc3, '.png'), await pngOf(noise(3, 2, 3, 12)));
  for (const name of ['z.png', 'é.png', '\u0800.png']) writeFileSync(inClass(name), await pngOf(noise(3, 2, 3, 13)));
  writeFileSync(inClass('broken', 0xe9, '.jpg'), 'not a jpeg');
  await png(join(folder, 'b', 'p.png'), 2, 2, 3, 14);

  const ds = await ImageFolder.open(folder);
  assert.deepEqual(ds.classes, ['b', 'caf\udce9']);
  // Python sorts by code point: U+DCC3 and U+DCE9 (the escaped bytes) come after U+0800, though their bytes c3 and
  // e9 come before its e0 a0 80.
  assert.deepEqual(
    ds.samples.map((s) => [s.path.slice(folder.length + 1), s.label]),
    [
      ['b/p.png', 0],
      ['caf\udce9/broken\udce9.jpg', 1],
      ['caf\udce9/z.png', 1],
      ['caf\udce9/é.png', 1],
      ['caf\udce9/\u0800.png', 1],
      ['caf\udce9/\udcc3.png', 1],
      ['caf\udce9/\udce9t\udce9.png', 1],
    ],
  );
  const sample = await ds.get(6, new Generator(0));
  assert.equal(sample.image.data[(2 * 2 + 1) * 3 + 2], Math.fround(raw[(1 * 3 + 2) * 3 + 2] / 255)); // channel 2 of pixel (1, 2)
  await assert.rejects(Promise.resolve(ds.get(1, new Generator(0))), {
    message: `${folder}/caf\ufffd/broken\ufffd.jpg is not a decodable image (expected JPEG, PNG, WebP, GIF, TIFF or AVIF data)`,
  });
});

test('worker threads decode and augment exactly as the main thread', async () => {
  const ds = await ImageFolder.open(set, {
    transform: new Compose([new RandomResizedCrop(8), new RandomHorizontalFlip(), new Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2])]),
  });
  const run = async (numWorkers: number): Promise<Batch[]> => {
    const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 9, numWorkers, onSkip: () => undefined });
    const out: Batch[] = [];
    try {
      for await (const b of loader) out.push(b);
    } finally {
      await loader.close();
    }
    return out;
  };
  const [main, threaded] = [await run(0), await run(2)];
  assert.equal(main.length, threaded.length);
  main.forEach((b, i) => {
    assert.deepEqual(b.indices, threaded[i].indices);
    assert.deepEqual(b.images.shape, threaded[i].images.shape);
    assert.deepEqual(b.images.data, threaded[i].images.data);
  });
});
