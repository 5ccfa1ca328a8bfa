/**
 * `alexnet classify --output` never touches a file that is not its own (a
 * last line without a newline is cut only when it begins as the writer's
 * lines begin, and only by the first write, so a run that fails first leaves
 * the file as it was); and image names that are not UTF-8 are listed,
 * classified, written and resumed as the bytes they are. The CLI runs use
 * a small seeded ONNX CNN and PNGs generated here.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.js';
import { listImages } from '../../src/node/classify/image-list.js';
import { readExistingResults, ResultsWriter } from '../../src/node/classify/jsonl-results.js';
import { fsPath } from '../../src/node/data/image-folder.js';
import { writeOnnxFile } from '../../src/node/onnx/onnx-files.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { manualSeed } from '../../src/tensor/random.js';
import { assertOneLineError, cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'alexnet-classify-output-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A line as the writer writes it. */
const line = (file: string): string => `${JSON.stringify({ file, top: [{ index: 1, label: null, prob: 0.5 }] })}\n`;

describe('the last line of --output, when it has no newline', () => {
  const dir = join(work, 'tails');
  mkdirSync(dir);

  // Text, json.dump's compact list and its single object (a space after the colon), a line of another tool.
  const foreign = ['my notes, no newline', '[{"file": "x.png", "top": []}]', '{"file": "x.png", "top": []}', '{"path":"x.png"}', 'x'];
  for (const [i, tail] of foreign.entries()) {
    test(`is refused, the file unchanged, when it is not the start of a line of ours: ${JSON.stringify(tail)}`, async () => {
      const path = join(dir, `foreign-${i}.jsonl`);
      const before = i % 2 === 0 ? tail : line('a.png') + tail; // alone, and after a complete line of ours
      writeFileSync(path, before);
      const n = i % 2 === 0 ? 1 : 2;
      await assert.rejects(
        readExistingResults(path),
        new RegExp(`^Error: cannot resume --output .*foreign-${i}\\.jsonl: line ${n} \\(the last, with no newline\\) is not a result line cut short`),
      );
      assert.equal(readFileSync(path, 'utf8'), before);
    });
  }

  test('is cut off by the first append, not by opening, when it is a line of ours cut short (however short)', async () => {
    for (const cut of ['{', '{"fi', '{"file":"', '{"file":"c.png","top":[{"ind']) {
      const path = join(dir, 'ours.jsonl');
      writeFileSync(path, line('a.png') + cut);
      const existing = await readExistingResults(path);
      assert.deepEqual(existing, { done: new Set(['a.png']), completeBytes: line('a.png').length, partialBytes: cut.length });
      const writer = await ResultsWriter.open(path, existing);
      assert.equal(readFileSync(path, 'utf8'), line('a.png') + cut, 'opening changes nothing');
      await writer.append([{ file: 'c.png', top: [] }]);
      await writer.append([{ file: 'd.png', error: 'bad' }]); // cut once only
      await writer.close();
      assert.equal(readFileSync(path, 'utf8'), `${line('a.png')}{"file":"c.png","top":[]}\n{"file":"d.png","error":"bad"}\n`);
    }
  });

  test('is kept when it is blank: nothing to cut, and the line appended after it still reads', async () => {
    const path = join(dir, 'blank.jsonl');
    writeFileSync(path, `${line('a.png')}  \t`);
    const existing = await readExistingResults(path);
    assert.equal(existing.partialBytes, 0);
    const writer = await ResultsWriter.open(path, existing);
    await writer.append([{ file: 'b.png', top: [] }]);
    await writer.close();
    assert.equal(readFileSync(path, 'utf8'), `${line('a.png')}  \t{"file":"b.png","top":[]}\n`);
    assert.deepEqual((await readExistingResults(path)).done, new Set(['a.png', 'b.png']));
  });
});

/** A small PNG whose pixels depend on `seed`. */
function png(seed: number): Promise<Buffer> {
  const [width, height] = [48, 40];
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (seed + 7) + seed * 31) & 0xff;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A path inside `dir` whose last name has the bytes `name`, which need not be UTF-8. */
const bytePath = (dir: string, name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), name]);

/** caf\xe9.png and caf\xe8.png: Latin-1 names, not UTF-8. */
const CAFE_E9 = Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from('.png')]);
const CAFE_E8 = Buffer.from([...Buffer.from('caf'), 0xe8, ...Buffer.from('.png')]);

interface Result {
  file: string;
  top?: Array<{ index: number; prob: number }>;
  error?: string;
}

describe('alexnet classify', { concurrency: 2 }, () => {
  const weights = join(work, 'seeded-cnn.onnx');
  const photos = join(work, 'photos');
  const classify = (...args: string[]) => cli('classify', '--weights', weights, '--topk', '3', ...args);

  before(async () => {
    mkdirSync(join(photos, 'sub'), { recursive: true });
    writeFileSync(join(photos, 'a.png'), await png(1));
    writeFileSync(bytePath(photos, CAFE_E9), await png(2));
    writeFileSync(bytePath(join(photos, 'sub'), CAFE_E8), await png(3));
    // A small seeded CNN as an ONNX image model (input [N, 3, 64, 64], 10 classes): classify's whole pipeline, fast.
    manualSeed(20240602);
    const model = new Sequential(new Conv2d(3, 16, 8, { stride: 4 }), new ReLU(), new MaxPool2d(3, { stride: 2 }), new Flatten(), new Linear(16 * 7 * 7, 10));
    await writeOnnxFile(weights, exportOnnx(model, [3, 64, 64]));
  });

  test('--output leaves a file that is not its own as it was, whether or not the weights are there', async () => {
    const notes = join(work, 'notes.txt');
    const compact = join(work, 'compact.json');
    writeFileSync(notes, 'my notes, no newline');
    writeFileSync(compact, '[{"file": "x.png", "top": []}]');
    const photo = join(photos, 'a.png');
    const runs = await Promise.all([cli('classify', photo, '--weights', join(work, 'missing.pth'), '--output', notes), classify(photo, '--output', compact)]);
    for (const r of runs) assertOneLineError(r, /cannot resume --output .*: line 1 \(the last, with no newline\) is not a result line cut short/);
    assert.equal(readFileSync(notes, 'utf8'), 'my notes, no newline');
    assert.equal(readFileSync(compact, 'utf8'), '[{"file": "x.png", "top": []}]');
  });

  test('--output cuts a line of its own cut short only once it writes: a run that fails on the weights first leaves it', async () => {
    const path = join(work, 'cut.jsonl');
    const before = `${line(join(photos, 'zzz.png'))}{"file":"${join(photos, 'a.png')}","top":[{"in`;
    writeFileSync(path, before);
    const failed = await cli('classify', join(photos, 'a.png'), '--weights', join(work, 'missing.pth'), '--output', path);
    assertOneLineError(failed, /missing\.pth/);
    assert.equal(readFileSync(path, 'utf8'), before);
    const resumed = await classify(join(photos, 'a.png'), '--output', path);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /classified 1, skipped 0, already done 0/);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0], line(join(photos, 'zzz.png')).trimEnd());
    assert.equal((JSON.parse(lines[1]) as Result).top?.length, 3);
  });

  test('lists names that are not UTF-8 surrogate-escaped, as ImageFolder keeps them: directories, --recursive and globs', async () => {
    const e9 = join(photos, 'caf\udce9.png');
    const e8 = join(photos, 'sub', 'caf\udce8.png');
    assert.deepEqual(await listImages([photos]), [join(photos, 'a.png'), e9]);
    assert.deepEqual(await listImages([photos], { recursive: true }), [join(photos, 'a.png'), e9, e8]);
    assert.deepEqual(await listImages([join(photos, '**', 'caf*.png')]), [e9, e8].sort());
    // The name gives the file's bytes back.
    assert.deepEqual(fsPath(e9), bytePath(photos, CAFE_E9));
    assert.deepEqual(readFileSync(fsPath(e8)), readFileSync(bytePath(join(photos, 'sub'), CAFE_E8)));
  });

  test('classifies a file whose name is not UTF-8: JSON names it with \\udce9, the table with U+FFFD', async () => {
    const [json, table] = await Promise.all([classify(photos, '--json'), classify(photos)]);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(json.stdout.includes(JSON.stringify(join(photos, 'caf\udce9.png'))), 'the name is written as \\udce9');
    assert.ok(json.stdout.includes('caf\\udce9.png'));
    const results = JSON.parse(json.stdout) as Result[];
    assert.deepEqual(
      results.map((r) => r.file),
      [join(photos, 'a.png'), join(photos, 'caf\udce9.png')],
    );
    for (const r of results) assert.equal(r.top?.length, 3, JSON.stringify(r));
    assert.equal(table.code, 0, table.stderr);
    assert.ok(table.stdout.includes(`\n\n${join(photos, 'caf\uFFFD.png')}\n   1. `), table.stdout);
  });

  test('--output writes a name that is not UTF-8 so that a rerun finds it done', async () => {
    const path = join(work, 'names.jsonl');
    const first = await classify(photos, '--recursive', '--output', path);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^alexnet: classified 3, skipped 0, already done 0 \(resumed\); all 3 images;/);
    const text = readFileSync(path, 'utf8');
    const files = text
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as Result).file);
    assert.deepEqual(files, [join(photos, 'a.png'), join(photos, 'caf\udce9.png'), join(photos, 'sub', 'caf\udce8.png')]);
    assert.ok(text.includes('caf\\udce9.png') && text.includes('caf\\udce8.png'));
    const again = await classify(photos, '--recursive', '--output', path);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^alexnet: classified 0, skipped 0, already done 3 \(resumed\);/);
    assert.equal(readFileSync(path, 'utf8'), text);
  });
});
