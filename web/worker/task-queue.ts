/**
 * One model job at a time, in arrival order. The worker's jobs (a request
 * from the page, one training step, one evaluation batch) each run to the
 * end before the next starts, and training waits its turn between steps, so
 * a picture dropped during training is classified after the current step,
 * not after the whole run.
 */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job queued before it; its result or error is the returned promise's. */
  run<T>(job: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    // The queue moves on whether the job failed or not.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Lets the worker's message events in: a macrotask turn (a resolved promise
 * would not), so requests that arrived during a step queue up before the next one.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
