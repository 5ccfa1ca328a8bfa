/**
 * Downloads a file and verifies its checksum before it appears under its
 * final name: bytes stream into `<destination>.partial` while being hashed,
 * and only a file whose digest matches is renamed into place. Any failure
 * (network, HTTP status, cut connection, no data for a while, wrong digest)
 * deletes the partial file, so the cache never holds a bad copy.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { makeDirectories } from './make-directories.js';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import cliProgress from 'cli-progress';

export interface Checksum {
  algorithm: 'sha256' | 'md5';
  /** Hex digits the digest must equal, or start with when `prefix` is set (torch.hub's file-name check). */
  expected: string;
  prefix?: boolean;
}

export interface DownloadOptions {
  /** Verified before the file is renamed into place; omitted only for sources trusted as they are. */
  checksum?: Checksum;
  /** Show a progress bar on stderr; default: when stderr is a terminal. */
  progress?: boolean;
  /** Give up when no data arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  path: string;
  /** Hex digest in the checksum's algorithm (sha256 when none was asked for). */
  digest: string;
  bytes: number;
}

export async function downloadFile(url: string, destination: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const algorithm = options.checksum?.algorithm ?? 'sha256';
  const expected = options.checksum?.expected.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]+$/.test(expected)) throw new Error(`download ${url}: invalid ${algorithm} checksum '${expected}'`);
  const partial = `${destination}.partial`;
  const byHand = `to install it by hand, download ${url} and save it as ${destination}`;
  await makeDirectories(dirname(destination));

  // Aborts the request when the server goes quiet, so a stalled download fails instead of hanging.
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let idleTimer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  const stillAlive = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };

  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal: controller.signal });
  } catch (error) {
    clearTimeout(idleTimer);
    throw new Error(`cannot download ${url}: ${describeNetworkError(error)}; ${byHand}`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    clearTimeout(idleTimer);
    throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}; ${byHand}`);
  }
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;

  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `downloading ${url.split('/').pop()} [{bar}] {percentage}% {value}/{total} bytes`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total ?? 0, 0);

  const hash = createHash(algorithm);
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      stillAlive();
      hash.update(chunk);
      received += chunk.length;
      bar?.update(received);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream), meter, createWriteStream(partial));
    if (total !== undefined && received !== total) throw new Error('the connection closed early');
  } catch (error) {
    clearTimeout(idleTimer);
    bar?.stop();
    await rm(partial, { force: true });
    throw new Error(`download of ${url} failed after ${received} of ${total ?? 'unknown'} bytes: ${describeNetworkError(error)}; nothing was saved`, {
      cause: error,
    });
  }
  clearTimeout(idleTimer);
  bar?.stop();

  const digest = hash.digest('hex');
  const matches = expected === undefined || (options.checksum?.prefix ? digest.startsWith(expected) : digest === expected);
  if (!matches) {
    await rm(partial, { force: true });
    const name = algorithm === 'sha256' ? 'SHA-256' : 'MD5';
    const rule = options.checksum?.prefix ? 'should start with' : 'should be';
    throw new Error(`download of ${url} is corrupt or not the expected file: ${name} ${rule} ${expected} but is ${digest}; nothing was saved`);
  }
  await rename(partial, destination);
  return { path: destination, digest, bytes: received };
}

/** fetch() hides the useful part ("ECONNREFUSED", "other side closed") in `cause`. */
function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const text = [e.message, e.code].filter((x): x is string => typeof x === 'string' && x !== '' && !parts.includes(x)).join(' ');
    if (text !== '') parts.push(text);
  }
  return parts.join(': ') || String(error);
}
