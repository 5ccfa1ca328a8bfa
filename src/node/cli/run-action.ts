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
  if (isVerbose()) process.stderr.write(stackChain(error));
}

/** The error's stack, then each `cause`'s (a wrapper's stack alone ends where it rethrew, not where it failed). */
function stackChain(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    lines.push(`${lines.length === 0 ? '' : 'Caused by: '}${current.stack ?? current.message}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
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
