/**
 * Timing and memory figures of one benchmark process: wall-clock times of
 * repeated runs after a warm-up, their median, and the process's peak RSS.
 */

export interface TimingOptions {
  /** Untimed runs first: JIT compilation, scratch buffers and caches settle. */
  warmup: number;
  /** Timed runs. */
  iters: number;
}

/** Runs `fn` warmup + iters times and returns the wall-clock milliseconds of the timed runs. */
export function timeRuns(fn: () => void, { warmup, iters }: TimingOptions): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** The median; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The highest resident set size this process has reached, in MiB (the kernel's ru_maxrss). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
