/**
 * node --import tsx tools/fuzz/http/main.ts [--cases 10000] [--seed 1] [--concurrency 8] [--from I] [--check-every N]
 *
 * Seeded malformed requests over raw TCP against an in-process inference
 * server (the tiny model, --max-body 1 MiB, --timeout-ms 2000): every case
 * must be answered with a status line (or, for bytes that are not valid
 * HTTP, closed on), with no 5xx but 503/504, and the server must stay live
 * and keep classifying. Prints each finding (`--from I --cases 1` replays
 * case I) and a summary line; exits 1 on any finding or a dead server.
 */
import { parseArgs } from 'node:util';
import { findingLine, sentPreview, summaryLine } from './report.js';
import { casesInFlight, runHttpFuzz } from './run.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    from: { type: 'string', default: '0' },
    'check-every': { type: 'string', default: '500' },
  },
});

function integer(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`http-fuzz: ${flag} must be an integer ≥ ${min}, got '${text}'`);
    process.exit(2);
  }
  return n;
}

const cases = integer(values.cases, '--cases', 1);
const seed = integer(values.seed, '--seed', 0);
const concurrency = integer(values.concurrency, '--concurrency', 1);
const from = integer(values.from, '--from', 0);
const checkEvery = integer(values['check-every'], '--check-every', 1);

// The server runs in this process: if it dies, name the cases that were being played.
const died = (error: unknown): void => {
  console.error(`http-fuzz: the process died: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const c of casesInFlight.values()) console.error(`  in flight: case #${c.index} (${c.kind}): ${c.detail}\n    sent: ${sentPreview(c)}`);
  process.exit(1);
};
process.on('uncaughtException', died);
process.on('unhandledRejection', died);

console.log(`http-fuzz: ${cases} cases from #${from}, seed ${seed}, concurrency ${concurrency}`);
const report = await runHttpFuzz({
  cases,
  seed,
  concurrency,
  from,
  checkEvery,
  onFinding: (f) => console.log(findingLine(f)),
  onProgress: (r) => console.error(`http-fuzz: ${r.cases} cases, ${r.findings.length} findings, ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB RSS`),
});
console.log(summaryLine(report, concurrency));
process.exitCode = report.findings.length === 0 && report.alive ? 0 : 1;
