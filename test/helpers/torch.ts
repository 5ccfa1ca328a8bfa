/**
 * Running the PyTorch fixture generators from tests, for fixtures too large to
 * commit: they are written under test/fixtures/generated/ on first use when
 * torch is importable, and the test is skipped with a reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** $PYTHON, else Debian's /usr/bin/python3 (which has torch here), else python3 from PATH. */
export function pythonExecutable(): string {
  return process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

let torchChecked: boolean | undefined;

export function torchAvailable(): boolean {
  if (torchChecked === undefined) {
    const r = spawnSync(pythonExecutable(), ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
    torchChecked = r.status === 0;
  }
  return torchChecked;
}

/**
 * Makes sure `file` (absolute) exists, running `python <script> ...args` from
 * the repository root when it does not. Returns undefined when the file is
 * there, or the reason to skip the test.
 */
export function ensureGenerated(file: string, script: string, args: string[] = []): string | undefined {
  if (existsSync(file)) return undefined;
  if (!torchAvailable()) return `${file} is missing and ${pythonExecutable()} cannot import torch to run ${script}`;
  const r = spawnSync(pythonExecutable(), [script, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  if (!existsSync(file)) throw new Error(`${script} ran but did not write ${file}`);
  return undefined;
}
