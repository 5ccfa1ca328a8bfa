/**
 * The native tests again, against the addon built with AddressSanitizer and
 * UBSan (native/asan.sh, with -Wall -Wextra -Werror): any out-of-bounds
 * access, use after free or undefined behaviour aborts that run, and this
 * test fails with its output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { skipWithoutAddon } from './native-helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');

function sanitizerUnavailable(): string | false {
  const cxx = process.env.CXX ?? 'g++';
  const lib = spawnSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  if (lib.status !== 0) return `${cxx} not found`;
  if (lib.stdout.trim() === 'libasan.so') return `${cxx} has no libasan`;
  return false;
}

test('the native tests pass under AddressSanitizer and UBSan', { skip: skipWithoutAddon || sanitizerUnavailable(), timeout: 20 * 60 * 1000 }, () => {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.test.ts') && f !== basename(fileURLToPath(import.meta.url)))
    .sort();
  assert.ok(files.length >= 8, `found the native test files (${files.join(', ')})`);
  // A fresh test runner: without NODE_TEST_CONTEXT, which would make it report to this one instead.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync('sh', ['native/asan.sh', ...files.map((f) => join('test', 'native', f))], {
    cwd: root,
    encoding: 'utf8',
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  const tail = output.split('\n').slice(-60).join('\n');
  assert.equal(run.status, 0, `native/asan.sh exited with ${run.status ?? run.signal}:\n${tail}`);
  assert.match(run.stdout, /^# fail 0$/m, tail);
  const passed = Number(/^# pass (\d+)$/m.exec(run.stdout)?.[1] ?? 0);
  assert.ok(passed >= 40, `${passed} tests passed under the sanitizers:\n${tail}`);
});
