/**
 * writeFileAtomic through symbolic links whose target does not exist yet:
 * as torch.save, np.save and cp do, the link stays a link and the file it
 * names is created (relative links resolve from the link's own directory);
 * a cycle of links is refused and left as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/node/fs/atomic-write.js';
import { withTempDir } from './helpers.js';

const isLink = (path: string): boolean => lstatSync(path).isSymbolicLink();

test(
  'a dangling symbolic link stays a link and its missing target is created with the contents',
  withTempDir('alexnet-atomic-links-', async (dir) => {
    mkdirSync(join(dir, 'store'));
    const target = join(dir, 'store', 'new.pth');
    symlinkSync(target, join(dir, 'link.pth'));
    await writeFileAtomic(join(dir, 'link.pth'), 'through a dangling link');
    assert.ok(isLink(join(dir, 'link.pth')), 'the link was replaced by a regular file');
    assert.equal(readlinkSync(join(dir, 'link.pth')), target);
    assert.equal(readFileSync(target, 'utf8'), 'through a dangling link');
    assert.deepStrictEqual(readdirSync(join(dir, 'store')), ['new.pth'], 'no temporary left beside the target');
  }),
);

test(
  "a relative dangling link resolves from the link's directory, through a chain of links",
  withTempDir('alexnet-atomic-links-', async (dir) => {
    mkdirSync(join(dir, 'links'));
    mkdirSync(join(dir, 'store'));
    // links/a.pth -> b.pth (beside it) -> ../store/final.pth (missing)
    symlinkSync('b.pth', join(dir, 'links', 'a.pth'));
    symlinkSync(join('..', 'store', 'final.pth'), join(dir, 'links', 'b.pth'));
    await writeFileAtomic(join(dir, 'links', 'a.pth'), Uint8Array.of(1, 2, 3));
    assert.ok(isLink(join(dir, 'links', 'a.pth')) && isLink(join(dir, 'links', 'b.pth')));
    assert.deepStrictEqual([...readFileSync(join(dir, 'store', 'final.pth'))], [1, 2, 3]);
    assert.deepStrictEqual(readdirSync(join(dir, 'links')).sort(), ['a.pth', 'b.pth']);
  }),
);

test(
  'a cycle of symbolic links is refused with ELOOP and both links are left as they were',
  withTempDir('alexnet-atomic-links-', async (dir) => {
    symlinkSync('b.pth', join(dir, 'a.pth'));
    symlinkSync('a.pth', join(dir, 'b.pth'));
    await assert.rejects(writeFileAtomic(join(dir, 'a.pth'), 'x'), /cannot write .*a\.pth: ELOOP/);
    assert.ok(isLink(join(dir, 'a.pth')) && isLink(join(dir, 'b.pth')));
    assert.deepStrictEqual(readdirSync(dir).sort(), ['a.pth', 'b.pth']);
  }),
);
