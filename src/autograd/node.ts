/**
 * A node of the backward graph: what produced a tensor, which inputs need a
 * gradient, and how to turn the output's gradient into theirs.
 */
import type { Tensor } from '../tensor/tensor.js';

/**
 * A tensor a node's backward reads, as the forward pass left it: backward
 * checks that neither its storage nor the storage's version (tensor/version.ts)
 * moved since, as PyTorch checks its saved variables.
 */
export interface SavedTensor {
  readonly tensor: Tensor;
  readonly data: Float32Array;
  readonly version: number;
}

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
  /** The tensors `backward` reads (inputs or the output), checked before it runs. */
  readonly saved: readonly SavedTensor[];
}
