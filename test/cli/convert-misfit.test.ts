/**
 * `alexnet convert IN OUT.onnx` with a state dict that does not fit its model:
 * the input is a positional argument and the model may be recognized from the
 * keys, so the error names the file and how the model was chosen, never
 * "--weights" or "--model" flags the user did not give.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { savePthFile } from '../../src/node/weights/weight-files.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertOneLineError, cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'alexnet-convert-misfit-'));
const file = (name: string): string => join(work, name);
after(() => rmSync(work, { recursive: true, force: true }));

before(async () => {
  // alexnet's first and last keys (what recognizes the model), with shapes it does not have and nothing else.
  await savePthFile(
    file('partial.pth'),
    new Map([
      ['features.0.weight', Tensor.zeros([2, 3, 1, 1])],
      ['classifier.6.weight', Tensor.zeros([2, 4])],
    ]),
  );
});

test('a state dict recognized as alexnet but not fitting it names the input and says the model was recognized', async () => {
  const r = await cli('convert', file('partial.pth'), file('partial.onnx'));
  assertOneLineError(r, /partial\.pth does not fit model 'alexnet' \(recognized from its keys; name another with --model\): /);
  assert.doesNotMatch(r.stderr, /--weights/);
  assert.equal(existsSync(file('partial.onnx')), false);
});

test('with --model the error says the model was named by it', async () => {
  const r = await cli('convert', file('partial.pth'), file('named.onnx'), '--model', 'alexnet');
  assertOneLineError(r, /partial\.pth does not fit model 'alexnet' \(named by --model\): /);
  assert.doesNotMatch(r.stderr, /--weights/);
  assert.equal(existsSync(file('named.onnx')), false);
});
