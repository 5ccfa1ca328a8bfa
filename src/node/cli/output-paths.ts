/**
 * Checks on a file a command is about to write, made before the work (a
 * forward pass, a benchmark, an export) so that a path that cannot be written,
 * or would destroy an input, fails at once and leaves everything as it was.
 */
import { realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `flag` names the option (or argument) in messages; `exampleName` shows the kind of name expected (y.npy). */
export async function assertWritableOutput(output: string, flag: string, exampleName: string): Promise<void> {
  const dir = dirname(output);
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory()) throw new Error(`${flag} ${output}: directory ${dir} does not exist`);
  // A folder cannot be replaced by the file.
  if ((await stat(output).catch(() => null))?.isDirectory()) throw new Error(`${flag} ${output}: is a directory; expected a file name (${exampleName})`);
}

export interface NamedPath {
  path: string;
  flag: string;
}

/** Refuses an output that is (through links and relative paths) one of the inputs: the write would replace the data it was computed from. */
export async function refuseInputAsOutput(output: NamedPath, inputs: readonly NamedPath[]): Promise<void> {
  const target = await realpath(output.path).catch(() => null);
  if (target === null) return; // a new file is no input
  for (const input of inputs) {
    if ((await realpath(input.path).catch(() => null)) === target) {
      throw new Error(
        `${output.flag} ${output.path} is the ${input.flag} file ${input.path}: writing it would replace the input; choose another ${output.flag}`,
      );
    }
  }
}
