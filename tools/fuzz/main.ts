/**
 * npm run fuzz [-- --cases N --seed S --format F[,F…] --time-limit-ms T]
 *
 * Mutates valid files of every format the readers take (.pth zip and legacy,
 * .safetensors, .npy, IDX raw and gzipped, JPEG, PNG, WebP, ONNX), 10,000 cases per
 * format by default, and prints per-format counts, the slowest case and the
 * largest result against the allocation bound; exits 1 on any crash, hang or
 * over-allocation, naming the case (`--format F --seed S --cases I+1` replays case I: a
 * case depends only on the seed, the format and its index).
 */
import { parseArgs } from 'node:util';

import { runFuzz, type FormatReport } from './engine.js';
import { SELF_TEST_TARGETS, TARGETS } from './targets.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    format: { type: 'string' },
    'time-limit-ms': { type: 'string', default: '10000' },
  },
});

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`fuzz: ${flag} must be a positive integer, got '${text}'`);
    process.exit(2);
  }
  return n;
}

const cases = positive(values.cases, '--cases');
const seed = positive(values.seed, '--seed');
const timeLimitMs = positive(values['time-limit-ms'], '--time-limit-ms');
const formats = values.format?.split(',').map((f) => f.trim());
const known = [...TARGETS, ...SELF_TEST_TARGETS].map((t) => t.format);
const unknown = formats?.find((f) => !known.includes(f));
if (unknown !== undefined) {
  console.error(`fuzz: unknown format '${unknown}': expected one of ${TARGETS.map((t) => t.format).join(', ')}`);
  process.exit(2);
}

function line(r: FormatReport): string {
  const slow = `slowest #${r.slowest.index} ${r.slowest.ms.toFixed(1)} ms (${r.slowest.inputBytes} B)`;
  const share = `largest result ${(100 * r.largestAllocationShare).toFixed(2)}% of bound`;
  return `${r.format.padEnd(12)} ${String(r.cases).padStart(6)} cases: ${String(r.loaded).padStart(6)} loaded, ${String(r.rejected).padStart(6)} rejected, ${r.findings.length} findings; ${slow}; ${share}`;
}

console.log(`fuzz: ${cases} cases per format, seed ${seed}, ${timeLimitMs} ms per case`);
const started = performance.now();
const reports = await runFuzz({ cases, seed, formats, timeLimitMs, onFormat: (r) => console.log(line(r)) });
const findings = reports.flatMap((r) => r.findings);
for (const f of findings) console.log(`FINDING ${f.what} ${f.format}#${f.index}: ${f.detail}`);
console.log(`fuzz: ${reports.reduce((n, r) => n + r.cases, 0)} cases in ${((performance.now() - started) / 1000).toFixed(1)} s, ${findings.length} findings`);
process.exitCode = findings.length === 0 ? 0 : 1;
