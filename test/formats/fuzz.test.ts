/**
 * Seeded fuzzing of every reader (tools/fuzz, the engine of `npm run fuzz`):
 * 1,000 mutants of valid files per format (.pth zip and legacy,
 * .safetensors, .npy, IDX raw and gzipped, JPEG, PNG, WebP, and ONNX models,
 * which are imported and, when they load, run once on zero inputs). Each must load
 * within the format's allocation bound or be rejected with the reader's own
 * error naming the file: no other error, no hang (10 s per case), no result
 * beyond the bound. `npm run fuzz` runs 10,000 per format.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeModel } from '../../src/onnx/model-proto.js';
import { runFuzz } from '../../tools/fuzz/engine.js';
import { protobufFields, seededRandom } from '../../tools/fuzz/mutate.js';
import { mutateOnnx } from '../../tools/fuzz/onnx-mutate.js';
import { TARGETS, targetFor } from '../../tools/fuzz/targets.js';

const CASES = 1000;

test(`${CASES} mutants per format load within bounds or fail with a message naming the file`, { timeout: 10 * 60 * 1000 }, async () => {
  const reports = await runFuzz({ cases: CASES, seed: 20261201, timeLimitMs: 10_000 });
  assert.deepEqual(
    reports.map((r) => r.format),
    TARGETS.map((t) => t.format),
  );
  for (const r of reports) {
    assert.deepEqual(r.findings, [], `${r.format}: ${r.findings.map((f) => `${f.what} #${f.index}: ${f.detail}`).join('; ')}`);
    assert.equal(r.loaded + r.rejected, CASES, `${r.format}: every case finished`);
    assert.ok(r.rejected > CASES / 10, `${r.format}: ${r.rejected} rejected: the mutations reach the parser`);
    assert.ok(r.loaded > 0, `${r.format}: some mutants still load (the bases are valid)`);
  }
});

test('the fuzzer cuts off hangs at the time limit and reports crashes and dying workers, going on after each', async () => {
  const [hang, crash] = await runFuzz({ cases: 3, seed: 1, formats: ['self-test-hang', 'self-test-crash'], timeLimitMs: 400 });
  assert.deepEqual(
    hang.findings.map((f) => [f.what, f.index]),
    [
      ['hang', 0],
      ['hang', 1],
      ['hang', 2],
    ],
  );
  assert.deepEqual(
    crash.findings.map((f) => [f.what, f.index]),
    [
      ['crash', 0],
      ['crash', 1],
      ['crash', 2],
    ],
  );
  assert.match(crash.findings[1].detail, /TypeError: boom/);
  assert.match(crash.findings[0].detail, /worker exited with code 3/);
});

test("the onnx target's own mutations keep the protobuf well-formed and change the model; its varint fields are found", async () => {
  const bases = await targetFor('onnx').bases();
  let changed = 0;
  for (let i = 0; i < 300; i++) {
    const base = bases[i % bases.length];
    const mutant = mutateOnnx(base, seededRandom(i));
    if (mutant === null) continue;
    if (!Buffer.from(mutant).equals(Buffer.from(base))) changed++;
    try {
      decodeModel(mutant, 'mutant.onnx');
    } catch (error) {
      assert.doesNotMatch((error as Error).message, /not a valid ONNX model/, 'the bytes still decode as a ModelProto');
    }
  }
  assert.ok(changed > 250, `${changed} of 300 mutants differ from their base`);
  for (const base of bases) {
    const fields = protobufFields(base);
    assert.ok(fields.includes(1), 'ir_version, the first varint');
    assert.ok(fields.length > 20, `${fields.length} varints`);
  }
});
