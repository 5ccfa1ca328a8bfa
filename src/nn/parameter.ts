/** A tensor that a Module owns as a learnable weight: it requires a gradient unless frozen. */
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export class Parameter extends Tensor {
  constructor(data: Float32Array, shape: Shape, requiresGrad = true) {
    super(data, shape, { requiresGrad });
  }

  /** A zero-filled parameter of this shape (init functions then fill it); unlike Tensor.empty, never garbage. */
  static override empty(shape: Shape): Parameter {
    const t = Tensor.zeros(shape);
    return new Parameter(t.data, t.shape);
  }
}
