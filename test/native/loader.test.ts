/**
 * The loader: falls back with exactly one warning line when the addon cannot
 * load, honours ALEXNET_SIMD / ALEXNET_NUM_THREADS / ALEXNET_BF16, and reports CPU info.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { addon, skipWithoutAddon, supportedSimdLevels } from './native-helpers.js';

const CHILD = fileURLToPath(new URL('./child-info.ts', import.meta.url));

function runChild(env: Record<string, string>): {
  out: { backend: string | null; again: string | null; info: { simd: string; bf16: string; threads: number; cpuFeatures: string[] } | null };
  stderr: string;
} {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ALEXNET_SIMD: '', ALEXNET_NUM_THREADS: '', ALEXNET_BF16: '', ALEXNET_SPIN_US: '', ALEXNET_SPARSE_LINEAR: '', ...env },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `child failed: ${result.stderr}`);
  return { out: JSON.parse(result.stdout.trim()), stderr: result.stderr };
}

test('a missing addon gives one warning line naming the cause, and no backend', () => {
  const { out, stderr } = runChild({ ALEXNET_NATIVE_ADDON: '/nonexistent/alexnet_native.node' });
  assert.equal(out.backend, null);
  assert.equal(out.again, null);
  assert.equal(out.info, null);
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one warning line, got: ${stderr}`);
  assert.match(lines[0], /^alexnet-ts: native backend unavailable \(\/nonexistent\/alexnet_native\.node: .*\); using the js backend$/);
});

test('a file that is not an addon is reported the same way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-native-'));
  const notAddon = join(dir, 'alexnet_native.node');
  writeFileSync(notAddon, 'not a shared library');
  try {
    const { out, stderr } = runChild({ ALEXNET_NATIVE_ADDON: notAddon });
    assert.equal(out.backend, null);
    assert.match(stderr, /^alexnet-ts: native backend unavailable \(.*alexnet_native\.node: .*\); using the js backend\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the built addon installs silently and reports its SIMD level, threads and CPU features', { skip: skipWithoutAddon }, () => {
  const { out, stderr } = runChild({});
  assert.equal(stderr, '');
  assert.equal(out.backend, 'native');
  assert.ok(out.info !== null);
  assert.ok(['avx512', 'avx2', 'generic'].includes(out.info.simd));
  assert.ok(out.info.threads >= 1);
  assert.ok(Array.isArray(out.info.cpuFeatures));
  if (out.info.simd === 'avx512') assert.ok(out.info.cpuFeatures.includes('avx512f'));
});

test('ALEXNET_SIMD lowers the kernel set and ALEXNET_NUM_THREADS sizes the pool', { skip: skipWithoutAddon }, () => {
  for (const level of supportedSimdLevels()) {
    const { out } = runChild({ ALEXNET_SIMD: level, ALEXNET_NUM_THREADS: '1' });
    assert.equal(out.info?.simd, level);
    assert.equal(out.info?.threads, 1);
  }
  // Asking for more than the CPU has gives the best it has.
  const best = addon().info().bestSimd;
  const { out } = runChild({ ALEXNET_SIMD: 'avx512', ALEXNET_NUM_THREADS: '3' });
  assert.equal(out.info?.simd, best);
  assert.equal(out.info?.threads, 3);
});

test('ALEXNET_BF16 keeps a CPU with AMX on AVX512-BF16; other values leave the best set', { skip: skipWithoutAddon }, (t) => {
  const info = addon().info();
  if (info.bf16Levels.length === 0) {
    t.skip(`no bf16 kernels on this machine: ${info.bf16Unsupported}`);
    return;
  }
  const best = info.bf16Levels[info.bf16Levels.length - 1];
  assert.equal(runChild({}).out.info?.bf16, best);
  assert.equal(runChild({ ALEXNET_BF16: 'avx512_bf16' }).out.info?.bf16, 'avx512_bf16');
  assert.equal(runChild({ ALEXNET_BF16: 'amx' }).out.info?.bf16, best, 'amx where the CPU has it, else avx512_bf16');
  t.diagnostic(`bf16 kernel sets here: ${info.bf16Levels.join(', ')}`);
});

test('a setting whose value does not parse keeps the addon from loading, named in the one warning line', { skip: skipWithoutAddon }, () => {
  const cases: [Record<string, string>, string][] = [
    [{ ALEXNET_NUM_THREADS: 'abc' }, "ALEXNET_NUM_THREADS='abc' is not a whole number from 1 to 256"],
    [{ ALEXNET_NUM_THREADS: '2x' }, "ALEXNET_NUM_THREADS='2x' is not a whole number from 1 to 256"],
    [{ ALEXNET_NUM_THREADS: '100000' }, "ALEXNET_NUM_THREADS='100000' is not a whole number from 1 to 256"],
    [{ ALEXNET_SPIN_US: '-5' }, "ALEXNET_SPIN_US='-5' is not a whole number from 0 to 1000000"],
    [{ ALEXNET_SIMD: 'AVX2' }, "ALEXNET_SIMD='AVX2' is not one of generic, avx2, avx512"],
    [{ ALEXNET_BF16: 'fp8' }, "ALEXNET_BF16='fp8' is not avx512_bf16 or amx"],
    [{ ALEXNET_SPARSE_LINEAR: 'false' }, "ALEXNET_SPARSE_LINEAR='false' is not 0 or 1"],
    [
      { ALEXNET_SIMD: 'sse', ALEXNET_SPIN_US: '1.5' },
      "ALEXNET_SIMD='sse' is not one of generic, avx2, avx512; ALEXNET_SPIN_US='1.5' is not a whole number from 0 to 1000000",
    ],
  ];
  for (const [env, problem] of cases) {
    const { out, stderr } = runChild(env);
    assert.equal(out.backend, null, JSON.stringify(env));
    assert.equal(stderr, `alexnet-ts: native backend unavailable (${problem}); using the js backend\n`);
  }
  assert.equal(runChild({ ALEXNET_SPARSE_LINEAR: '0' }).out.backend, 'native');
});

test('setSimd switches at run time and rejects unknown names', { skip: skipWithoutAddon }, () => {
  const b = addon();
  const best = b.info().bestSimd;
  try {
    assert.equal(b.setSimd('generic'), 'generic');
    assert.equal(b.info().simd, 'generic');
    assert.equal(b.info().tileRows, 4);
  } finally {
    b.setSimd(best);
  }
  assert.equal(b.info().simd, best);
  assert.throws(() => b.setSimd('sse9' as 'generic'), /level must be 'generic', 'avx2' or 'avx512'/);
});

test('setThreads restarts the pool, and kernels stay correct across restarts', { skip: skipWithoutAddon }, () => {
  const b = addon();
  const original = b.info().threads;
  const A = Float32Array.from({ length: 64 * 80 }, (_, i) => Math.sin(i));
  const B = Float32Array.from({ length: 80 * 96 }, (_, i) => Math.cos(i));
  const expected = new Float32Array(64 * 96);
  b.gemm(false, false, 64, 96, 80, A, B, expected, false);
  try {
    for (const threads of [1, 3, 1, 2]) {
      assert.equal(b.setThreads(threads), threads);
      assert.equal(b.info().threads, threads);
      const C = new Float32Array(64 * 96);
      b.gemm(false, false, 64, 96, 80, A, B, C, false);
      assert.deepEqual(C, expected, `${threads} threads`);
    }
  } finally {
    b.setThreads(original);
  }
});

test('without the addon, selectBackend() and then selectBackendAsync() warn once between them', () => {
  const script = [
    "import { selectBackend, selectBackendAsync } from './src/node/index.ts';",
    'selectBackend();',
    'const b = await selectBackendAsync();',
    'process.stdout.write(b.name);',
  ].join('\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    env: { ...process.env, ALEXNET_NATIVE_ADDON: '/nonexistent/alexnet_native.node' },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'wasm');
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^alexnet-ts: native backend unavailable \(\/nonexistent\/alexnet_native\.node: .*\); using the js backend$/);
});

test('--backend native without the addon is one error, with no warning about another backend before it', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', '--backend', 'native', 'info'], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    env: { ...process.env, ALEXNET_NATIVE_ADDON: '/nonexistent/alexnet_native.node' },
    encoding: 'utf8',
  });
  assert.notEqual(result.status, 0);
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^alexnet: error: --backend native: the native addon is not available/);
});
