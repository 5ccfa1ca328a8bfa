/**
 * What the bench page's worker is asked (WorkerJob) and answers (WorkerReply):
 * shared by the worker (browser/worker.ts), the page (browser/page.ts) and
 * the runner (run.ts). Types only: nothing here runs.
 */

/** The frameworks of the browser bench. */
export type WebFrameworkId = 'alexnet-ts' | 'tfjs' | 'ort';

/** One batch size to time in a worker: its input (.npy URL) and how many untimed, then timed, runs. */
export interface JobCase {
  batch: number;
  input: string;
  warmup: number;
  iters: number;
}

export interface WorkerJob {
  framework: WebFrameworkId;
  /** Threads asked of the framework: 1 (single-threaded build) or more (its threaded build: needs a cross-origin isolated page). */
  threads: number;
  /** The weights' URL, same origin: the .pth for alexnet-ts and TF.js, the .onnx for onnxruntime-web. */
  weights: string;
  cases: JobCase[];
}

export interface CaseTiming {
  batch: number;
  /** Wall-clock ms of each timed run: one forward pass with the logits read back into JavaScript. */
  times: number[];
  /** The logits of the last run, [batch, 1000] row-major. */
  logits: number[];
}

export type WorkerReply =
  | {
      ok: true;
      /** The build the framework runs, in words ("wasm simd-threads, 2 threads"). */
      backend: string;
      /** The threads it reports running on. */
      threads: number;
      /** self.crossOriginIsolated in the worker. */
      isolated: boolean;
      /** ms from the job's start to the model ready to run (fetching and converting the weights included). */
      loadMs: number;
      cases: CaseTiming[];
    }
  | { ok: false; error: string };
