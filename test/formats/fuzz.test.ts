/**
 * Seeded fuzzing of every reader (tools/fuzz, the engine of `npm run fuzz`):
 * 1,000 mutants of valid files per format (.pth zip and legacy,
 * .safetensors, .npy, IDX raw and gzipped, JPEG, PNG, WebP). Each must load
 * within the format's allocation bound or be rejected with the reader's own
 * error naming the file: no other error, no hang (10 s per case), no result
 * beyond the bound. `npm run fuzz` runs 10,000 per format.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runFuzz } from '../../tools/fuzz/engine.js';
import { TARGETS } from '../../tools/fuzz/targets.js';

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
