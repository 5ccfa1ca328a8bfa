/**
 * torch.optim.SGD's float32 update to the bit, on every backend: each
 * add(b, alpha) of torch rounds once (vec::fmadd), which the kernels must
 * reproduce (rounding the product first differed by an ulp on 1-3% of the
 * values). 100,000 values, 3 steps, four option sets, from
 * tools/gen_sgd_bitwise.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import type { Backend } from '../../src/backend/backend.js';
import { withBackend } from '../../src/backend/registry.js';
import { Parameter } from '../../src/nn/parameter.js';
import { SGD, type SgdOptions } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { availableBackends } from '../helpers/backends.js';
import { fixturePath } from '../helpers/fixtures.js';
import { ensureGenerated } from '../helpers/torch.js';

const N = 100_000;
const LR = 0.0123;
// As CONFIGS in tools/gen_sgd_bitwise.py, in the same order.
const CONFIGS: SgdOptions[] = [
  { lr: LR, momentum: 0, weightDecay: 0 },
  { lr: LR, momentum: 0.9, weightDecay: 5e-4 },
  { lr: LR, momentum: 0.9, weightDecay: 5e-4, nesterov: true },
  { lr: LR, momentum: 0.9, weightDecay: 0, dampening: 0.1 },
];

const FILE = fixturePath('generated', 'sgd_bitwise.bin');
const skip = ensureGenerated(FILE, 'tools/gen_sgd_bitwise.py', ['--out', fixturePath('generated')]);

const { backends, native } = await availableBackends();

test("SGD gives torch.optim.SGD's float32 bits after 3 steps, on every backend", { skip: skip ?? false }, () => {
  const bytes = readFileSync(FILE);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  assert.equal(all.length, (2 + CONFIGS.length) * N);
  const initial = all.subarray(0, N);
  const grad = all.subarray(N, 2 * N);
  const levels = native === null ? [] : native.info().bestSimd === 'generic' ? ['generic'] : ['generic', native.info().bestSimd];
  const runs: [string, Backend, (() => void) | null][] = backends.map(([name, backend]) => [name, backend, null]);
  // The native update has an FMA form and a double-arithmetic one (ALEXNET_SIMD=generic): both.
  if (native !== null) for (const level of levels) runs.push([`native ${level}`, native, () => native.setSimd(level as 'generic')]);
  for (const [name, backend, setUp] of runs) {
    setUp?.();
    withBackend(backend, () => {
      for (const [k, options] of CONFIGS.entries()) {
        const param = new Parameter(initial.slice(), [N]);
        const optimizer = new SGD([param], options);
        for (let step = 0; step < 3; step++) {
          param.grad = new Tensor(
            grad.map((g) => Math.fround(g * (step + 1))),
            [N],
          );
          optimizer.step();
        }
        const expected = all.subarray((2 + k) * N, (3 + k) * N);
        let differing = 0;
        for (let i = 0; i < N; i++) if (param.data[i] !== expected[i]) differing++;
        assert.equal(differing, 0, `${name} ${JSON.stringify(options)}: ${differing} of ${N} values differ from torch`);
      }
    });
  }
  if (native !== null) native.setSimd(native.info().bestSimd);
});
