/**
 * The part of autocannon's programmatic API (v8) that bench/serve uses:
 * autocannon ships no types and @types/autocannon is not a dependency.
 * Field meanings as in autocannon's README ("autocannon(opts[, cb])").
 */
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    interface Options {
      url: string;
      /** Concurrent connections, each with one request in flight (pipelining 1). */
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds a response may take before it counts as a timeout (and an error). */
      timeout?: number;
      /** Each connection cycles through these in order. */
      requests?: Request[];
    }

    /** Percentiles of a histogram (latency in ms), as autocannon names them. */
    interface Histogram {
      mean: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
    }

    /** What the run reports at its end (the benchmark computes its own from the events). */
    interface Result {
      /** Seconds the run took. */
      duration: number;
      errors: number;
      non2xx: number;
    }

    /** The running benchmark: an event emitter that is also a promise of its result. */
    interface Instance extends PromiseLike<Result> {
      /** Every answer: its status code, size and time in ms (a float, from process.hrtime). */
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
      /** A request with no answer: a connection error, or a timeout ("request timed out"). */
      on(event: 'reqError', listener: (error: Error) => void): this;
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export default autocannon;
}
