/**
 * Full-size photos (skimage's chelsea, coffee, astronaut, camera; PNG, JPEG
 * q90, WebP, RGBA) through decode + Resize(256) + CenterCrop(224) + ToTensor
 * against torchvision 0.14 on PIL. The fixtures are too big to commit:
 * tools/gen_image_fixtures.py --full writes them to test/fixtures/generated/
 * (run here when missing and /usr/bin/python3 has torchvision).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { imagenetEvalPixels } from '../../src/image/imagenet.js';
import { toTensor } from '../../src/image/to-tensor.js';
import { readImage } from '../../src/node/image/decode.js';
import { compareBytes, describeComparison, GENERATED, readBytes, readJson, tensorToBytes } from './helpers.js';

interface FullCase {
  file: string;
  width: number;
  height: number;
  decoded: string;
  eval: { resize: number; crop: number; expected: string };
}

const PYTHON = '/usr/bin/python3';
const MANIFEST = new URL('manifest.json', GENERATED);

/** Makes sure the generated fixtures exist; returns why not when they cannot be made. */
function ensureFixtures(): string | undefined {
  if (existsSync(MANIFEST)) return undefined;
  const probe = spawnSync(PYTHON, ['-c', 'import torchvision, PIL, skimage'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `test/fixtures/generated/image is missing and ${PYTHON} with torchvision, PIL and skimage is not available to generate it`;
  }
  const script = fileURLToPath(new URL('../../tools/gen_image_fixtures.py', import.meta.url));
  const run = spawnSync(PYTHON, [script, '--full'], { encoding: 'utf8' });
  if (run.status !== 0 || !existsSync(MANIFEST)) {
    throw new Error(`tools/gen_image_fixtures.py --full failed: ${(run.stderr || String(run.error)).trim().split('\n').pop()}`);
  }
  return undefined;
}

const skipReason = ensureFixtures();
const cases = skipReason ? [] : readJson<{ cases: FullCase[] }>('manifest.json', GENERATED).cases;
const path = (file: string): string => fileURLToPath(new URL(file, GENERATED));

test('full-size photos decode like PIL (PNG exactly; JPEG/WebP measured)', { skip: skipReason }, async (t) => {
  assert.ok(cases.length >= 9);
  for (const c of cases) {
    const image = await readImage(path(c.file));
    assert.deepEqual([image.width, image.height], [c.width, c.height], c.file);
    const comparison = compareBytes(image.data, readBytes(c.decoded, GENERATED), `${c.file} decode`);
    t.diagnostic(`${c.file} decode: ${describeComparison(comparison)}`);
    if (c.file.endsWith('.png')) assert.equal(comparison.maxDiff, 0, `${c.file}: ${describeComparison(comparison)}`);
    assert.ok(comparison.withinOneFraction >= 0.999 && comparison.maxDiff <= 2, `${c.file}: ${describeComparison(comparison)}`);
  }
});

test('the eval transform before Normalize matches torchvision on full-size photos', { skip: skipReason }, async (t) => {
  for (const c of cases) {
    const what = `${c.file} Resize(${c.eval.resize}) CenterCrop(${c.eval.crop}) ToTensor`;
    const tensor = toTensor(imagenetEvalPixels(await readImage(path(c.file)), c.eval));
    assert.deepEqual(tensor.shape, [3, 224, 224], what);
    const comparison = compareBytes(tensorToBytes(tensor.data, what), readBytes(c.eval.expected, GENERATED), what);
    t.diagnostic(`${what}: ${describeComparison(comparison)}`);
    if (c.file.endsWith('.png')) assert.equal(comparison.maxDiff, 0, `${what}: ${describeComparison(comparison)}`);
    assert.ok(comparison.withinOneFraction >= 0.999, `${what}: ${describeComparison(comparison)}`);
    assert.ok(comparison.maxDiff <= 2, `${what}: ${describeComparison(comparison)}`);
  }
});
