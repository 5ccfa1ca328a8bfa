/**
 * mkdir -p without Node's recursive mkdir, which loops for ever (at full
 * CPU) where a folder cannot be made, as under /proc (Node 20:
 * `fs.promises.mkdir('/proc/x', { recursive: true })` never settles). The
 * first existing ancestor is found by stat, then each missing folder is made
 * on its own, so a refusal is one error naming the folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

export async function makeDirectories(path: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(current)).isDirectory();
    } catch (error) {
      // ENOTDIR: an ancestor is a file, which the walk up names.
      if (code(error) !== 'ENOENT' && code(error) !== 'ENOTDIR')
        throw new Error(`cannot create folder ${path}: ${code(error) ?? (error as Error).message} at ${current}`);
      missing.push(current);
      if (dirname(current) === current) break;
      continue;
    }
    if (!isFolder) throw new Error(`cannot create folder ${path}: ${current} is not a folder`);
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      if (code(error) !== 'EEXIST') throw new Error(`cannot create folder ${path}: ${code(error) ?? (error as Error).message} at ${folder}`);
    }
  }
}
