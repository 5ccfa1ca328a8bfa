/**
 * Errors raised while reading or writing weight files. Every message names
 * the file (its `source`: a path, URL or label given by the caller) and the
 * problem, so a user can act on it without a stack trace.
 */

export class FormatError extends Error {
  /** The file (or label) the problem was found in. */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FormatError';
    this.source = source;
  }
}

/**
 * A pickle asked for a Python global that is not on the allow-list. Loading
 * stops there: nothing from the file is ever executed, and the refusal names
 * the global so the user knows what the file tried to do.
 */
export class UnsafePickleError extends FormatError {
  readonly globalName: string;

  constructor(source: string, globalName: string) {
    super(source, `refusing to load global '${globalName}' from ${source}: only tensors and plain containers are allowed`);
    this.name = 'UnsafePickleError';
    this.globalName = globalName;
  }
}

/** Throws a FormatError worded `<source>: <problem>`. */
export function fail(source: string, problem: string): never {
  throw new FormatError(source, `${source}: ${problem}`);
}

/**
 * Runs a parser and re-throws anything that is not already a FormatError
 * (a RangeError from a typed-array constructor, a stack overflow on absurd
 * nesting...) as a FormatError that says which file and what was being read.
 */
export function withFormatContext<T>(source: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FormatError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new FormatError(source, `${source}: cannot read ${what}: ${detail}`, { cause: error });
  }
}
