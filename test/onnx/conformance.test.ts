/**
 * ONNX's own conformance cases (Debian's libonnx-testdata: the model, its
 * inputs and the expected outputs as TensorProto files) for every operator
 * the importer claims, run on the js and the native backend at ONNX's
 * tolerances (rtol 1e-3, atol 1e-7). The README's table of pass counts per
 * operator comes from this list.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { referenceBackend, withBackend } from '../../src/backend/registry.js';
import { nativeBackend } from '../../src/node/native/load.js';
import { importOnnx, readTensorProto } from '../../src/onnx/index.js';
import type { OnnxTensor } from '../../src/onnx/onnx-tensor.js';

const DATA = '/usr/share/libonnx-testdata/data';

/** The operators the importer runs and the prefixes of their node cases (test_<prefix>, test_<prefix>_*). */
export const OPERATOR_CASES: Record<string, string[]> = {
  Conv: ['basic_conv', 'conv_with'],
  MaxPool: ['maxpool'],
  AveragePool: ['averagepool'],
  GlobalAveragePool: ['globalaveragepool'],
  LRN: ['lrn'],
  Gemm: ['gemm'],
  MatMul: ['matmul'],
  Relu: ['relu'],
  Softmax: ['softmax'],
  LogSoftmax: ['logsoftmax'],
  Dropout: ['dropout'],
  Flatten: ['flatten'],
  Reshape: ['reshape'],
  Transpose: ['transpose'],
  Concat: ['concat'],
  Split: ['split'],
  Add: ['add'],
  Sub: ['sub'],
  Mul: ['mul'],
  Div: ['div'],
  Pow: ['pow'],
  Exp: ['exp'],
  Log: ['log'],
  Neg: ['neg'],
  Sqrt: ['sqrt'],
  Sigmoid: ['sigmoid'],
  Tanh: ['tanh'],
  Equal: ['equal'],
  Less: ['less'],
  Greater: ['greater'],
  ReduceMax: ['reduce_max'],
  ReduceSum: ['reduce_sum'],
  Shape: ['shape'],
  Gather: ['gather'],
  Unsqueeze: ['unsqueeze'],
  Squeeze: ['squeeze'],
  ConstantOfShape: ['constantofshape'],
  Slice: ['slice'],
  Cast: ['cast'],
  Pad: ['pad', 'constant_pad', 'edge_pad', 'reflect_pad'],
  Identity: ['identity'],
  Constant: ['constant'],
  If: ['if'],
};

const nodePattern = new RegExp(`^test_(${Object.values(OPERATOR_CASES).flat().join('|')})(_|$)`);

const SUITES: { folder: string; pattern: RegExp }[] = [
  { folder: 'node', pattern: nodePattern },
  { folder: 'pytorch-converted', pattern: /^test_(Conv2d|MaxPool2d|AvgPool2d|Linear|ReLU|Softmax|LogSoftmax|log_softmax)(_|$)/ },
];

const otherOperator = (op: string): string => `tests ${op}, another operator`;
const typeNotHeld = (type: string): string => `${type} tensors are not held (float32, float64, integers and bool are)`;

/** Cases the prefixes match that test something else, or a type we do not hold, with the reason. */
const NOT_APPLICABLE: Record<string, string> = {
  test_gather_elements_0: otherOperator('GatherElements'),
  test_gather_elements_1: otherOperator('GatherElements'),
  test_gather_elements_negative_indices: otherOperator('GatherElements'),
  test_reduce_sum_square_default_axes_keepdims_example: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_default_axes_keepdims_random: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_do_not_keepdims_example: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_do_not_keepdims_random: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_keepdims_example: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_keepdims_random: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_negative_axes_keepdims_example: otherOperator('ReduceSumSquare'),
  test_reduce_sum_square_negative_axes_keepdims_random: otherOperator('ReduceSumSquare'),
  test_greater_equal_expanded: 'the expansion of GreaterOrEqual uses Or, which is not supported',
  test_greater_equal_bcast_expanded: 'the expansion of GreaterOrEqual uses Or, which is not supported',
  test_less_equal_expanded: 'the expansion of LessOrEqual uses Or, which is not supported',
  test_less_equal_bcast_expanded: 'the expansion of LessOrEqual uses Or, which is not supported',
  test_identity_opt: 'optional values are not supported',
  test_identity_sequence: 'sequence values are not supported',
  test_if_seq: 'If whose branches return sequences: sequence values are not supported',
  test_if_opt: 'If whose branches return optional values: optional values are not supported',
  test_maxpool_with_argmax_2d_precomputed_pads: "MaxPool's Indices output is not supported",
  test_maxpool_with_argmax_2d_precomputed_strides: "MaxPool's Indices output is not supported",
  test_cast_BFLOAT16_to_FLOAT: typeNotHeld('bfloat16'),
  test_cast_FLOAT_to_BFLOAT16: typeNotHeld('bfloat16'),
  test_cast_DOUBLE_to_FLOAT16: typeNotHeld('float16'),
  test_cast_FLOAT16_to_DOUBLE: typeNotHeld('float16'),
  test_cast_FLOAT16_to_FLOAT: typeNotHeld('float16'),
  test_cast_FLOAT_to_FLOAT16: typeNotHeld('float16'),
  test_cast_FLOAT_to_STRING: typeNotHeld('string'),
  test_cast_STRING_to_FLOAT: typeNotHeld('string'),
};

function casesOf(folder: string, pattern: RegExp): string[] {
  const root = join(DATA, folder);
  return existsSync(root)
    ? readdirSync(root)
        .filter((name) => pattern.test(name))
        .sort()
    : [];
}

function readSets(dir: string): { inputs: OnnxTensor[]; outputs: OnnxTensor[] }[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((set) => {
      const read = (kind: string): OnnxTensor[] => {
        const out: OnnxTensor[] = [];
        for (let i = 0; existsSync(join(dir, set, `${kind}_${i}.pb`)); i++) {
          const file = join(dir, set, `${kind}_${i}.pb`);
          out.push(readTensorProto(new Uint8Array(readFileSync(file)), file));
        }
        return out;
      };
      return { inputs: read('input'), outputs: read('output') };
    });
}

function assertMatches(got: OnnxTensor, expected: OnnxTensor, what: string): void {
  assert.deepEqual(got.shape, expected.shape, `${what}: shape`);
  assert.equal(got.type, expected.type, `${what}: element type`);
  for (let i = 0; i < expected.numel; i++) {
    const a = got.numberAt(i);
    const b = expected.numberAt(i);
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    assert.ok(Math.abs(a - b) <= 1e-7 + 1e-3 * Math.abs(b), `${what}[${i}]: got ${a}, expected ${b}`);
  }
}

const BACKENDS: { name: string; backend: Backend | null }[] = [
  { name: 'js', backend: referenceBackend() },
  { name: 'native', backend: nativeBackend({ warn: false }) },
];

const available = existsSync(DATA);

for (const { folder, pattern } of SUITES) {
  const cases = casesOf(folder, pattern);
  test(`ONNX conformance (${folder})`, { skip: available ? false : `${DATA} is missing (apt-get install libonnx-testdata)` }, async (t) => {
    assert.ok(cases.length > 10, `expected the ${folder} cases, found ${cases.length}`);
    for (const name of cases) {
      const reason = NOT_APPLICABLE[name];
      if (reason !== undefined) {
        await t.test(name, { skip: reason }, () => {});
        continue;
      }
      const dir = join(DATA, folder, name);
      const sets = readSets(dir);
      for (const { name: backendName, backend } of BACKENDS) {
        await t.test(`${name} [${backendName}]`, { skip: backend === null ? 'the native addon is not built' : false }, () => {
          withBackend(backend!, () => {
            const model = importOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { source: name });
            assert.ok(sets.length > 0, 'the case has test data');
            for (const { inputs, outputs } of sets) {
              const feeds = new Map(model.inputs.map((info, i) => [info.name, inputs[i]]));
              const results = model.run(feeds);
              for (const [i, expected] of outputs.entries()) assertMatches(results.get(model.outputs[i].name)!, expected, `output ${i}`);
            }
          });
        });
      }
    }
  });
}

test('the not-applicable list names only cases that exist', { skip: available ? false : `${DATA} is missing` }, () => {
  const all = SUITES.flatMap(({ folder, pattern }) => casesOf(folder, pattern));
  for (const name of Object.keys(NOT_APPLICABLE)) assert.ok(all.includes(name), `${name} is not among the matched cases`);
});
