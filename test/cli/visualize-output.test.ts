/**
 * `alexnet visualize --output` below a file (`notimage.png/sub`) fails before
 * any work, naming --output and the file, rather than after loading the
 * weights and running the forward pass (or with the weights' error first).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertOneLineError, cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'alexnet-visualize-output-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('--output inside a file is refused first, naming --output and the file, before the weights are looked at', async () => {
  const file = join(work, 'notimage.png');
  writeFileSync(file, 'not a folder');
  const missingWeights = join(work, 'missing.pth');
  const [below, deeper] = await Promise.all([
    cli('visualize', '--weights', missingWeights, '--output', join(file, 'sub')),
    cli('visualize', '--weights', missingWeights, '--output', join(file, 'sub', 'deeper')),
  ]);
  for (const [r, output] of [
    [below, join(file, 'sub')],
    [deeper, join(file, 'sub', 'deeper')],
  ] as const) {
    assertOneLineError(r, new RegExp(`^alexnet: error: --output ${output}: ${file} is a file, expected a folder$`));
  }
  assert.equal(existsSync(join(work, 'missing.pth')), false);
});
