/**
 * `alexnet classify` over many images: directories, --recursive and globs,
 * --output results.jsonl (error lines for bad images, resuming after a
 * kill), --shard i/n; and the modules behind them (the image list, the
 * shard hash, the JSON-lines reader and writer). The CLI runs use real
 * photos (scikit-image's sample data) and a seeded random model, so every
 * run gives the same numbers.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.js';
import { listImages } from '../../src/node/classify/image-list.js';
import { readExistingResults, ResultsWriter } from '../../src/node/classify/jsonl-results.js';
import { filesInShard, fnv1a32, parseShard, shardOf } from '../../src/node/classify/shard.js';
import { writeOnnxFile } from '../../src/node/onnx/onnx-files.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { manualSeed } from '../../src/tensor/random.js';
import { assertOneLineError, type CliResult, cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'alexnet-classify-batch-'));
after(() => rmSync(work, { recursive: true, force: true }));

// ---- the shard hash and --shard ------------------------------------------------

describe('shard', () => {
  test('fnv1a32 is 32-bit FNV-1a over UTF-8 bytes (reference vectors)', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // 'é' is the two bytes C3 A9, hashed one after the other.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    assert.equal(fnv1a32('é'), h);
  });

  test('shards are disjoint, cover every file, are balanced and do not depend on the other files', () => {
    const files = Array.from({ length: 4000 }, (_, i) => `data/train/n${String(i % 100).padStart(8, '0')}/img_${i}.JPEG`);
    const parts = [0, 1, 2, 3].map((index) => filesInShard(files, { index, count: 4 }));
    assert.deepEqual(parts.flat().sort(), [...files].sort());
    for (const part of parts) assert.ok(part.length > 800 && part.length < 1200, `unbalanced: ${parts.map((p) => p.length)}`);
    // A file keeps its shard when the list around it changes.
    const subset = files.filter((_, i) => i % 7 === 0);
    assert.deepEqual(
      filesInShard(subset, { index: 2, count: 4 }),
      parts[2].filter((f) => subset.includes(f)),
    );
    assert.ok(files.every((f) => shardOf(f, 1) === 0));
  });

  test('parseShard reads i/n and names --shard and what it expects otherwise', () => {
    assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
    assert.deepEqual(parseShard('7/8'), { index: 7, count: 8 });
    for (const bad of ['3/3', 'a/b', '1', '0/0', '-1/2', '1/2/3', '', '99999999999999999999/1']) {
      assert.throws(() => parseShard(bad), new RegExp(`^Error: --shard '${bad.replace(/[/\\]/g, '\\$&')}': expected i/n with 0 ≤ i < n`));
    }
  });
});

// ---- the results file ---------------------------------------------------------------

describe('jsonl results', () => {
  const dir = join(work, 'jsonl');
  mkdirSync(dir, { recursive: true });

  test('a missing file has nothing done', async () => {
    assert.deepEqual(await readExistingResults(join(dir, 'none.jsonl')), { done: new Set(), completeBytes: 0, partialBytes: 0 });
  });

  test('complete lines count as done; a last line cut short is cut off before appending, and only it', async () => {
    const path = join(dir, 'partial.jsonl');
    const complete = `${JSON.stringify({ file: 'a.jpg', top: [{ index: 1, label: null, prob: 0.5 }] })}\n\n${JSON.stringify({ file: 'b.jpg', error: 'bad' })}\n`;
    writeFileSync(path, `${complete}{"file":"c.jpg","to`);
    const existing = await readExistingResults(path);
    assert.deepEqual(existing.done, new Set(['a.jpg', 'b.jpg']));
    assert.equal(existing.completeBytes, Buffer.byteLength(complete));
    assert.equal(existing.partialBytes, '{"file":"c.jpg","to'.length);
    const writer = await ResultsWriter.open(path, existing);
    await writer.append([
      { file: 'c.jpg', top: [] },
      { file: 'd.jpg', error: 'cannot read image d.jpg: no such file' },
    ]);
    await writer.close();
    assert.equal(readFileSync(path, 'utf8'), `${complete}{"file":"c.jpg","top":[]}\n{"file":"d.jpg","error":"cannot read image d.jpg: no such file"}\n`);
    const again = await readExistingResults(path);
    assert.deepEqual(again.done, new Set(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']));
    assert.equal(again.partialBytes, 0);
  });

  test('lines across read chunks (a file of several 64 KiB chunks, multi-byte names) are read whole', async () => {
    const path = join(dir, 'large.jsonl');
    const files = Array.from({ length: 3000 }, (_, i) => `photos/été/${'x'.repeat(i % 50)}${i}.jpg`);
    writeFileSync(path, files.map((file) => `${JSON.stringify({ file, top: [{ index: 3, label: 'tench', prob: 0.25 }] })}\n`).join(''));
    const existing = await readExistingResults(path);
    assert.equal(existing.done.size, files.length);
    assert.ok(files.every((f) => existing.done.has(f)));
    assert.equal(existing.completeBytes, readFileSync(path).length);
  });

  test('a complete line that is not a result fails, naming the file and the line', async () => {
    const path = join(dir, 'foreign.jsonl');
    writeFileSync(path, '{"file":"a.jpg","top":[]}\nnot json\n');
    await assert.rejects(readExistingResults(path), /^Error: cannot resume --output .*foreign\.jsonl: line 2 is not a result line/);
  });
});

// ---- listing images -----------------------------------------------------------------

describe('listImages', () => {
  const root = join(work, 'listing');
  for (const f of ['b.jpg', 'a.PNG', 'notes.txt', '.hidden.jpg', 'sub/c.webp', 'sub/deeper/d.tiff', '.cache/e.jpg', 'photo[1].jpg', 'nested/only/f.gif']) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  const p = (...names: string[]) => names.map((n) => join(root, n));

  test('a directory lists its image files (any case, hidden ones skipped); --recursive adds subdirectories; sorted', async () => {
    assert.deepEqual(await listImages([root]), p('a.PNG', 'b.jpg', 'photo[1].jpg'));
    assert.deepEqual(
      await listImages([root], { recursive: true }),
      p('a.PNG', 'b.jpg', 'nested/only/f.gif', 'photo[1].jpg', 'sub/c.webp', 'sub/deeper/d.tiff'),
    );
  });

  test("globs, files named directly (whatever their extension) and duplicates, in the arguments' order", async () => {
    assert.deepEqual(await listImages([join(root, '**/*.{webp,tiff}')]), p('sub/c.webp', 'sub/deeper/d.tiff'));
    // An existing file whose name has glob characters is that file, not a pattern.
    assert.deepEqual(await listImages([join(root, 'photo[1].jpg')]), p('photo[1].jpg'));
    assert.deepEqual(
      await listImages([join(root, 'notes.txt'), join(root, 'b.jpg'), root, `${root}/./b.jpg`]),
      p('notes.txt', 'b.jpg', 'a.PNG', 'photo[1].jpg'),
    );
  });

  test('a missing file, or no image at all, fails in one line naming the arguments', async () => {
    await assert.rejects(listImages([join(root, 'missing.jpg')]), /^Error: cannot read image .*missing\.jpg: no such file$/);
    await assert.rejects(listImages([join(root, 'nested')]), /^Error: no images found in .*nested \(extensions .*; --recursive also lists subdirectories\)$/);
    await assert.rejects(listImages([join(root, '*.gif')]), /^Error: no images found in .*\*\.gif \(extensions \.jpg .*\)$/);
  });
});

// ---- the command ----------------------------------------------------------------------

const PHOTOS = '/usr/lib/python3/dist-packages/skimage/data';
/** Photo → where it goes in the image tree (an upper-case extension, two levels of subdirectories). */
const TREE: Record<string, string> = {
  'chelsea.png': 'chelsea.png',
  'coffee.png': 'coffee.png',
  'astronaut.png': 'sub/astronaut.png',
  'motorcycle_left.png': 'sub/MOTORCYCLE.PNG',
  'hubble_deep_field.jpg': 'sub/deeper/hubble_deep_field.jpg',
};
const missingPhotos = Object.keys(TREE).filter((name) => !existsSync(join(PHOTOS, name)));
const skip = missingPhotos.length > 0 && `scikit-image's sample photos are not installed (${PHOTOS}; Debian: apt-get install python3-skimage)`;

const images = join(work, 'images');
const weights = join(work, 'seeded-cnn.onnx');
const photo = (name: string): string => join(images, TREE[name]);
const BAD = join(images, 'bad.jpg');

interface Result {
  file: string;
  top?: Array<{ index: number; label: string | null; prob: number }>;
  error?: string;
}

const parseLines = (text: string): Result[] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Result);

/** `alexnet classify` with the seeded model and the top 3. */
const classify = (...args: string[]): Promise<CliResult> => cli('classify', '--weights', weights, '--topk', '3', ...args);

/** A run several tests compare against, started by the first that needs it. */
function shared<T>(start: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    promise ??= start();
    return promise;
  };
}

/**
 * The backends' matrix products take other paths for a few rows than for
 * many, so an image's probabilities can differ in the last bits with the
 * batch it ran in. Runs compared across different batches (another
 * directory, a resumed or sharded run) therefore use --batch-size 1, which
 * makes every forward pass alike; the default batch is compared with
 * --json's same batches.
 */
const ONE = ['--batch-size', '1'];

/** --json for the five photos named one by one: what every --output line must equal. */
function jsonRun(...flags: string[]): () => Promise<Map<string, Result>> {
  return shared(async () => {
    const r = await classify(...Object.keys(TREE).map(photo), '--json', ...flags);
    assert.equal(r.code, 0, r.stderr);
    return new Map((JSON.parse(r.stdout) as Result[]).map((result) => [result.file, result]));
  });
}
const expected = jsonRun(...ONE);
const expectedBatched = jsonRun();

/** The whole tree, --recursive, into FILE. */
function outputRun(file: string, ...flags: string[]): () => Promise<{ r: CliResult; text: string }> {
  return shared(async () => {
    const r = await classify(images, '--recursive', '--output', join(work, file), ...flags);
    assert.equal(r.code, 0, r.stderr);
    return { r, text: readFileSync(join(work, file), 'utf8') };
  });
}
const fullRun = outputRun('full.jsonl', ...ONE);
const fullRunBatched = outputRun('full-batched.jsonl');

const sortedFiles = (results: Result[]): string[] => results.map((r) => r.file).sort();

describe('alexnet classify over many images', { concurrency: 2, skip }, () => {
  before(async () => {
    for (const [name, place] of Object.entries(TREE)) {
      mkdirSync(join(images, place, '..'), { recursive: true });
      copyFileSync(join(PHOTOS, name), join(images, place));
    }
    // A JPEG cut off after its first kilobytes, and a text file a directory listing ignores.
    writeFileSync(BAD, readFileSync(join(PHOTOS, 'hubble_deep_field.jpg')).subarray(0, 2000));
    writeFileSync(join(images, 'notes.txt'), 'not an image\n');
    // A small seeded CNN as an ONNX image model (input [N, 3, 64, 64], 10 classes): the same
    // preprocessing and pipeline as AlexNet, at a fraction of its forward time on the js backend.
    manualSeed(20240601);
    const model = new Sequential(new Conv2d(3, 16, 8, { stride: 4 }), new ReLU(), new MaxPool2d(3, { stride: 2 }), new Flatten(), new Linear(16 * 7 * 7, 10));
    await writeOnnxFile(weights, exportOnnx(model, [3, 64, 64]));
  });

  test('--output writes the --json objects one per line; a bad image gets an error line, is counted, and exit code is 0', async () => {
    const [want, wantBatched, { r, text }, batched] = await Promise.all([expected(), expectedBatched(), fullRun(), fullRunBatched()]);
    for (const run of [r, batched.r]) {
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^alexnet: classified 5, skipped 1 unreadable .*already done 0 \(resumed\); all 6 images; results in .*\.jsonl\n$/);
    }
    for (const [lines, expectedLines] of [
      [parseLines(text), want],
      [parseLines(batched.text), wantBatched],
    ] as const) {
      assert.deepEqual(
        lines.map((l) => l.file),
        [BAD, ...[...want.keys()].sort()],
      );
      assert.deepEqual(lines[0], { file: BAD, error: `${BAD} is not a decodable image (expected JPEG, PNG, WebP, GIF, TIFF or AVIF data)` });
      for (const line of lines.slice(1)) assert.deepEqual(line, expectedLines.get(line.file));
      assert.ok(lines.slice(1).every((l) => l.top?.length === 3 && l.top[0].prob > 0));
    }
    // Batched or not, the same classes with probabilities equal to a few float32 ulps.
    for (const [file, result] of wantBatched) {
      const single = want.get(file)!;
      assert.deepEqual(
        result.top!.map((p) => p.index),
        single.top!.map((p) => p.index),
      );
      for (const [i, p] of result.top!.entries()) assert.ok(Math.abs(p.prob - single.top![i].prob) < 1e-6, `${file}: ${p.prob} vs ${single.top![i].prob}`);
    }
  });

  test('without --recursive a directory gives its own images only; without --output a bad image still fails the command', async () => {
    const [want, direct, printed] = await Promise.all([expected(), classify(images, '--output', join(work, 'direct.jsonl'), ...ONE), classify(images)]);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stderr, /classified 2, skipped 1 unreadable/);
    const lines = parseLines(readFileSync(join(work, 'direct.jsonl'), 'utf8'));
    assert.deepEqual(
      lines.map((l) => l.file),
      [BAD, photo('chelsea.png'), photo('coffee.png')],
    );
    for (const line of lines.slice(1)) assert.deepEqual(line, want.get(line.file));
    assertOneLineError(printed, /bad\.jpg is not a decodable image/);
  });

  test('a glob pattern gives the files it matches (--json, in sorted order)', async () => {
    const [want, r] = await Promise.all([expected(), classify(join(images, '**', '*.png'), '--json', ...ONE)]);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout) as Result[];
    // The pattern is case-sensitive: MOTORCYCLE.PNG does not match *.png.
    assert.deepEqual(
      results.map((x) => x.file),
      [photo('chelsea.png'), photo('coffee.png'), photo('astronaut.png')],
    );
    for (const result of results) assert.deepEqual(result, want.get(result.file));
  });

  test('a rerun resumes: lines kept as they are, a line cut short redone, every image exactly once, same results', async () => {
    const { text } = await fullRun();
    const path = join(work, 'resume.jsonl');
    const lines = text.trimEnd().split('\n');
    const gone = new Set([photo('coffee.png'), photo('astronaut.png'), photo('hubble_deep_field.jpg')]);
    const kept = `${lines.filter((l) => !gone.has((JSON.parse(l) as Result).file)).join('\n')}\n`;
    // As if killed while writing the hubble line: half of it, no newline.
    const hubble = lines.find((l) => l.includes('hubble_deep_field'))!;
    writeFileSync(path, kept + hubble.slice(0, hubble.length >> 1));

    const r = await classify(images, '--recursive', '--output', path, ...ONE);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^alexnet: classified 3, skipped 0, already done 3 \(resumed\); all 6 images;/);
    const after = readFileSync(path, 'utf8');
    assert.ok(after.startsWith(kept), 'the lines already there are not rewritten');
    const resumed = parseLines(after);
    assert.deepEqual(sortedFiles(resumed), sortedFiles(parseLines(text)));
    assert.deepEqual(after.trimEnd().split('\n').sort(), [...lines].sort());

    // Nothing left to do: the model is not even loaded, the file does not change.
    const again = await classify(images, '--recursive', '--output', path);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^alexnet: classified 0, skipped 0, already done 6 \(resumed\);/);
    assert.equal(readFileSync(path, 'utf8'), after);
  });

  test('--shard 0/2 and 1/2 are disjoint, each file in the shard its path hashes to, and together the unsharded run', async () => {
    const [{ text }, ...shards] = await Promise.all([
      fullRun(),
      classify(images, '--recursive', '--shard', '0/2', '--output', join(work, 'shard0.jsonl'), ...ONE),
      classify(images, '--recursive', '--shard', '1/2', '--output', join(work, 'shard1.jsonl'), ...ONE),
    ]);
    const parts = shards.map((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`shard ${i}/2: \\d of 6 images; results in`));
      return readFileSync(join(work, `shard${i}.jsonl`), 'utf8');
    });
    const [files0, files1] = parts.map((part) => sortedFiles(parseLines(part)));
    assert.ok(files0.length > 0 && files1.length > 0, `a shard is empty: ${files0} | ${files1}`);
    assert.ok(files0.every((f) => !files1.includes(f) && shardOf(f, 2) === 0));
    assert.ok(files1.every((f) => shardOf(f, 2) === 1));
    assert.deepEqual(parts.join('').trimEnd().split('\n').sort(), text.trimEnd().split('\n').sort());
  });

  test('bad --shard and --batch-size values end in one line naming the flag, before any model loads', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--shard', '3/3'], /--shard '3\/3': expected i\/n with 0 ≤ i < n/],
      [['--shard', 'a/b'], /--shard 'a\/b': expected i\/n/],
      [['--shard', '1'], /--shard '1': expected i\/n/],
      [['--shard', '0/0'], /--shard '0\/0': expected i\/n/],
      [['--batch-size', '0'], /--batch-size '0': expected a positive integer/],
    ];
    const results = await Promise.all(cases.map(([flags]) => classify(images, '--output', join(work, 'never.jsonl'), ...flags)));
    for (const [i, r] of results.entries()) assertOneLineError(r, cases[i][1]);
    assert.ok(!existsSync(join(work, 'never.jsonl')));
  });

  test('a shard holding none of the images says so on stderr and prints no empty line', async () => {
    const one = photo(Object.keys(TREE)[0]);
    const other = 1 - shardOf(one, 2);
    const r = await classify(one, '--shard', `${other}/2`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `alexnet: nothing to classify: shard ${other}/2 holds none of the 1 images\n`);
    const json = await classify(one, '--shard', `${other}/2`, '--json');
    assert.equal(json.stdout, '[]\n');
  });
});
