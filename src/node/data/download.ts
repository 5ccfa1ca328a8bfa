/**
 * Downloads one file over HTTP(S) the safe way: into `<dest>.partial`, then
 * renamed, so an interrupted download never leaves a file that looks
 * complete. Shows a cli-progress bar when asked.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import cliProgress from 'cli-progress';

export interface DownloadOptions {
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /** Abort when no data arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Expected MD5 of the downloaded bytes (hex); on a mismatch nothing is kept and the download fails. */
  md5?: string;
}

export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const partial = `${dest}.partial`;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), idleMs);
  const stillAlive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleMs);
  };
  const bar = (options.progress ?? process.stderr.isTTY === true)
    ? new cliProgress.SingleBar({ format: `${basename(dest)} [{bar}] {percentage}% | {value}/{total} bytes`, stream: process.stderr },
      cliProgress.Presets.shades_classic)
    : null;
  await mkdir(dirname(dest), { recursive: true });
  const file = await open(partial, 'w');
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bar?.start(Number(response.headers.get('content-length') ?? 0), 0);
    const md5 = createHash('md5');
    let received = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      stillAlive();
      md5.update(chunk);
      await file.write(chunk);
      received += chunk.length;
      bar?.update(received);
    }
    await file.close();
    const digest = md5.digest('hex');
    if (options.md5 !== undefined && digest !== options.md5.toLowerCase()) {
      throw new Error(`MD5 ${digest} does not match the expected ${options.md5}`);
    }
    await rename(partial, dest);
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    const reason = controller.signal.aborted ? `no data for ${idleMs} ms` : describeFetchError(error);
    throw new Error(`download of ${url} failed: ${reason}`);
  } finally {
    clearTimeout(timer);
    bar?.stop();
  }
}

/** fetch hides the useful part ("ECONNREFUSED", "ENOTFOUND") in error.cause. */
function describeFetchError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
