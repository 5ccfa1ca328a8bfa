/**
 * The `--output results.jsonl` file of `alexnet classify`: one JSON object
 * per line and image, appended batch by batch, so a run that stops (killed,
 * preempted, out of time) keeps what it did and a rerun with the same
 * arguments does only the rest. Lines are never rewritten: resuming reads
 * which files already have a line and cuts off a last line that was cut
 * short mid-write (no newline at its end), so that image is redone. Only a
 * line of ours is cut: the bytes after the last newline must begin as every
 * line the writer writes begins, and the cut waits for the first write, so a
 * run that fails before classifying anything leaves the file as it was.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { Prediction } from '../../models/predictions.js';

/** An image's result: what `alexnet classify --json` prints for it. */
export interface ClassifiedLine {
  file: string;
  top: Prediction[];
}

/** An image that could not be read or decoded: the one-line message the command would have failed with. */
export interface ErrorLine {
  file: string;
  error: string;
}

export type ResultLine = ClassifiedLine | ErrorLine;

export interface ExistingResults {
  /** The files that have a line (a result or an error). */
  done: Set<string>;
  /** Bytes up to and including the last newline: the complete lines. */
  completeBytes: number;
  /** Bytes after the last newline: a line cut short, to be cut off before appending (0 when none). */
  partialBytes: number;
}

/**
 * How every line the writer writes begins: JSON.stringify puts `file` first,
 * a string, with no space (json.dump's `{"file": "` has one, so a file
 * written by another tool never passes for a line of ours cut short).
 */
const LINE_START = Buffer.from('{"file":"');

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory';
  return (error as Error).message.split('\n')[0];
}

/** A line that is not a result: told apart from the read errors around it. */
class NotResultsError extends Error {}

/** The `file` of one complete line; a line that is not one of ours fails, rather than being appended to or guessed at. */
function fileOfLine(text: string, lineNumber: number, path: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const file = (value as { file?: unknown } | undefined)?.file;
  if (typeof value !== 'object' || value === null || typeof file !== 'string') {
    throw new NotResultsError(`cannot resume --output ${path}: line ${lineNumber} is not a result line ({"file": ..., "top" or "error": ...})`);
  }
  return file;
}

/**
 * Whether the bytes after the last newline (`head`: their first bytes, up to
 * LINE_START's length) can be the start of a line of ours that a kill cut short.
 */
function isLineCutShort(head: Buffer): boolean {
  return head.equals(LINE_START.subarray(0, head.length));
}

/**
 * What the bytes after the last newline leave to cut: all of them for a line
 * of ours cut short, none for blanks (lines are trimmed when read, so a line
 * appended after them still reads); anything else is not ours to cut and fails.
 */
function bytesToCut(tail: Buffer[], tailBytes: number, lineNumber: number, path: string): number {
  if (tailBytes === 0 || isLineCutShort(Buffer.concat(tail, Math.min(tailBytes, LINE_START.length)))) return tailBytes;
  if (Buffer.concat(tail).toString('utf8').trim() === '') return 0;
  throw new NotResultsError(
    `cannot resume --output ${path}: line ${lineNumber} (the last, with no newline) is not a result line cut short ({"file": ..., "top" or "error": ...})`,
  );
}

/**
 * What `path` already holds (nothing when it does not exist). Read as a
 * stream: a run over millions of images has an output too large to read as
 * one string.
 */
export async function readExistingResults(path: string): Promise<ExistingResults> {
  const done = new Set<string>();
  let completeBytes = 0;
  let lineNumber = 0;
  let pending: Buffer[] = []; // the current line's bytes so far
  let pendingBytes = 0;
  const finishLine = (tail: Buffer): void => {
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    lineNumber++;
    completeBytes += bytes.length + 1;
    const text = bytes.toString('utf8').trim();
    if (text !== '') done.add(fileOfLine(text, lineNumber, path));
  };
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        finishLine(chunk.subarray(start, nl));
        start = nl + 1;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { done, completeBytes: 0, partialBytes: 0 };
    if (error instanceof NotResultsError) throw error;
    throw new Error(`cannot read --output ${path}: ${reason(error)}`);
  }
  return { done, completeBytes, partialBytes: bytesToCut(pending, pendingBytes, lineNumber + 1, path) };
}

/** Appends result lines to the output file, each batch in one write. */
export class ResultsWriter {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Where the line `existing` found cut short begins, cut there by the first append; null when there is none. */
    private cutAt: number | null,
  ) {}

  /**
   * Opens `path` for appending (creating it). Fails before any image is
   * classified when the file cannot be written; changes nothing in it, so a
   * run that then fails (missing weights) leaves it as it was.
   */
  static async open(path: string, existing: ExistingResults): Promise<ResultsWriter> {
    try {
      return new ResultsWriter(path, await open(path, 'a'), existing.partialBytes > 0 ? existing.completeBytes : null);
    } catch (error) {
      throw new Error(`cannot write --output ${path}: ${reason(error)}`);
    }
  }

  /**
   * One write for the whole batch: with O_APPEND the lines land together at
   * the end, and a kill leaves at most one line cut short, which the next
   * run cuts off. The first append first cuts off the one this run found.
   */
  async append(lines: readonly ResultLine[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    try {
      if (this.cutAt !== null) await this.handle.truncate(this.cutAt);
      this.cutAt = null;
      await this.handle.appendFile(text, 'utf8');
    } catch (error) {
      throw new Error(`cannot write --output ${this.path}: ${reason(error)}`);
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
