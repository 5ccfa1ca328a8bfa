/** Differentiable y = x·Wᵀ + b over the last dimension, torch.nn.functional.linear (W is [out, in]). */
import type { PackedLinearWeight } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { shapeToString } from '../tensor/shape.js';
import { attachGrad, assertNoGraphThroughFusedRelu, Tensor } from '../tensor/tensor.js';
import { takeBuffer } from '../tensor/buffer-pool.js';

export interface LinearOptions {
  /** Apply ReLU in the same pass (inference fast path; no autograd). */
  fuseRelu?: boolean;
  label?: string;
  /** The weight as the current backend packed it (bf16 inference: no gradient flows to the weight then). */
  packed?: PackedLinearWeight;
}

export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: LinearOptions = {}): Tensor {
  const { rows, inF, outF, out } = prepare(x, weight, bias, options);
  const fuseRelu = options.fuseRelu ?? false;
  assertNoGraphThroughFusedRelu(fuseRelu, [x, weight, bias], options.label ?? 'linear');
  const backend = getBackend();
  if (inF === 0) {
    emptyProduct(out.data, bias?.data ?? null, fuseRelu);
  } else if (options.packed !== undefined && backend.linearForwardPacked !== undefined) {
    backend.linearForwardPacked(rows, inF, outF, x.data, options.packed, bias?.data ?? null, out.data, fuseRelu);
  } else {
    backend.linearForward(rows, inF, outF, x.data, weight.data, bias?.data ?? null, out.data, fuseRelu);
  }
  return fuseRelu ? out : recordBackward(x, weight, bias, out, rows, inF, outF);
}

/** linear whose kernel runs off the main thread when the backend offers async kernels. */
export async function linearAsync(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: LinearOptions = {}): Promise<Tensor> {
  const kernels = getBackend().async;
  if (kernels === undefined) return linear(x, weight, bias, options);
  const { rows, inF, outF, out } = prepare(x, weight, bias, options);
  const fuseRelu = options.fuseRelu ?? false;
  assertNoGraphThroughFusedRelu(fuseRelu, [x, weight, bias], options.label ?? 'linear');
  if (inF === 0) {
    emptyProduct(out.data, bias?.data ?? null, fuseRelu);
  } else if (options.packed !== undefined && kernels.linearForwardPacked !== undefined) {
    await kernels.linearForwardPacked(rows, inF, outF, x.data, options.packed, bias?.data ?? null, out.data, fuseRelu);
  } else {
    await kernels.linearForward(rows, inF, outF, x.data, weight.data, bias?.data ?? null, out.data, fuseRelu);
  }
  return fuseRelu ? out : recordBackward(x, weight, bias, out, rows, inF, outF);
}

function prepare(x: Tensor, weight: Tensor, bias: Tensor | null, options: LinearOptions): { rows: number; inF: number; outF: number; out: Tensor } {
  const label = options.label ?? 'linear';
  if (weight.ndim !== 2) throw new Error(`${label}: expected weight [out, in], got ${shapeToString(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`${label}: expected input [..., ${inF}], got ${shapeToString(x.shape)}`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`${label}: expected bias [${outF}], got ${shapeToString(bias.shape)}`);
  }
  const leading = x.shape.slice(0, -1);
  return { rows: leading.reduce((a, b) => a * b, 1), inF, outF, out: Tensor.empty([...leading, outF]) };
}

/** in_features = 0: every output is the bias (the sum of no products), as torch gives; no kernel takes K = 0. */
function emptyProduct(out: Float32Array, bias: Float32Array | null, fuseRelu: boolean): void {
  if (bias === null || bias.length === 0) {
    out.fill(0);
    return;
  }
  for (let i = 0; i < out.length; i += bias.length) out.set(bias, i);
  if (fuseRelu) for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = 0;
}

function recordBackward(x: Tensor, weight: Tensor, bias: Tensor | null, out: Tensor, rows: number, inF: number, outF: number): Tensor {
  return attachGrad(
    out,
    'LinearBackward',
    [x, weight, bias],
    (gradOut) => {
      const backend = getBackend();
      let gradX: Float32Array | null = null;
      let gradW: Float32Array | null = null;
      let gradB: Float32Array | null = null;
      if (x.requiresGrad) {
        // dX[rows, in] = dY[rows, out] · W[out, in]
        gradX = takeBuffer(x.data.length);
        if (gradX.length > 0) backend.gemm(false, false, rows, inF, outF, gradOut, weight.data, gradX, false);
      }
      if (weight.requiresGrad) {
        // dW[out, in] = dYᵀ[out, rows] · X[rows, in]
        gradW = takeBuffer(weight.data.length);
        if (gradW.length > 0) backend.gemm(true, false, outF, inF, rows, gradOut, x.data, gradW, false);
      }
      if (bias?.requiresGrad) {
        gradB = new Float32Array(outF);
        for (let r = 0; r < rows; r++) backend.axpy(1, gradOut.subarray(r * outF, (r + 1) * outF), gradB);
      }
      return [gradX, gradW, gradB];
    },
    // The weight is read only for the input's gradient, the input only for the weight's (torch saves them only then).
    [weight.requiresGrad ? x : null, x.requiresGrad ? weight : null],
  );
}
