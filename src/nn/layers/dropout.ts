/** torch.nn.Dropout(p): active in train(), identity in eval(). */
import { dropout } from '../../ops/dropout.js';
import { defaultGenerator, type Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { pythonNumber } from '../python-repr.js';

export class Dropout extends Module {
  /** `inplace` only shows in the repr, as PyTorch prints it; the output is a new tensor either way. */
  constructor(
    readonly p = 0.5,
    readonly generator: Generator = defaultGenerator,
    readonly inplace = false,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability must be in [0, 1], got ${p}`);
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }

  override extraRepr(): string {
    return `p=${pythonNumber(this.p)}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}
