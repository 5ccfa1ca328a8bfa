/**
 * Writes a file so that readers see either the old contents or the complete
 * new ones, never a half-written file: the data goes to a temporary name in
 * the same directory (same filesystem, so rename is atomic), is flushed to
 * disk, then renamed over the target. On failure the temporary is removed.
 * An existing target keeps what a plain overwrite would keep: a symbolic link
 * stays a link (the file it points to is replaced, or created when missing),
 * and the file's permission bits carry over (a 0600 checkpoint does not become 0644).
 */
import { type FileHandle, lstat, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export type FileData = string | Uint8Array | readonly Uint8Array[];

/** How many symbolic links a path may pass through, as Linux's open(2) allows (a cycle fails with ELOOP). */
const MAX_LINK_HOPS = 40;

/**
 * The file a write to `path` replaces (through symbolic links), and its permission bits; for a new file, where it
 * is created: the path itself, or the missing file a symbolic link names (as torch.save, np.save and cp create it,
 * keeping the link).
 */
async function replacedFile(path: string): Promise<{ target: string; mode: number | undefined }> {
  try {
    const target = await realpath(path);
    return { target, mode: (await stat(target)).mode & 0o7777 };
  } catch {
    return { target: await newFileTarget(path), mode: undefined };
  }
}

/** Follows symbolic links from `path` to the first name that is not one (a dangling link's missing target). */
async function newFileTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < MAX_LINK_HOPS; hops++) {
    try {
      if (!(await lstat(current)).isSymbolicLink()) return current;
      // A relative link is relative to the directory the link is in, as that directory really is.
      current = resolve(await realpath(dirname(current)), await readlink(current));
    } catch {
      return current; // nothing there (or unreadable): the write itself reports why it fails
    }
  }
  throw new Error(`cannot write ${path}: ELOOP: more than ${MAX_LINK_HOPS} symbolic links (a cycle?)`);
}

export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const { target, mode } = await replacedFile(path);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const chunks = typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    if (mode !== undefined) await handle.chmod(mode);
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
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw new Error(`cannot write ${path}: ${failureReason(error, temp, path)}`, { cause: error });
  }
}

/** Common errno codes in words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
};

/** Why a write failed, in terms of the path the caller named: the temporary file's name means nothing to the user. */
function failureReason(error: unknown, temp: string, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && REASONS[code] !== undefined) return `${code}: ${REASONS[code]}`;
  return String((error as Error).message).replaceAll(temp, path);
}
