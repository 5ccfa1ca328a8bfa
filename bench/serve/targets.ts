/**
 * The serving targets of the issue, judged on one run's numbers:
 *
 * (a) throughput: at concurrency 64 with 224×224 JPEGs the server answers at
 *     least 0.8× the images/s of `alexnet bench --batch 32` (batching and
 *     HTTP cost at most a fifth of the engine's speed);
 * (b) latency: the p99 at concurrency 8 is at most --max-delay-ms plus two
 *     forward passes of a batch of 8 (a request waits for at most the batch
 *     in flight and its own);
 * (c) soak: no error and no non-2xx answer, and resident memory grows by at
 *     most 10% from 30 s into the load to its end.
 */
import type { EngineSpeed } from './engine.js';
import type { LoadResult } from './load.js';
import { rssGrowth, type SoakResult } from './soak.js';

export const THROUGHPUT_RATIO = 0.8;
export const MAX_RSS_GROWTH = 0.1;
export const LATENCY_CONCURRENCY = 8;
export const THROUGHPUT_CONCURRENCY = 64;

export interface Target {
  name: string;
  measured: string;
  required: string;
  /** null: not measured in this run (the concurrency was not run, the CLI bench failed, the soak too short). */
  pass: boolean | null;
}

const notMeasured = (name: string, required: string, why: string): Target => ({ name, measured: `not measured: ${why}`, required, pass: null });

export function throughputTarget(runs: readonly LoadResult[], bench32: EngineSpeed | string): Target {
  const name = `(a) throughput, concurrency ${THROUGHPUT_CONCURRENCY}, 224×224 JPEGs`;
  const required = `≥ ${THROUGHPUT_RATIO.toFixed(2)}× \`alexnet bench --batch 32\``;
  const run = runs.find((r) => r.concurrency === THROUGHPUT_CONCURRENCY);
  if (run === undefined) return notMeasured(name, required, `concurrency ${THROUGHPUT_CONCURRENCY} was not run`);
  if (typeof bench32 === 'string') return notMeasured(name, required, `alexnet bench --batch 32 failed: ${bench32}`);
  const ratio = run.imagesPerS / bench32.imagesPerS;
  return {
    name,
    measured: `${ratio.toFixed(2)}× (${run.imagesPerS.toFixed(1)} vs ${bench32.imagesPerS.toFixed(1)} images/s)`,
    required,
    pass: ratio >= THROUGHPUT_RATIO,
  };
}

export function latencyTarget(runs: readonly LoadResult[], bench8: EngineSpeed | string, maxDelayMs: number): Target {
  const name = `(b) p99 latency, concurrency ${LATENCY_CONCURRENCY}, 224×224 JPEGs`;
  const run = runs.find((r) => r.concurrency === LATENCY_CONCURRENCY);
  if (typeof bench8 === 'string') return notMeasured(name, `≤ max delay + 2 × batch-8 forward`, `alexnet bench --batch 8 failed: ${bench8}`);
  const bound = maxDelayMs + 2 * bench8.msPerBatch;
  const required = `≤ ${bound.toFixed(0)} ms (${maxDelayMs} ms max delay + 2 × ${bench8.msPerBatch.toFixed(1)} ms batch of 8)`;
  if (run === undefined) return notMeasured(name, required, `concurrency ${LATENCY_CONCURRENCY} was not run`);
  if (Number.isNaN(run.p99)) return { name, measured: 'no answer in the recorded run', required, pass: false };
  return { name, measured: `${run.p99.toFixed(0)} ms`, required, pass: run.p99 <= bound };
}

export function soakTargets(result: SoakResult): Target[] {
  const failures = result.load.errors + result.load.non2xx;
  const growth = rssGrowth(result.samples);
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return [
    {
      name: `(c) soak, ${result.seconds} s: errors and non-2xx answers`,
      measured: `${result.load.errors} errors, ${result.load.non2xx} non-2xx of ${result.load.ok + result.load.non2xx + result.load.errors}`,
      required: '0',
      pass: failures === 0,
    },
    growth === null
      ? notMeasured(`(c) soak, ${result.seconds} s: RSS growth`, `≤ ${MAX_RSS_GROWTH * 100}%`, 'no two samples 30 s or more into the load')
      : {
          name: `(c) soak, ${result.seconds} s: RSS growth`,
          measured: `${(growth.ratio * 100).toFixed(1)}% (${mib(growth.from.bytes)} at ${growth.from.at} s → ${mib(growth.to.bytes)} at ${growth.to.at} s)`,
          required: `≤ ${MAX_RSS_GROWTH * 100}%`,
          pass: growth.ratio <= MAX_RSS_GROWTH,
        },
  ];
}
