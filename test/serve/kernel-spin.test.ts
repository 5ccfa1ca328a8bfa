/**
 * The serve command's kernel spin policy: spin while nothing is decoded,
 * sleep at once while something is; a spin the user set (ALEXNET_SPIN_US)
 * and backends without one are left alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { kernelSpinHooks } from '../../src/node/serve/kernel-spin.js';

/** The kernels' own spin in the fake backend (the native default). */
const OWN_SPIN_US = 1000;

function spinRecorder(): { backend: Backend; spins: number[] } {
  const spins: number[] = [];
  const backend = Object.assign(new JsBackend(), {
    info: () => ({ spinMicros: OWN_SPIN_US }),
    setSpinMicros: (us: number) => {
      spins.push(us);
      return us;
    },
  });
  return { backend, spins };
}

test('the kernels spin while no image is being decoded and sleep at once while one is', () => {
  const { backend, spins } = spinRecorder();
  const hooks = kernelSpinHooks(backend, undefined);
  assert.deepEqual(spins, [], 'nothing is decoded at the start: the kernels keep their own spin');
  hooks.decoding?.(true);
  hooks.decoding?.(false);
  assert.deepEqual(spins, [0, OWN_SPIN_US]);
});

test('a spin set with ALEXNET_SPIN_US, or a backend without one, is left alone', () => {
  const { backend, spins } = spinRecorder();
  assert.deepEqual(kernelSpinHooks(backend, '50'), {});
  assert.deepEqual(spins, []);
  assert.deepEqual(kernelSpinHooks(new JsBackend(), undefined), {});
});
