/**
 * The bench page's script: `runBench(job)` starts a module web worker
 * (browser/worker.ts) on the job and resolves with its one reply. The runner
 * (bench/web/run.ts) opens a fresh browser per job and calls it through
 * Playwright.
 */
import type { WorkerJob, WorkerReply } from './protocol.js';

interface BrowserWorker {
  onmessage: ((event: { data: WorkerReply }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(job: WorkerJob): void;
  terminate(): void;
}

const page = globalThis as unknown as {
  Worker: new (url: string, options: { type: 'module' }) => BrowserWorker;
  runBench?: (job: WorkerJob) => Promise<WorkerReply>;
};

page.runBench = (job) =>
  new Promise((resolve) => {
    const worker = new page.Worker('/worker.js', { type: 'module' });
    const done = (reply: WorkerReply): void => {
      worker.terminate();
      resolve(reply);
    };
    worker.onmessage = (event) => done(event.data);
    worker.onerror = (event) => done({ ok: false, error: `worker error: ${event.message ?? 'the worker did not load'}` });
    worker.postMessage(job);
  });
