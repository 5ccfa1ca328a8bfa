/** torch.nn.AvgPool2d (stride defaults to the kernel size; padding may also be ONNX's per-side [top, left, bottom, right]). */
import { avgPool2d, type AvgPool2dPadding } from '../../ops/avg-pool2d.js';
import type { Pair } from '../../ops/pair.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export interface AvgPool2dConfig {
  stride?: Pair;
  padding?: AvgPool2dPadding;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

export class AvgPool2d extends Module {
  readonly stride: Pair;
  readonly padding: AvgPool2dPadding;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | undefined;

  constructor(
    readonly kernelSize: Pair,
    config: AvgPool2dConfig = {},
  ) {
    super();
    this.stride = config.stride ?? kernelSize;
    this.padding = config.padding ?? 0;
    this.ceilMode = config.ceilMode ?? false;
    this.countIncludePad = config.countIncludePad ?? true;
    this.divisorOverride = config.divisorOverride;
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
      label: `AvgPool2d(kernel_size=${String(this.kernelSize)}, stride=${String(this.stride)})`,
    });
  }

  /** PyTorch's repr names kernel_size, stride and padding only. */
  override extraRepr(): string {
    const show = (p: number | readonly number[]): string => (typeof p === 'number' ? `${p}` : `(${p.join(', ')})`);
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}
