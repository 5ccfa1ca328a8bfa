/** torch.nn.ReLU. (PyTorch's inplace=True only saves memory; results are identical.) */
import { relu } from '../../ops/relu.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
