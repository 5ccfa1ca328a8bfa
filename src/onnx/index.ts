/** ONNX in and out: read a model into a runnable OnnxModel, write our models as ONNX (no Node APIs). */
import { withFormatContext } from '../formats/errors.js';
import { decodeModel } from './model-proto.js';
import { OnnxModel, type OnnxImportOptions } from './onnx-model.js';
import { TensorProtoType } from './schema.js';
import { type TensorProtoMessage, tensorFromProto } from './tensor-proto.js';
import type { OnnxTensor } from './onnx-tensor.js';

export { OnnxModel, type OnnxFeeds, type OnnxImportOptions } from './onnx-model.js';
export { OnnxTensor, type OnnxElementType } from './onnx-tensor.js';
export { decodeModel, encodeModel, type OnnxModelProto, type OnnxNode, type OnnxValueInfo } from './model-proto.js';
export type { ExternalDataReader, ExternalDataRef } from './tensor-proto.js';
export { supportedOperators } from './ops/index.js';
export { exportOnnx, EXPORT_MAX_OPSET, EXPORT_MIN_OPSET, type OnnxExportOptions } from './export.js';

/** True when the bytes look like an ONNX model: a protobuf whose first field is ir_version (field 1, varint). */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x08 && bytes[1] > 0 && bytes[1] < 0x80;
}

/** Reads an ONNX model (ModelProto bytes) into a runnable module in eval mode. */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): OnnxModel {
  const source = options.source ?? '<onnx model>';
  const proto = decodeModel(bytes, source);
  return new OnnxModel(proto, { ...options, source }).eval();
}

/** A serialized TensorProto (ONNX's test data, input_0.pb) as a value. */
export function readTensorProto(bytes: Uint8Array, source = '<tensor>'): OnnxTensor {
  return withFormatContext(source, 'the tensor', () => {
    const message = TensorProtoType.decode(bytes) as unknown as TensorProtoMessage;
    return tensorFromProto(message, { source, what: `tensor '${message.name ?? ''}'` });
  });
}
