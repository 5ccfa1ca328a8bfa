/**
 * 1,000 seeded malformed requests over raw TCP (tools/fuzz/http) against an
 * in-process server: none crashes it, every valid request gets a status
 * line (bytes that are not HTTP may be closed on instead), no 5xx but
 * 503/504, the server stays live and classifying and drains at the end,
 * and memory stays bounded. `node --import tsx tools/fuzz/http/main.ts`
 * runs 10,000 and replays a single case with `--from I --cases 1`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findingLine, summaryLine } from '../../tools/fuzz/http/report.js';
import { runHttpFuzz } from '../../tools/fuzz/http/run.js';

test('1,000 seeded malformed requests: no crash, every one answered, the server still serves', { timeout: 180_000 }, async () => {
  const report = await runHttpFuzz({ cases: 1000, seed: 1, concurrency: 8 });
  const summary = summaryLine(report, 8);
  assert.equal(report.findings.length, 0, `${summary}\n${report.findings.map(findingLine).join('\n')}`);
  assert.equal(report.cases, 1000, summary);
  const closed = Object.values(report.closedWithoutAnswer).reduce((a, b) => a + b, 0);
  assert.equal(report.answered + closed, 1000, `every case answered, or closed on where its bytes allow it: ${summary}`);
  assert.ok(report.answered >= 900, `most cases get a status line: ${summary}`);
  assert.ok(report.alive && report.checks === 2, `health checks after 500 and 1,000 cases: ${summary}`);
  assert.ok((report.statuses['200'] ?? 0) > 0 && (report.statuses['400'] ?? 0) > 0, `valid and invalid requests both ran: ${summary}`);
  // The JS heap after a full collection is the leak signal. RSS also keeps what malloc's thread arenas, libvips'
  // cache and V8's reserve hold on to: 110-185 MB more after these 1,000 cases, about 200 MB after 10,000.
  assert.ok(report.heapAfterMb - report.heapBeforeMb < 64, `heap growth: ${summary}`);
  assert.ok(report.rssAfterMb - report.rssBeforeMb < 300, `RSS growth: ${summary}`);
});
