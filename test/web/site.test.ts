/**
 * When `alexnet web` (re)builds the page before serving it: dist/web missing,
 * or older than a file it is built from (web/, the core in src/, the build
 * scripts); changes to Node-only code (src/node/) do not count.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultSiteDir, packageRoot, siteState } from '../../src/node/web/site.js';

const root = mkdtempSync(join(tmpdir(), 'alexnet-site-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, secondsAgo: number): void {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, path);
  const time = Date.now() / 1000 - secondsAgo;
  utimesSync(full, time, time);
}

test('missing, fresh, and stale after a change to a source of the page', () => {
  write('web/app.ts', 100);
  write('src/tensor/tensor.ts', 100);
  assert.deepEqual(siteState(root), { state: 'missing' });
  write('dist/web/index.html', 50);
  assert.deepEqual(siteState(root), { state: 'fresh' });
  write('src/node/cli/main.ts', 10); // Node-only: not in the page
  assert.deepEqual(siteState(root), { state: 'fresh' });
  write('src/tensor/tensor.ts', 10);
  const stale = siteState(root);
  assert.equal(stale.state, 'stale');
  assert.match(stale.state === 'stale' ? stale.reason : '', /src changed since the page was built/);
  write('dist/web/index.html', 0);
  write('web/ui/new-panel.ts', -5);
  assert.equal(siteState(root).state, 'stale');
});

test('the package root is the checkout, and the site is its dist/web', () => {
  const pkg = packageRoot();
  assert.equal(defaultSiteDir(pkg), join(pkg, 'dist', 'web'));
});
