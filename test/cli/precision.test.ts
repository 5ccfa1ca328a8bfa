/**
 * `--precision fp32|bf16` of the CLI: bf16 inference on the native backend
 * (AVX512-BF16) stays close to fp32, the js backend's bf16 emulation is the
 * in-process one, and bad values or training in bf16 end in one line.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { noGrad } from '../../src/autograd/grad-mode.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { loadNpy, saveNpy } from '../../src/formats/npy.js';
import { createModel } from '../../src/models/registry.js';
import { loadNativeAddon, nativeLoadFailure } from '../../src/node/native/load.js';
import { Generator, manualSeed } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'alexnet-cli-precision-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source; `backend` undefined means the default (native when the addon loads). */
function cli(args: string[], options: { backend?: 'js' | 'native'; env?: Record<string, string> } = {}): Promise<CliResult> {
  const backend = options.backend === undefined ? [] : ['--backend', options.backend];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/node/cli/main.ts', ...backend, ...args],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...options.env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    );
  });
}

function assertOneLineError(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `exit status (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace: ${r.stderr}`);
  assert.match(lines[0], /^alexnet: error: /);
  assert.match(lines[0], pattern);
}

/** Why the native bf16 kernels cannot run in this process (and so in the CLI), or false. */
const skipWithoutBf16: string | false = (() => {
  const addon = loadNativeAddon({ warn: false });
  if (addon === null) return `native addon not built (${nativeLoadFailure()})`;
  const info = addon.info();
  return info.bf16 === null ? `no bf16 kernels on this machine: ${info.bf16Unsupported}` : false;
})();

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

describe('alexnet --precision', { concurrency: 2 }, () => {
  test('run --precision bf16 on the native backend: the fp32 argmax, logits within 5e-2 of max |logit|', { skip: skipWithoutBf16 }, async (t) => {
    const input = join(work, 'x224.npy');
    writeFileSync(input, saveNpy(Tensor.rand([2, 3, 224, 224], 0, 1, new Generator(7))));
    const out32 = join(work, 'y-fp32.npy'),
      out16 = join(work, 'y-bf16.npy');
    const [r32, r16] = await Promise.all([
      cli(['run', '--input', input, '--output', out32, '--precision', 'fp32'], { backend: 'native' }),
      cli(['run', '--input', input, '--output', out16, '--precision', 'bf16'], { backend: 'native' }),
    ]);
    assert.equal(r32.code, 0, r32.stderr);
    assert.equal(r16.code, 0, r16.stderr);
    const y32 = loadNpy(readFileSync(out32)),
      y16 = loadNpy(readFileSync(out16));
    assert.deepEqual(y16.shape, [2, 1000]);
    assert.deepEqual(y16.shape, y32.shape);
    const classes = y32.shape[1];
    for (let n = 0; n < y32.shape[0]; n++) {
      const a = y32.data.subarray(n * classes, (n + 1) * classes),
        b = y16.data.subarray(n * classes, (n + 1) * classes);
      let scale = 0,
        diff = 0;
      for (let i = 0; i < classes; i++) {
        scale = Math.max(scale, Math.abs(a[i]));
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
      }
      assert.ok(b.every(Number.isFinite), `image ${n}: finite logits`);
      assert.equal(argmax(b), argmax(a), `image ${n}: bf16 top class`);
      assert.ok(diff <= 5e-2 * scale, `image ${n}: bf16 logits off by ${diff}, max |logit| ${scale}`);
      // bf16 really ran (an fp32 run would be identical).
      assert.ok(diff > 0, `image ${n}: bf16 logits identical to fp32`);
      t.diagnostic(`image ${n}: max |bf16 − fp32| = ${(diff / scale).toExponential(2)} of max |logit|`);
    }
  });

  test('run --backend js --precision bf16 writes the in-process bf16 emulation', async () => {
    const input = join(work, 'x64.npy');
    const x = Tensor.rand([1, 3, 64, 64], 0, 1, new Generator(9));
    writeFileSync(input, saveNpy(x));
    const output = join(work, 'y-js-bf16.npy');
    const r = await cli(['run', '--input', input, '--output', output, '--precision', 'bf16', '--num-classes', '10'], { backend: 'js' });
    assert.equal(r.code, 0, r.stderr);
    const y = loadNpy(readFileSync(output));
    // The CLI's model got the default generator's first draws (seed 0); rebuild it the same way.
    const [expected, fp32] = withBackend(referenceBackend(), () => {
      manualSeed(0);
      const model = createModel('alexnet', { numClasses: 10 }).eval();
      const f = noGrad(() => model.call(x));
      model.setPrecision('bf16');
      return [noGrad(() => model.call(x)), f];
    });
    assert.deepEqual(y.shape, [1, 10]);
    assert.deepEqual(y.data, expected.data);
    assert.notDeepEqual(y.data, fp32.data, 'not the fp32 output');
  });

  test('an unknown --precision ends in one line naming it, for every command that takes it', async () => {
    const input = join(work, 'x-small.npy');
    writeFileSync(input, saveNpy(Tensor.zeros([1, 3, 64, 64])));
    const output = join(work, 'never.npy');
    const results = await Promise.all([
      cli(['run', '--input', input, '--output', output, '--precision', 'fp16'], { backend: 'js' }),
      cli(['classify', 'test/fixtures/image/photos/chelsea.png', '--precision', 'fp16'], { backend: 'js' }),
      cli(['eval', '--weights', join(work, 'missing.pth'), '--dataset', 'fashion-mnist-subset', '--precision', 'fp16'], { backend: 'js' }),
      cli(['bench', '--iters', '1', '--precision', 'fp16'], { backend: 'js' }),
    ]);
    for (const r of results) assertOneLineError(r, /--precision must be one of fp32, bf16, got 'fp16'/);
    assert.ok(!existsSync(output), 'run wrote nothing');
  });

  test('bench --train --precision bf16 is refused: training runs in fp32', async () => {
    const r = await cli(['bench', '--train', '--precision', 'bf16', '--iters', '1'], { backend: 'js' });
    assertOneLineError(r, /--precision bf16 is for inference.*--train/);
    // fp32 is the default and stays accepted with --train (the refusal is about bf16 only).
    const ok = await cli(
      ['bench', '--train', '--precision', 'fp32', '--iters', '1', '--warmup', '0', '--batch', '1', '--input-size', '63', '--num-classes', '2', '--json'],
      { backend: 'js' },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { precision: string }).precision, 'fp32');
  });

  test('run --precision bf16 with the SIMD level lowered (ALEXNET_SIMD=avx2) fails with the reason, writing nothing', { skip: skipWithoutBf16 }, async () => {
    const input = join(work, 'x-simd.npy');
    writeFileSync(input, saveNpy(Tensor.zeros([1, 3, 64, 64])));
    const output = join(work, 'never-simd.npy');
    const r = await cli(['run', '--input', input, '--output', output, '--precision', 'bf16'], { env: { ALEXNET_SIMD: 'avx2' } });
    assertOneLineError(r, /bf16 precision uses AVX-512 kernels.*avx2.*ALEXNET_SIMD/);
    assert.ok(!existsSync(output));
  });
});
