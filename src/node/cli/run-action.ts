/**
 * How every command reports failure: one line naming what went wrong on
 * stderr and a non-zero exit code; the stack trace only with --verbose.
 */
export function isVerbose(): boolean {
  return process.argv.includes('--verbose') || process.env.ALEXNET_VERBOSE === '1';
}

export function reportError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`alexnet: error: ${message}\n`);
  if (isVerbose() && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/** Wraps a commander action so that a thrown error becomes one message and exit code 1. */
export function runAction<A extends unknown[]>(action: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      reportError(error);
      process.exitCode = 1;
    }
  };
}
