/**
 * One format's cases, in a worker thread (engine.ts watches it: a case that
 * runs past the time limit is a hang, and the thread is terminated). Posts
 * `start` before each case and `done` with its outcome after.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { caseSeed, lengthFields, mutate, seededRandom } from './mutate.js';
import { targetFor } from './targets.js';

export interface WorkerJob {
  format: string;
  seed: number;
  from: number;
  to: number;
}

export type CaseOutcome = { kind: 'loaded'; allocated: number; bound: number } | { kind: 'rejected' } | { kind: 'crash'; message: string };

export type WorkerMessage = { type: 'start'; index: number } | { type: 'done'; index: number; ms: number; inputBytes: number; outcome: CaseOutcome };

async function run(job: WorkerJob): Promise<void> {
  const target = targetFor(job.format);
  const bases = await target.bases();
  const fields = bases.map((b) => target.fields?.(b) ?? lengthFields(b));
  const port = parentPort!;
  for (let index = job.from; index < job.to; index++) {
    const rand = seededRandom(caseSeed(job.seed, job.format, index));
    const b = Math.floor(rand() * bases.length);
    // Half of a format's cases use its own structure-keeping mutations, where it has them.
    const structured = target.mutate !== undefined && rand() < 0.5 ? target.mutate(bases[b], rand) : null;
    const mutant = structured ?? mutate(bases[b], fields[b], rand);
    const source = `${job.format}#${index}`;
    port.postMessage({ type: 'start', index } satisfies WorkerMessage);
    const start = performance.now();
    let outcome: CaseOutcome;
    try {
      const allocated = await target.read(mutant, source, rand);
      outcome = { kind: 'loaded', allocated, bound: target.bound(mutant.length) };
    } catch (error) {
      outcome = target.expectedError(error, source)
        ? { kind: 'rejected' }
        : { kind: 'crash', message: `${(error as Error)?.constructor?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}` };
    }
    port.postMessage({ type: 'done', index, ms: performance.now() - start, inputBytes: mutant.length, outcome } satisfies WorkerMessage);
  }
}

run(workerData as WorkerJob).catch((error: unknown) => {
  // Setting up the bases failed: not a finding about a case, so say it plainly.
  console.error(`fuzz worker for ${(workerData as WorkerJob).format}: ${(error as Error).stack ?? String(error)}`);
  process.exit(2);
});
