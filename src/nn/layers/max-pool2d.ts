/** torch.nn.MaxPool2d (stride defaults to the kernel size). */
import { maxPool2d, maxPool2dAsync, type MaxPool2dOptions } from '../../ops/max-pool2d.js';
import type { Pair } from '../../ops/pair.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export interface MaxPool2dConfig {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;

  constructor(
    readonly kernelSize: Pair,
    config: MaxPool2dConfig = {},
  ) {
    super();
    this.stride = config.stride ?? kernelSize;
    this.padding = config.padding ?? 0;
    this.dilation = config.dilation ?? 1;
    this.ceilMode = config.ceilMode ?? false;
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options());
  }

  override forwardAsync(x: Tensor): Promise<Tensor> {
    return maxPool2dAsync(x, this.kernelSize, this.options());
  }

  private options(): MaxPool2dOptions {
    return {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      label: `MaxPool2d(kernel_size=${String(this.kernelSize)}, stride=${String(this.stride)})`,
    };
  }

  override extraRepr(): string {
    const show = (p: Pair): string => (typeof p === 'number' ? `${p}` : `(${p[0]}, ${p[1]})`);
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}
