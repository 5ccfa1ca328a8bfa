/**
 * runHttpFuzz: an InferenceServer on the tiny model in this process (a
 * small body limit and a short deadline, so oversize and stalled cases end
 * fast), `cases` generated cases played against it `concurrency` at a
 * time, a health check every `checkEvery` cases and at the end, and the
 * report.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startInProcess, tinyModelFile } from '../../../test/helpers/serve.js';
import { type CaseLimits, type FuzzCase, generateCase } from './cases.js';
import { exchange } from './exchange.js';
import { checkServer } from './health.js';
import { emptyReport, type Finding, type HttpFuzzReport, record } from './report.js';
import { makeSeedInputs } from './seed-inputs.js';

export interface HttpFuzzOptions {
  cases: number;
  seed: number;
  concurrency: number;
  /** The first case's index (0 unless replaying: `from: I, cases: 1` plays case I alone). */
  from?: number;
  /** Cases between health checks (500). */
  checkEvery?: number;
  /** The server's --max-body (1 MiB). */
  maxBodyBytes?: number;
  /** The server's --timeout-ms (2000). */
  timeoutMs?: number;
  onFinding?: (finding: Finding) => void;
  /** Called after each batch of `checkEvery` cases. */
  onProgress?: (report: HttpFuzzReport) => void;
}

/** Cases being played now, by index: what to name if the process dies. */
export const casesInFlight = new Map<number, FuzzCase>();

const mb = (bytes: number): number => bytes / (1024 * 1024);

/** A full garbage collection, so heap sizes compare live objects only (--expose-gc turned on at run time). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function runHttpFuzz(options: HttpFuzzOptions): Promise<HttpFuzzReport> {
  const { cases, seed, concurrency } = options;
  const from = options.from ?? 0;
  const checkEvery = options.checkEvery ?? 500;
  const timeoutMs = options.timeoutMs ?? 2000;
  const limits: CaseLimits = { maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, maxImagesPerRequest: 64 };
  const report = emptyReport(seed);
  const seeds = await makeSeedInputs();
  const server = await startInProcess(tinyModelFile(), { maxBodyBytes: limits.maxBodyBytes, maxImagesPerRequest: limits.maxImagesPerRequest, timeoutMs });
  const port = Number(new URL(server.url).port);
  const started = performance.now();
  collectGarbage();
  report.rssBeforeMb = report.peakRssMb = mb(process.memoryUsage.rss());
  report.heapBeforeMb = mb(process.memoryUsage().heapUsed);
  const check = async (): Promise<boolean> => {
    const failure = await checkServer(server.url, seeds.images.jpeg, 'image/jpeg');
    report.alive = failure === null;
    if (failure === null) {
      report.checks++;
      return true;
    }
    const f: Finding = { what: 'server-check', index: from + report.cases - 1, kind: '-', detail: `after ${report.cases} cases`, sent: '', got: failure };
    report.findings.push(f);
    options.onFinding?.(f);
    return false;
  };
  try {
    let next = from;
    const end = from + cases;
    while (next < end) {
      const batchEnd = Math.min(end, next + checkEvery);
      const play = async (): Promise<void> => {
        while (next < batchEnd) {
          const index = next++;
          const fuzzCase = generateCase(seeds, seed, index, limits);
          const deadline = timeoutMs + 5000 + fuzzCase.segments.reduce((sum, s) => sum + s.delayMs, 0);
          casesInFlight.set(index, fuzzCase);
          const ex = await exchange(port, fuzzCase, deadline);
          casesInFlight.delete(index);
          for (const f of record(report, fuzzCase, ex)) options.onFinding?.(f);
          report.peakRssMb = Math.max(report.peakRssMb, mb(process.memoryUsage.rss()));
        }
      };
      await Promise.all(Array.from({ length: concurrency }, play));
      const alive = await check();
      options.onProgress?.(report);
      if (!alive) break;
    }
    collectGarbage();
    report.rssAfterMb = mb(process.memoryUsage.rss());
    report.heapAfterMb = mb(process.memoryUsage().heapUsed);
  } finally {
    // The server must still drain: every request it took has ended (answered, timed out or its client gone).
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      server.close().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      const f: Finding = { what: 'shutdown', index: -1, kind: '-', detail: 'shutdown() did not finish within 15 s of the last case', sent: '', got: '' };
      report.findings.push(f);
      options.onFinding?.(f);
    }
    report.ms = performance.now() - started;
  }
  return report;
}
