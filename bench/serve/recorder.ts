/**
 * The answers of the recorded part of a load run, from autocannon's
 * per-response events. The warm-up and the recorded part are one
 * continuous run, so the recording starts on a server in its steady state
 * (queue full, batches at their size) rather than on one still working off
 * requests that an earlier run cut off.
 */

export interface RecordedLoad {
  seconds: number;
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  /** Requests with no answer: connection errors and timeouts (counted here too). */
  errors: number;
  timeouts: number;
  /** Status codes other than 2xx and how often, e.g. { '503': 12 }. */
  otherStatuses: Record<string, number>;
  /** ms, over every answer (2xx or not). */
  p50: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile `p` (0 to 100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export class ResponseRecorder {
  private recording = false;
  private startedAt = 0;
  private stoppedAt = 0;
  private readonly latencies: number[] = [];
  private readonly statuses = new Map<number, number>();
  private errors = 0;
  private timeouts = 0;

  start(): void {
    this.recording = true;
    this.startedAt = performance.now();
  }

  stop(): void {
    if (this.recording) this.stoppedAt = performance.now();
    this.recording = false;
  }

  response(status: number, ms: number): void {
    if (!this.recording) return;
    this.latencies.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  /** autocannon reports a timeout as an error "request timed out". */
  error(error: Error): void {
    if (!this.recording) return;
    this.errors++;
    if (/timed out/.test(error.message)) this.timeouts++;
  }

  result(): RecordedLoad {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const other = [...this.statuses].filter(([status]) => status < 200 || status > 299);
    const non2xx = other.reduce((n, [, count]) => n + count, 0);
    return {
      seconds: (this.stoppedAt - this.startedAt) / 1000,
      ok: this.latencies.length - non2xx,
      non2xx,
      errors: this.errors,
      timeouts: this.timeouts,
      otherStatuses: Object.fromEntries(other.map(([status, count]) => [String(status), count])),
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    };
  }
}
