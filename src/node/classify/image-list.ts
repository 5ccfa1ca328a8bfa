/**
 * The image files named on the command line: files as given, directories
 * as the image files in them, and glob patterns as the image files they
 * match. Directories and globs are listed sorted and the list is
 * de-duplicated, so the same arguments give the same list (and the same
 * shards, and the same output order) on every machine and every run,
 * whatever order the file system lists in.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** What a directory or a glob contributes, matched case-insensitively (IMG_0001.JPG counts). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

export interface ListOptions {
  /** Also list the images in subdirectories of a directory argument (at any depth). */
  recursive?: boolean;
}

/**
 * The image files under `dir`. Hidden entries (a leading dot: macOS's
 * `._photo.jpg` resource forks, `.cache/`) are skipped, as shells and globs
 * skip them; symbolic links to files count, links to directories are not
 * followed (a link back up the tree would never end).
 */
async function listDirectory(dir: string, recursive: boolean, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) await listDirectory(path, recursive, into);
    } else if (isImageName(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path))))) {
      into.push(path);
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // a dangling link
  }
}

/** Node's error code (ENOENT, ENOTDIR...), or undefined. */
function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * The image files of `args`, in the arguments' order (a directory's or a
 * glob's sorted), de-duplicated. An argument is a glob only
 * when no file has that name and it contains glob characters, so a file
 * named `photo[1].jpg` is still that file. An argument that is neither
 * fails with "cannot read image X: no such file", the error a missing file
 * always gave; files named directly are kept whatever their extension (the
 * decoder then says what is wrong with them). No image at all fails too.
 */
export async function listImages(args: readonly string[], options: ListOptions = {}): Promise<string[]> {
  const found: string[] = [];
  let directories = false;
  for (const arg of args) {
    let kind: 'file' | 'directory' | 'missing';
    try {
      kind = (await stat(arg)).isDirectory() ? 'directory' : 'file';
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`cannot read image ${arg}: ${(error as Error).message}`);
      kind = 'missing';
    }
    if (kind === 'file') found.push(arg);
    else if (kind === 'directory') {
      directories = true;
      await listDirectory(arg, options.recursive ?? false, found);
    } else if (isDynamicPattern(arg)) {
      // Absolute patterns give absolute paths; relative ones paths relative to the working directory, as a shell's glob.
      const matches = await glob(arg, { absolute: isAbsolute(arg), onlyFiles: true, expandDirectories: false });
      found.push(...matches.filter(isImageName).sort(compareStrings));
    } else throw new Error(`cannot read image ${arg}: no such file`);
  }
  // Arguments in their order, each directory's or glob's files sorted; a file named twice (photos/a.jpg,
  // ./photos/a.jpg) is kept where it first appears.
  const seen = new Set<string>();
  const files = found.filter((path) => {
    const key = resolve(path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (files.length === 0) {
    const hint = directories && options.recursive !== true ? '; --recursive also lists subdirectories' : '';
    throw new Error(`no images found in ${args.join(' ')} (extensions ${[...IMAGE_EXTENSIONS].join(' ')}${hint})`);
  }
  return files;
}

/** Code-unit order: unlike localeCompare it is the same under every locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
