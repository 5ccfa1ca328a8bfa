/**
 * Files one child process's outcome into its framework's result: a
 * measurement, a failure, or, for bf16 on a CPU that cannot run it, the
 * reason it is skipped. Kept apart from bench/run.ts so that the tests drive
 * the same code as the benchmark.
 */
import { bf16UnsupportedReason, type ChildOutcome } from './child.js';
import type { FrameworkResult } from './report.js';

/** The note of a bf16 run that this CPU cannot do: the child's own one-line reason. */
export function bf16SkipNote(reason: string): string {
  return `skipped on this CPU: ${reason}`;
}

/** Records `outcome` in `r`; returns what happened, in words, for the progress log. */
export function recordOutcome(r: FrameworkResult, outcome: ChildOutcome): string {
  if (outcome.ok) {
    const { measurement } = outcome;
    // A bf16 row that silently ran in fp32 would be a mislabelled row.
    if (r.id === 'native-bf16' && measurement.precision !== 'bf16') {
      const why = `ran in ${measurement.precision ?? 'an unreported precision'}, not bf16`;
      r.failures.push(why);
      return `failed: ${why}`;
    }
    r.measurements.push(measurement);
    return `${measurement.ms_per_batch.toFixed(1)} ms/batch (process ${(outcome.wallMs / 1000).toFixed(1)} s)`;
  }
  const unsupported = r.id === 'native-bf16' ? bf16UnsupportedReason(outcome.reason) : null;
  if (unsupported !== null) {
    r.skipped = bf16SkipNote(unsupported);
    return r.skipped;
  }
  r.failures.push(outcome.reason);
  return `failed: ${outcome.reason}`;
}
