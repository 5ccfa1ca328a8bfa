import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { loadCheckpoint } from '../../src/node/train/checkpoint.js';

const root = await mkdtemp(join(tmpdir(), 'alexnet-sigint-'));
after(() => rm(root, { recursive: true, force: true }));

test('SIGINT saves a checkpoint at the current step and exits with status 130', async () => {
  const dir = join(root, 'run');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sigint-child.ts', import.meta.url)), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // Interrupt once training is under way (a few steps in).
    if (!signalled && /step 12\n/.test(stdout)) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  // A child that ignored the signal would otherwise train for 100,000 epochs.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(guard);
  assert.ok(signalled, `the child never reached step 12; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-2000)}`);
  assert.equal(code, 130, `exit code; stderr: ${stderr}`);
  const status = /status interrupted at step (\d+)/.exec(stdout);
  assert.ok(status, `no interrupted status in: ${stdout.slice(-300)}`);
  const step = Number(status[1]);
  assert.ok(step >= 12, `stopped at step ${step}`);
  assert.match(stderr, /interrupted: finishing this step and saving a checkpoint/);
  const checkpoint = await loadCheckpoint(join(dir, 'checkpoint.pth'));
  assert.equal(checkpoint.reason, 'interrupt');
  assert.equal(checkpoint.position.step, step);
  assert.equal(checkpoint.optimizer.step_count, step);
});
