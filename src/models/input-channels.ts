/** The channels a model's input has, read from the model itself (weights of another --in-channels, an ONNX graph). */
import type { Module } from '../nn/module.js';
import { OnnxModel } from '../onnx/onnx-model.js';

/** An ONNX graph's declared C, else the input channels of the first convolution; null when neither says. */
export function modelInputChannels(model: Module): number | null {
  if (model instanceof OnnxModel) {
    const c = model.inputs[0]?.shape?.[1];
    return typeof c === 'number' ? c : null;
  }
  for (const [, p] of model.namedParameters()) if (p.ndim === 4) return p.shape[1];
  return null;
}
