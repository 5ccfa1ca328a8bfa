/** torch.nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1). */
import { localResponseNorm } from '../../ops/local-response-norm.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { pythonNumber } from '../python-repr.js';

export class LocalResponseNorm extends Module {
  constructor(
    readonly size: number,
    readonly alpha = 1e-4,
    readonly beta = 0.75,
    readonly k = 1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k, label: `LocalResponseNorm(${this.size})` });
  }

  override extraRepr(): string {
    return `${this.size}, alpha=${pythonNumber(this.alpha)}, beta=${pythonNumber(this.beta)}, k=${pythonNumber(this.k)}`;
  }
}
