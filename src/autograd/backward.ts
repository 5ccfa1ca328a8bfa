/**
 * Reverse-mode differentiation: walks the graph from a root tensor in
 * reverse topological order, sums the gradients that reach each tensor, and
 * accumulates them into `.grad` of leaves that require one. The graph is
 * freed as it is walked (like retain_graph=False), so memory does not grow
 * across training steps.
 */
import { getBackend } from '../backend/registry.js';
import { recycleBuffer } from '../tensor/buffer-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/shape.js';
import { storageVersion } from '../tensor/version.js';
import type { GradFn } from './node.js';

/**
 * Tensors whose graph node an earlier backward pass freed, with that node's
 * name. Their gradFn is null like a leaf's, so without this record a second
 * backward would silently treat them as leaves (PyTorch raises instead).
 * Weak, so it keeps nothing alive.
 */
const freedNodes = new WeakMap<Tensor, string>();

/** Whether an op made `tensor` and an earlier backward() freed its node (so its gradFn is null, yet it is no leaf). */
export function wasComputedByFreedNode(tensor: Tensor): boolean {
  return freedNodes.has(tensor);
}

export function runBackward(root: Tensor, gradient: Float32Array): void {
  const order = topologicalOrder(root);
  for (const tensor of order) {
    const freed = freedNodes.get(tensor);
    if (freed !== undefined) {
      throw new Error(
        `backward(): trying to backward through the graph a second time: the ${freed} node on this path was freed by an earlier backward() (graphs are freed after each backward, as in PyTorch without retain_graph); run the forward pass again`,
      );
    }
  }
  const pending = new Map<Tensor, Float32Array>();
  pending.set(root, gradient);
  const backend = getBackend();
  // Buffers this walk allocated itself; only these may be summed into in place,
  // since an op's backward may hand the same array to several inputs.
  const owned = new Set<Float32Array>();
  // Buffers that exactly one pending gradient refers to (made by one backward,
  // handed to one input, seen nowhere else). A leaf without .grad can take such
  // a buffer as its gradient instead of copying it: for AlexNet that saves
  // allocating and copying every weight gradient (228 MB) on each step.
  const everSeen = new Set<Float32Array>([gradient]);
  const exclusive = new Set<Float32Array>();
  const note = (g: Float32Array): void => {
    if (everSeen.has(g)) exclusive.delete(g);
    else {
      everSeen.add(g);
      exclusive.add(g);
    }
  };

  for (const tensor of order) {
    const grad = pending.get(tensor);
    pending.delete(tensor);
    if (grad === undefined) continue;
    // Once handed to this node's backward, the buffer may come back aliased
    // (AddBackward returns it for both inputs, ReshapeBackward passes it on):
    // it is then shared, and summing into it in place would leak into siblings.
    owned.delete(grad);
    const fn = tensor.gradFn;
    if (fn === null) {
      const adopted = tensor.accumulateGrad(grad, exclusive.has(grad));
      // Summed into an existing .grad and referenced nowhere else: reusable.
      if (!adopted && exclusive.has(grad)) recycleBuffer(grad);
      continue;
    }
    checkSavedTensors(fn);
    const reusable = exclusive.has(grad);
    const inputGrads = fn.backward(grad, reusable);
    if (reusable) {
      if (inputGrads.includes(grad)) {
        // Written in place and handed on: for its new owners it is a buffer
        // this node made (exclusive to one input, shared by two).
        everSeen.delete(grad);
        exclusive.delete(grad);
      } else {
        // Used up and handed to no input: reusable by the next ops' gradients
        // (tensor/buffer-pool.ts), which saves them fresh memory's page faults.
        recycleBuffer(grad);
      }
    }
    // Free this node: its closure holds the saved activations.
    tensor.gradFn = null;
    if (tensor.releaseAfterBackward) {
      tensor.releaseAfterBackward = false;
      // A view (reshape, flatten) shares its base's buffer, and the base's node, which may read it (LRN and softmax
      // read their outputs), runs later: only a tensor with storage of its own goes back to the pool.
      if (!fn.inputs.some((input) => input !== null && input.data.buffer === tensor.data.buffer)) recycleBuffer(tensor.data);
    }
    freedNodes.set(tensor, fn.name);
    fn.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (input === null || g === null || g === undefined || !input.requiresGrad) return;
      if (g.length !== input.data.length) {
        throw new Error(`${fn.name}: gradient for input ${i} has ${g.length} elements, expected ${input.data.length}`);
      }
      note(g);
      const sofar = pending.get(input);
      if (sofar === undefined) {
        pending.set(input, g);
      } else if (owned.has(sofar)) {
        backend.axpy(1, g, sofar);
      } else {
        const sum = new Float32Array(sofar);
        backend.axpy(1, g, sum);
        owned.add(sum);
        note(sum);
        pending.set(input, sum);
      }
    });
  }
}

/**
 * PyTorch's check of saved variables: a tensor the node's backward reads must still hold what the forward pass
 * saw. An optimizer step, loadStateDict or markChanged() between forward and backward (a GAN's discriminator
 * stepped before the generator's backward, say) would otherwise give gradients of values the forward never used.
 */
function checkSavedTensors(fn: GradFn): void {
  for (const saved of fn.saved) {
    const { tensor, data, version } = saved;
    const what = `a tensor of shape ${shapeToString(tensor.shape)} that ${fn.name} needs for the gradient`;
    const fix = 'run backward() before changing it, or run the forward pass again after';
    if (tensor.data !== data)
      throw new Error(`backward(): ${what} was given new storage (setStorage or loadStateDict with assign) after the forward pass: ${fix}`);
    const now = storageVersion(data);
    if (now !== version) {
      throw new Error(
        `backward(): ${what} was changed in place after the forward pass (its version is ${now}, the forward pass saw ${version}: an optimizer step, loadStateDict or markChanged()): ${fix}`,
      );
    }
  }
}

/** Tensors reachable from root through gradFn inputs, root first, each after every tensor that consumes it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const visited = new Set<Tensor>();
  const postOrder: Tensor[] = [];
  const stack: { tensor: Tensor; expanded: boolean }[] = [{ tensor: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      postOrder.push(top.tensor);
      continue;
    }
    if (visited.has(top.tensor)) continue;
    visited.add(top.tensor);
    stack.push({ tensor: top.tensor, expanded: true });
    for (const input of top.tensor.gradFn?.inputs ?? []) {
      if (input?.requiresGrad && !visited.has(input)) stack.push({ tensor: input, expanded: false });
    }
  }
  return postOrder.reverse();
}
