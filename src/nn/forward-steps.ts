/**
 * One forward, run two ways. A model or container writes its forward once, as
 * a generator that yields each submodule call instead of making it:
 *
 *     *forwardSteps(x: Tensor): ForwardSteps {
 *       x = yield [this.features, x];      // x = self.features(x)
 *       x = x.flatten(1);                  // plain tensor code runs as usual
 *       return yield [this.classifier, x];
 *     }
 *
 * Module.forward() drives it synchronously (each yielded call is made with
 * call()), Module.forwardAsync() asynchronously (callAsync(), so the heavy
 * kernels of the layers below run off the main thread): the same code, with
 * whatever control flow it needs, serves model.call(x) and model.callAsync(x).
 */
import type { Tensor } from '../tensor/tensor.js';
import { ChainRelease } from './activation-release.js';
import type { Module } from './module.js';

/** A layer that can apply the following ReLU inside its own kernel (Sequential fuses them in inference). */
export interface ReluFusable {
  forwardFusedRelu(x: Tensor): Tensor;
  forwardFusedReluAsync(x: Tensor): Promise<Tensor>;
}

/** A yielded submodule call: run `module` on `input` (with the following ReLU fused in, when 'fused-relu'). */
export type SubmoduleCall = readonly [module: Module, input: Tensor] | readonly [module: Module & ReluFusable, input: Tensor, fused: 'fused-relu'];

/** What forwardSteps returns: yields calls, receives their outputs, returns the module's output. */
export type ForwardSteps = Generator<SubmoduleCall, Tensor, Tensor>;

/**
 * Drives a step generator with call(); R is a model's output (Tensor) or, for a graph with several outputs,
 * whatever its runner returns. With `chain` (Module.forwardIsChain), activations passed from one call to the
 * next go back to the buffer pool in inference (nn/activation-release.ts).
 */
export function runStepsSync<R = Tensor>(steps: Generator<SubmoduleCall, R, Tensor>, chain = false): R {
  const release = chain ? new ChainRelease() : null;
  let step = steps.next();
  while (!step.done) {
    const [module, input, fused] = step.value;
    const output = fused === undefined ? module.call(input) : (module as Module & ReluFusable).forwardFusedRelu(input);
    release?.afterCall(module, input, output);
    step = steps.next(output);
  }
  return step.value;
}

export async function runStepsAsync<R = Tensor>(steps: Generator<SubmoduleCall, R, Tensor>, chain = false): Promise<R> {
  const release = chain ? new ChainRelease() : null;
  let step = steps.next();
  while (!step.done) {
    const [module, input, fused] = step.value;
    const output = fused === undefined ? await module.callAsync(input) : await (module as Module & ReluFusable).forwardFusedReluAsync(input);
    release?.afterCall(module, input, output);
    step = steps.next(output);
  }
  return step.value;
}
