/**
 * Op parity cases from tools/gen_parity_fixtures.py (test/fixtures/parity/ops/<family>.json):
 * per case the inputs, torch's output, a random upstream gradient g, and torch's
 * gradient of every input after out.backward(g).
 */
import type { Tensor } from '../../src/tensor/tensor.js';
import { decodeInt32, decodeTensor, readJsonFixture, type EncodedTensor } from './fixtures.js';

interface RawCase {
  name: string;
  args: Record<string, unknown>;
  inputs: Record<string, EncodedTensor>;
  constants: Record<string, EncodedTensor>;
  output: EncodedTensor;
  gradOutput: EncodedTensor;
  grads: Record<string, EncodedTensor>;
}

export interface OpCase {
  name: string;
  /** Hyperparameters under the TypeScript option names (stride, padding, ceilMode, ...). */
  args: Record<string, unknown>;
  /** Fresh leaf tensors that require grad, one per differentiable input. */
  inputs: Record<string, Tensor>;
  /** Non-differentiable inputs (class targets). */
  constants: Record<string, Int32Array>;
  output: Tensor;
  gradOutput: Tensor;
  grads: Record<string, Tensor>;
}

export function loadOpCases(family: string): OpCase[] {
  const raw = readJsonFixture<{ cases: RawCase[] }>('parity', 'ops', `${family}.json`);
  return raw.cases.map((c) => ({
    name: c.name,
    args: c.args,
    inputs: Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, decodeTensor(v, true)])),
    constants: Object.fromEntries(Object.entries(c.constants).map(([k, v]) => [k, decodeInt32(v.data)])),
    output: decodeTensor(c.output),
    gradOutput: decodeTensor(c.gradOutput),
    grads: Object.fromEntries(Object.entries(c.grads).map(([k, v]) => [k, decodeTensor(v)])),
  }));
}

/** A [a, b] pair from the fixture's args, typed for the ops' Pair options. */
export function pairArg(args: Record<string, unknown>, name: string): [number, number] {
  const v = args[name];
  if (!Array.isArray(v) || v.length !== 2) throw new Error(`fixture arg ${name}: expected a pair, got ${JSON.stringify(v)}`);
  return [Number(v[0]), Number(v[1])];
}
