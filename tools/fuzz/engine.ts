/**
 * Runs N seeded cases per format, each format in a worker thread, with a
 * per-case time limit: a case that runs past it is recorded as a hang, its
 * worker terminated and a new one started at the next case. Findings are
 * crashes (an error other than the reader's own), hangs and results beyond
 * the format's allocation bound.
 */
import { Worker } from 'node:worker_threads';

import { TARGETS } from './targets.js';
import type { CaseOutcome, WorkerJob, WorkerMessage } from './worker.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Formats to run (default: all). */
  formats?: readonly string[];
  /** A case running longer than this is a hang (default 10 s). */
  timeLimitMs?: number;
  /** Called after each format. */
  onFormat?: (report: FormatReport) => void;
}

export interface Finding {
  format: string;
  index: number;
  what: 'crash' | 'hang' | 'over-allocation';
  detail: string;
}

export interface FormatReport {
  format: string;
  cases: number;
  loaded: number;
  rejected: number;
  findings: Finding[];
  slowest: { index: number; ms: number; inputBytes: number };
  /** Largest result relative to its bound (1 = at the bound). */
  largestAllocationShare: number;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** A worker running worker.ts through tsx (the fuzzer runs from source, like the tests). */
function startWorker(job: WorkerJob): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: job });
}

/** Runs cases [from, to) of a format; resolves when done, or at the first hang with its index. */
function runWorker(job: WorkerJob, timeLimitMs: number, report: FormatReport): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(job);
    let current = -1;
    let startedAt = 0;
    let settled = false;
    const watchdog = setInterval(
      () => {
        if (current >= 0 && performance.now() - startedAt > timeLimitMs) {
          settled = true;
          clearInterval(watchdog);
          void worker.terminate();
          resolve(current);
        }
      },
      Math.min(250, timeLimitMs / 4),
    );
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'start') {
        current = message.index;
        startedAt = performance.now();
        return;
      }
      current = -1;
      record(report, message.index, message.ms, message.inputBytes, message.outcome);
    });
    worker.on('error', (error) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      reject(error);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      if (code === 0) resolve(null);
      else if (current >= 0) {
        // The worker died inside a case (a native crash, an exhausted heap): a crash of that case.
        report.findings.push({ format: job.format, index: current, what: 'crash', detail: `worker exited with code ${code}` });
        resolve(-current - 1);
      } else reject(new Error(`fuzz worker for ${job.format} exited with code ${code}`));
    });
  });
}

function record(report: FormatReport, index: number, ms: number, inputBytes: number, outcome: CaseOutcome): void {
  if (ms > report.slowest.ms) report.slowest = { index, ms, inputBytes };
  if (outcome.kind === 'rejected') report.rejected++;
  else if (outcome.kind === 'crash') report.findings.push({ format: report.format, index, what: 'crash', detail: outcome.message });
  else {
    report.loaded++;
    report.largestAllocationShare = Math.max(report.largestAllocationShare, outcome.allocated / outcome.bound);
    if (outcome.allocated > outcome.bound) {
      report.findings.push({
        format: report.format,
        index,
        what: 'over-allocation',
        detail: `${outcome.allocated} bytes for a ${inputBytes}-byte input (bound ${outcome.bound})`,
      });
    }
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FormatReport[]> {
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const formats = options.formats ?? TARGETS.map((t) => t.format);
  const reports: FormatReport[] = [];
  for (const format of formats) {
    const report: FormatReport = {
      format,
      cases: options.cases,
      loaded: 0,
      rejected: 0,
      findings: [],
      slowest: { index: -1, ms: 0, inputBytes: 0 },
      largestAllocationShare: 0,
    };
    let from = 0;
    while (from < options.cases) {
      const stopped = await runWorker({ format, seed: options.seed, from, to: options.cases }, timeLimitMs, report);
      if (stopped === null) break;
      if (stopped >= 0) {
        report.findings.push({ format, index: stopped, what: 'hang', detail: `still running after ${timeLimitMs} ms` });
        from = stopped + 1;
      } else from = -stopped; // a crashed worker: resume after the case
    }
    reports.push(report);
    options.onFormat?.(report);
  }
  return reports;
}
