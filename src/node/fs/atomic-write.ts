/**
 * Writes a file so that readers see either the old contents or the complete
 * new ones, never a half-written file: the data goes to a temporary name in
 * the same directory (same filesystem, so rename is atomic), is flushed to
 * disk, then renamed over the target. On failure the temporary is removed.
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type FileData = string | Uint8Array | readonly Uint8Array[];

export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const chunks = typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
