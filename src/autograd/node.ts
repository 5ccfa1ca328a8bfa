/**
 * A node of the backward graph: what produced a tensor, which inputs need a
 * gradient, and how to turn the output's gradient into theirs.
 */
import type { Tensor } from '../tensor/tensor.js';

export interface GradFn {
  /** Op name, for error messages and debugging (e.g. "Conv2dBackward"). */
  readonly name: string;
  /** The op's inputs; null where an input needs no gradient. */
  readonly inputs: readonly (Tensor | null)[];
  /**
   * Gradients with respect to each input (same order as `inputs`, null where
   * not needed), given the gradient of the output. Called at most once.
   * `gradOutReusable`: nothing else references gradOut, so an elementwise
   * backward may write its result into it and return it (no fresh buffer).
   */
  backward(gradOut: Float32Array, gradOutReusable: boolean): (Float32Array | null)[];
}
