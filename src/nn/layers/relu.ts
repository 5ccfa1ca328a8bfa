/** torch.nn.ReLU. (PyTorch's inplace=True only saves memory; results are identical.) */
import { relu } from '../../ops/relu.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  /** `inplace` is kept for PyTorch's repr ("ReLU(inplace=True)"); the output is a new tensor either way. */
  constructor(readonly inplace = false) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return relu(x);
  }

  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}
