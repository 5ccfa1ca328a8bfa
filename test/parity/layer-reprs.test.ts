/**
 * Layer reprs print float arguments as Python does (alpha=1e-05, p=1e-07), so
 * a printed model reads as torch's (fixture: tools/gen_layer_fixtures.py).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dropout, LocalResponseNorm } from '../../src/nn/index.js';
import { pythonNumber } from '../../src/nn/python-repr.js';
import { readJsonFixture } from '../helpers/fixtures.js';

interface ReprCase {
  layer: 'LocalResponseNorm' | 'Dropout';
  args: number[];
  repr: string;
}

test('LocalResponseNorm and Dropout print their float arguments as torch does', () => {
  const { cases } = readJsonFixture<{ cases: ReprCase[] }>('parity', 'layers', 'layer_reprs.json');
  assert.ok(cases.length >= 6);
  for (const { layer, args, repr } of cases) {
    const module = layer === 'Dropout' ? new Dropout(args[0]) : new LocalResponseNorm(args[0], args[1], args[2], args[3]);
    assert.equal(module.toString(), repr);
  }
});

test('pythonNumber: scientific below 1e-4 and from 1e16, integral values as integers, nan and inf', () => {
  const cases: [number, string][] = [
    [1e-5, '1e-05'],
    [1.5e-5, '1.5e-05'],
    [-2.5e-6, '-2.5e-06'],
    [3e-300, '3e-300'],
    [1e-4, '0.0001'],
    [0.00012, '0.00012'],
    [0.75, '0.75'],
    [123.456, '123.456'],
    [2, '2'],
    [1e16, '1e+16'],
    [1.5e17, '1.5e+17'],
    [Number.NaN, 'nan'],
    [-Infinity, '-inf'],
  ];
  for (const [value, text] of cases) assert.equal(pythonNumber(value), text, `${value}`);
});
