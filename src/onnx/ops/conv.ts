/**
 * Conv (2-D, NCHW). A weight known at import time makes a Conv2d layer that
 * owns it (packed once, bf16, fused ReLU); asymmetric or auto_pad padding is
 * applied to the input first, since PyTorch's convolution pads symmetrically.
 * A weight computed by the graph runs through F.conv2d.
 */
import { Conv2d } from '../../nn/layers/conv2d.js';
import { conv2d } from '../../ops/conv2d.js';
import { pad } from '../../ops/pad.js';
import { shapeToString } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OnnxTensor } from '../onnx-tensor.js';
import { type CompileContext, type CompiledOp, requireInput } from './op.js';
import { readWindow, resolveWindow, symmetricPadding, type WindowSpec } from './window.js';

export function compileConv(context: CompileContext): CompiledOp {
  const { attributes, label } = context;
  const group = attributes.int('group', 1);
  const weight = context.constantInput(1);
  const bias = context.constantInput(2);
  const biasOmitted = (context.node.inputs[2] ?? '') === '';

  if (weight !== undefined && (bias !== undefined || biasOmitted)) {
    if (weight.ndim !== 4)
      throw new Error(`${label}: only 2-D convolutions are supported (weight [O, C/group, kH, kW]), got weight ${shapeToString(weight.shape)}`);
    const [outChannels, cPerGroup, kH, kW] = weight.shape;
    const spec = readWindow(attributes, label, [kH, kW]);
    if (outChannels % group !== 0) throw new Error(`${label}: group ${group} does not divide the ${outChannels} output channels`);
    const symmetric = typeof spec.pads === 'string' ? null : symmetricPadding(spec.pads);
    const layer = new Conv2d(cPerGroup * group, outChannels, [kH, kW], {
      stride: spec.strides,
      dilation: spec.dilations,
      groups: group,
      padding: symmetric ?? 0,
      bias: !biasOmitted,
      initialize: false,
    });
    layer.weight.data.set(weight.toTensor(`${label} weight`).data);
    context.adoptInput(1);
    if (bias !== undefined && layer.bias !== null) {
      if (bias.numel !== outChannels) throw new Error(`${label}: bias has ${bias.numel} values, expected ${outChannels}`);
      layer.bias.data.set(bias.toTensor(`${label} bias`).data);
      context.adoptInput(2);
    }
    if (symmetric !== null) return { kind: 'layer', layer, inputRank: 4 };
    return { kind: 'layer', layer, inputRank: 4, prepare: (x) => padForWindow(x, spec, label) };
  }

  attributes.ignore('kernel_shape', 'strides', 'dilations', 'pads', 'auto_pad'); // read per call: the kernel size comes with W
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X').toTensor(`${label} input X`);
      const w = requireInput(inputs, 1, label, 'W').toTensor(`${label} input W`);
      if (w.ndim !== 4) throw new Error(`${label}: only 2-D convolutions are supported, got weight ${shapeToString(w.shape)}`);
      if (x.ndim !== 4) throw new Error(`${label}: expected input X [N, C, H, W] (of W's rank), got ${shapeToString(x.shape)}`);
      const b = inputs[2]?.toTensor(`${label} input B`) ?? null;
      const spec = readWindow(attributes, label, [w.shape[2], w.shape[3]]);
      const padded = padForWindow(x, spec, label);
      return [OnnxTensor.fromTensor(conv2d(padded, w, b, { stride: spec.strides, dilation: spec.dilations, groups: group, label }))];
    },
  };
}

/** Zero-pads the input to the window's explicit or auto_pad padding, so the convolution itself pads nothing. */
function padForWindow(x: Tensor, spec: WindowSpec, label: string): Tensor {
  if (x.ndim !== 4) throw new Error(`${label}: expected input [N, C, H, W], got ${shapeToString(x.shape)}`);
  const { pads } = resolveWindow(spec, x.shape[2], x.shape[3], label);
  const [top, left, bottom, right] = pads;
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return pad(x, [left, right, top, bottom], 0);
}
