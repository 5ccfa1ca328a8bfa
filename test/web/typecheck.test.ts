/**
 * The page's own code (web/: DOM and worker code, outside the root
 * tsconfig, which has Node's types) type-checks with its tsconfig against
 * the library it imports (src/browser/index.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('web/ type-checks (tsc -p web/tsconfig.json --noEmit)', { timeout: 5 * 60 * 1000 }, () => {
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'web/tsconfig.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`.trim().split('\n').slice(-40).join('\n'));
});
