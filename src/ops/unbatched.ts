/**
 * torch's unbatched inputs for the 2-D spatial ops (conv2d, max_pool2d,
 * avg_pool2d): an input [C, H, W] runs as a batch of one, [1, C, H, W], and
 * the output comes back without that dimension, [C', H', W']. Both reshapes
 * are views, so gradients flow through them.
 */
import type { Tensor } from '../tensor/tensor.js';

export function asBatchOfOne(x: Tensor, run: (batched: Tensor) => Tensor): Tensor {
  if (x.ndim !== 3) return run(x);
  const out = run(x.reshape([1, ...x.shape]));
  return out.reshape(out.shape.slice(1));
}

export async function asBatchOfOneAsync(x: Tensor, run: (batched: Tensor) => Promise<Tensor>): Promise<Tensor> {
  if (x.ndim !== 3) return run(x);
  const out = await run(x.reshape([1, ...x.shape]));
  return out.reshape(out.shape.slice(1));
}
