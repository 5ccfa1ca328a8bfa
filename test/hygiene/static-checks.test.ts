/**
 * What CI checks besides behaviour, run as tests so that `npm test` (and the
 * summary CI reads) covers them: every TypeScript file type-checks (src, test,
 * bench, tools, scripts), Biome's linter and formatter accept them, and
 * clang-format accepts native/ (`npm run format` fixes both formats).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);

function run(command: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined) return { status: null, output: r.error.message };
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The last lines of a tool's output, for the failure message. */
const tail = (text: string): string => text.trim().split('\n').slice(-40).join('\n');

test('all TypeScript type-checks (tsc --noEmit over src, test, bench, tools, scripts)', { timeout: 5 * 60 * 1000 }, () => {
  const r = run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  assert.equal(r.status, 0, tail(r.output));
});

test('Biome finds no lint error and no formatting difference', () => {
  const r = run(bin('biome'), ['check', '--max-diagnostics=50', '.']);
  assert.equal(r.status, 0, `${tail(r.output)}\n(npm run format fixes formatting)`);
});

const clangFormat = run('clang-format', ['--version']);
test('native/ is clang-formatted', { skip: clangFormat.status !== 0 && 'clang-format is not installed (Debian: apt-get install clang-format)' }, () => {
  const dir = join(root, 'native', 'src');
  const files = readdirSync(dir)
    .filter((f) => /\.(cc|h)$/.test(f))
    .map((f) => join(dir, f));
  assert.ok(files.length > 20);
  const r = run('clang-format', ['--dry-run', '--Werror', ...files]);
  assert.equal(r.status, 0, `${tail(r.output)}\n(npm run format fixes it)`);
});
