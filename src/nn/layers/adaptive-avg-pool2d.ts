/** torch.nn.AdaptiveAvgPool2d(output_size). */
import { adaptiveAvgPool2d, adaptiveOutputSize } from '../../ops/adaptive-avg-pool2d.js';
import type { Pair } from '../../ops/pair.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  /** The output size as given (6 or [6, 6]): torch's repr prints it in that form. */
  private readonly givenOutputSize: Pair;

  constructor(outputSize: Pair) {
    super();
    this.outputSize = adaptiveOutputSize(outputSize, 'AdaptiveAvgPool2d');
    this.givenOutputSize = typeof outputSize === 'number' ? outputSize : [outputSize[0], outputSize[1]];
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize, `AdaptiveAvgPool2d(${this.outputSize.join(', ')})`);
  }

  override extraRepr(): string {
    // A pair prints as the tuple torchvision passes, AdaptiveAvgPool2d((6, 6)).
    const given = this.givenOutputSize;
    return `output_size=${typeof given === 'number' ? given : `(${given.join(', ')})`}`;
  }
}
