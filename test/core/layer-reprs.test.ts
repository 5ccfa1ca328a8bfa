/**
 * Layer reprs in torch's form where a JavaScript number or array loses it:
 * AdaptiveAvgPool2d prints its output size as given (6, or the tuple (6, 6)),
 * LocalResponseNorm's default k is torch's float 1.0 (fixture:
 * tools/gen_layer_fixtures.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveAvgPool2d, LocalResponseNorm } from '../../src/nn/index.js';
import type { Pair } from '../../src/ops/pair.js';
import { readJsonFixture } from '../helpers/fixtures.js';

interface ReprFixture {
  cases: { layer: string; args: number[]; repr: string }[];
  output_size_cases: { layer: 'AdaptiveAvgPool2d'; args: [number | [number, number]]; repr: string }[];
}

const fixture = readJsonFixture<ReprFixture>('parity', 'layers', 'layer_reprs.json');

test('AdaptiveAvgPool2d prints its output size in the form given, as torch', () => {
  assert.ok(fixture.output_size_cases.length >= 2);
  for (const { args, repr } of fixture.output_size_cases) {
    const module = new AdaptiveAvgPool2d(args[0] as Pair);
    assert.equal(module.toString(), repr);
    assert.deepEqual(module.outputSize, typeof args[0] === 'number' ? [args[0], args[0]] : args[0]);
  }
});

test("LocalResponseNorm without k prints torch's default k=1.0; a given k prints as given", () => {
  const defaults = fixture.cases.filter((c) => c.layer === 'LocalResponseNorm' && c.args.length < 4);
  assert.ok(defaults.length >= 1);
  for (const { args, repr } of defaults) assert.equal(new LocalResponseNorm(args[0], args[1], args[2]).toString(), repr);
  assert.equal(new LocalResponseNorm(5).k, 1);
  assert.match(new LocalResponseNorm(5, 1e-4, 0.75, 2).toString(), /, k=2\)$/);
});
