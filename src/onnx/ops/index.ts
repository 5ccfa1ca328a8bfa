/** Every ONNX operator the importer runs, by op_type (default domain, opsets MIN_OPSET to MAX_OPSET: 1 to 17). */
import { compileIf } from './control-flow.js';
import { compileConv } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { compileGemm, compileMatMul } from './gemm.js';
import { LAYOUT_OPS } from './layout.js';
import { NORMALIZATION_OPS } from './normalization.js';
import type { OpCompiler } from './op.js';
import { compileAveragePool, compileGlobalAveragePool, compileMaxPool } from './pooling.js';
import { REDUCE_OPS } from './reduce.js';
import { SOFTMAX_OPS } from './softmax.js';
import { TENSOR_OPS } from './tensor-ops.js';

export const OPERATORS: ReadonlyMap<string, OpCompiler> = new Map(
  Object.entries({
    Conv: compileConv,
    If: compileIf,
    MaxPool: compileMaxPool,
    AveragePool: compileAveragePool,
    GlobalAveragePool: compileGlobalAveragePool,
    Gemm: compileGemm,
    MatMul: compileMatMul,
    ...ELEMENTWISE_OPS,
    ...LAYOUT_OPS,
    ...NORMALIZATION_OPS,
    ...REDUCE_OPS,
    ...SOFTMAX_OPS,
    ...TENSOR_OPS,
  }),
);

/** Opsets before 7 load too when their nodes use nothing removed since (e.g. GlobalAveragePool-1); older attributes are refused by name. */
export const MIN_OPSET = 1;
export const MAX_OPSET = 17;

export function supportedOperators(): string[] {
  return [...OPERATORS.keys()].sort();
}
