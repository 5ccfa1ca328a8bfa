/**
 * What Conv2d and Linear share for bf16 inference (see backend/precision.ts):
 * the inference-only check, whether the backend runs bf16 natively, and the
 * exact emulation (rounded copies) used on backends that do not.
 */
import type { Backend } from '../backend/backend.js';
import { roundArrayToBf16 } from '../backend/js/bf16.js';
import { needsGrad, Tensor } from '../tensor/tensor.js';

/** bf16 runs inference only: a layer in training mode or recording a graph refuses it, naming itself. */
export function assertBf16Inference(label: string, training: boolean, inputs: readonly (Tensor | null)[]): void {
  if (training) {
    throw new Error(`${label}: bf16 precision is for inference: call eval() first (or setPrecision('fp32') to train)`);
  }
  if (needsGrad(inputs)) {
    throw new Error(`${label}: bf16 precision is for inference: run it under noGrad() (gradients are float32 only)`);
  }
}

/**
 * Whether `backend` runs bf16 with its own kernels (true), or has no bf16
 * kernels so the layers emulate it (false). Throws the backend's reason when it
 * has bf16 kernels but this CPU cannot run them.
 */
export function backendRunsBf16(backend: Backend): boolean {
  if (backend.precisionSupport === undefined) return false;
  const reason = backend.precisionSupport('bf16');
  if (reason !== null) throw new Error(reason);
  return true;
}

/** A tensor with the values of `x` rounded to bf16 (float32 storage). */
export function roundTensorToBf16(x: Tensor): Tensor {
  return new Tensor(roundArrayToBf16(x.data), x.shape);
}

/** A rounded weight as a cache entry (nothing to free). */
export function roundedWeight(weight: Tensor): { tensor: Tensor; dispose(): void } {
  return { tensor: roundTensorToBf16(weight), dispose: () => undefined };
}
