/** torch.nn.AdaptiveAvgPool2d(output_size). */
import { adaptiveAvgPool2d } from '../../ops/adaptive-avg-pool2d.js';
import { pair, type Pair } from '../../ops/pair.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize, `AdaptiveAvgPool2d(${this.outputSize.join(', ')})`);
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize.join(', ')})`;
  }
}
