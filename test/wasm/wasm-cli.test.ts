/**
 * The wasm backend from the command line: `--backend wasm` classifies a
 * photo as the js reference does, and where the native addon cannot load the
 * CLI falls back to wasm with one line saying so.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { saveSafetensors } from '../../src/formats/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import { manualSeed } from '../../src/tensor/random.js';
import { cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'alexnet-wasm-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

manualSeed(7);
const weights = join(work, 'alexnet.safetensors');
writeFileSync(weights, saveSafetensors(createModel('alexnet').stateDict()));
const photo = 'test/fixtures/image/photos/chelsea.png';

interface Classified {
  top: Array<{ index: number; prob: number }>;
}

test('--backend wasm classifies a photo as the js backend does', async () => {
  const [js, wasm] = await Promise.all([
    cli('classify', photo, '--weights', weights, '--topk', '5', '--json'),
    cli('--backend', 'wasm', 'classify', photo, '--weights', weights, '--topk', '5', '--json'),
  ]);
  assert.equal(js.code, 0, js.stderr);
  assert.equal(wasm.code, 0, wasm.stderr);
  const [a] = JSON.parse(js.stdout) as Classified[];
  const [b] = JSON.parse(wasm.stdout) as Classified[];
  assert.deepEqual(
    b.top.map((p) => p.index),
    a.top.map((p) => p.index),
  );
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(a.top[i].prob - b.top[i].prob) < 1e-4, `class ${a.top[i].index}: ${a.top[i].prob} vs ${b.top[i].prob}`);
});

test('without the native addon the CLI runs on wasm and says so in one line', async () => {
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/node/cli/main.ts', 'info'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ALEXNET_NATIVE_ADDON: join(work, 'missing.node') } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^alexnet-ts: native backend unavailable \(.*missing\.node.*\); using the wasm backend\n$/);
  assert.match(r.stdout, /\nbackend: wasm\n/);
  assert.match(r.stdout, /\n {2}simd: wasm-simd128\n/);
});
