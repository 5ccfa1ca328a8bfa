/**
 * A model's convolution layers with their state_dict-style paths
 * ("features.0"), in registration order: for torchvision's and the paper's
 * AlexNet (and a torch-exported ONNX graph) that is also forward order, so
 * the first one is conv1, whose kernels are the paper's Figure 3.
 */
import { Conv2d } from '../nn/layers/conv2d.js';
import type { Module } from '../nn/module.js';

export interface NamedConv {
  name: string;
  layer: Conv2d;
}

export function convLayers(model: Module): NamedConv[] {
  const convs: NamedConv[] = [];
  for (const [name, m] of model.namedModules()) if (m instanceof Conv2d) convs.push({ name, layer: m });
  return convs;
}

/** The first convolution (conv1); throws when the model has none, naming it. */
export function firstConv(model: Module): NamedConv {
  const [first] = convLayers(model);
  if (first === undefined) throw new Error(`${model.typeName} has no Conv2d layer to draw`);
  return first;
}
