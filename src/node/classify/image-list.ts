/**
 * The image files named on the command line: files as given, directories
 * as the image files in them, and glob patterns as the image files they
 * match. Directories and globs are listed sorted and the list is
 * de-duplicated, so the same arguments give the same list (and the same
 * shards, and the same output order) on every machine and every run,
 * whatever order the file system lists in.
 *
 * A name that is not UTF-8 (Latin-1 from an old camera or archive) is kept
 * as ImageFolder keeps it: each byte outside UTF-8 a lone surrogate
 * U+DC80..U+DCFF (Python's surrogateescape), which fsPath turns back into
 * the bytes to open and JSON writes as `\udce9`, so a results line names the
 * file exactly and a resumed run finds it done.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { decodeFileName, fsPath } from '../data/image-folder.js';

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
  // Names as bytes: read as strings, a name that is not UTF-8 would get U+FFFD, the name of no file.
  const entries = await readdir(fsPath(dir), { withFileTypes: true, encoding: 'buffer' });
  for (const entry of entries) {
    const name = decodeFileName(entry.name);
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (entry.isDirectory()) {
      if (recursive) await listDirectory(path, recursive, into);
    } else if (isImageName(name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path))))) {
      into.push(path);
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(fsPath(path))).isFile();
  } catch {
    return false; // a dangling link
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The files a glob match stands for. The glob library reads names as
 * strings, so a file whose name is not UTF-8 comes back with U+FFFD in it,
 * a path no file has: each component holding U+FFFD is looked up among its
 * folder's names read as bytes, giving every file whose name reads that way
 * (caf\xe8.png and caf\xe9.png both read caf\uFFFD.png), surrogate-escaped.
 * (A folder whose name is not UTF-8 is not entered by the glob library at
 * all; a directory argument lists it.)
 */
async function filesBehindMatch(match: string): Promise<string[]> {
  // Windows names are UTF-16, never bytes that are not UTF-8 (and its paths are not split on '/' alone).
  if (process.platform === 'win32' || !match.includes('\uFFFD') || (await exists(match))) return [match];
  let paths = [isAbsolute(match) ? '/' : '.'];
  for (const part of match.split('/')) {
    if (part === '') continue;
    if (!part.includes('\uFFFD')) {
      paths = paths.map((path) => join(path, part));
      continue;
    }
    const next: string[] = [];
    for (const path of paths) {
      const names = await readdir(fsPath(path), { encoding: 'buffer' }).catch(() => []);
      for (const name of names) if (name.toString('utf8') === part) next.push(join(path, decodeFileName(name)));
    }
    paths = next;
  }
  return paths;
}

/** A glob's image files, sorted; a match the glob library could only name with U+FFFD is the files behind it. */
async function globImages(pattern: string): Promise<string[]> {
  // Absolute patterns give absolute paths; relative ones paths relative to the working directory, as a shell's glob.
  const matches = await glob(pattern, { absolute: isAbsolute(pattern), onlyFiles: true, expandDirectories: false });
  const files: string[] = [];
  for (const match of matches.filter(isImageName)) files.push(...(await filesBehindMatch(match)));
  return files.sort(compareStrings);
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
      found.push(...(await globImages(arg)));
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
