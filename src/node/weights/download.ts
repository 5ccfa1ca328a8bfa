/**
 * Downloads a file and verifies its SHA-256 before it appears under its
 * final name: bytes stream into `<destination>.partial` while being hashed,
 * and only a file whose hash starts with the expected prefix is renamed into
 * place. Any failure (network, HTTP status, cut connection, wrong hash)
 * deletes the partial file, so the cache never holds a bad copy.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import cliProgress from 'cli-progress';

export interface DownloadOptions {
  /** Leading hex digits the file's SHA-256 must start with. */
  sha256Prefix: string;
  /** Show a progress bar on stderr; default: when stderr is a terminal. */
  progress?: boolean;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

export async function downloadVerified(url: string, destination: string, options: DownloadOptions): Promise<DownloadResult> {
  const expected = options.sha256Prefix.toLowerCase();
  if (!/^[0-9a-f]+$/.test(expected)) throw new Error(`download ${url}: invalid SHA-256 prefix '${options.sha256Prefix}'`);
  const partial = `${destination}.partial`;
  const byHand = `to install it by hand, download ${url} and save it as ${destination}`;
  await mkdir(dirname(destination), { recursive: true });

  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new Error(`cannot download ${url}: ${describeNetworkError(error)}; ${byHand}`, { cause: error });
  }
  if (!response.ok || response.body === null) {
    throw new Error(`cannot download ${url}: HTTP ${response.status} ${response.statusText}; ${byHand}`);
  }
  const lengthHeader = response.headers.get('content-length');
  const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;

  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const bar = showProgress ? new cliProgress.SingleBar({
    stream: process.stderr,
    format: `downloading ${url.split('/').pop()} [{bar}] {percentage}% {value}/{total} bytes`,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic) : null;
  bar?.start(total ?? 0, 0);

  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
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
    bar?.stop();
    await rm(partial, { force: true });
    throw new Error(`download of ${url} failed after ${received} of ${total ?? 'unknown'} bytes: ${describeNetworkError(error)}; nothing was saved`, { cause: error });
  }
  bar?.stop();

  const sha256 = hash.digest('hex');
  if (!sha256.startsWith(expected)) {
    await rm(partial, { force: true });
    throw new Error(`download of ${url} is corrupt or not the expected file: SHA-256 should start with ${expected} but is ${sha256}; nothing was saved`);
  }
  await rename(partial, destination);
  return { path: destination, sha256, bytes: received };
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
