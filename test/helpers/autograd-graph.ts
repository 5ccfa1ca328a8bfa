/** Test helper: the tensors of a recorded autograd graph. */
import type { Tensor } from '../../src/tensor/tensor.js';

/** Every tensor with a graph node reachable from `root` (root first), each as often as a path reaches it. */
export function graphTensors(root: Tensor): Tensor[] {
  const graph: Tensor[] = [];
  const walk = (t: Tensor): void => {
    graph.push(t);
    for (const input of t.gradFn?.inputs ?? []) if (input !== null && input.gradFn !== null) walk(input);
  };
  walk(root);
  return graph;
}
