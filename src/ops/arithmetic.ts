/** Differentiable elementwise arithmetic on same-shape tensors, scalars, and reductions to a scalar. */
import { getBackend } from '../backend/registry.js';
import { sameShape, shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';

function checkSame(a: Tensor, b: Tensor, op: string): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} differ (no broadcasting)`);
}

export function add(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'add');
  const out = Tensor.zeros(a.shape);
  getBackend().add(a.data, b.data, out.data);
  return attachGrad(out, 'AddBackward', [a, b], (g) => [g, g]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'sub');
  const out = Tensor.zeros(a.shape);
  getBackend().sub(a.data, b.data, out.data);
  return attachGrad(out, 'SubBackward', [a, b], (g) => {
    const neg = new Float32Array(g.length);
    getBackend().scale(g, -1, neg);
    return [g, neg];
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'mul');
  const out = Tensor.zeros(a.shape);
  getBackend().mul(a.data, b.data, out.data);
  return attachGrad(
    out,
    'MulBackward',
    [a, b],
    (g) => {
      const backend = getBackend();
      const ga = a.requiresGrad ? new Float32Array(g.length) : null;
      const gb = b.requiresGrad ? new Float32Array(g.length) : null;
      if (ga) backend.mul(g, b.data, ga);
      if (gb) backend.mul(g, a.data, gb);
      return [ga, gb];
    },
    // Each factor is read only for the other's gradient (torch saves it only then, too).
    [b.requiresGrad ? a : null, a.requiresGrad ? b : null],
  );
}

export function mulScalar(a: Tensor, s: number): Tensor {
  const out = Tensor.zeros(a.shape);
  getBackend().scale(a.data, s, out.data);
  return attachGrad(out, 'MulScalarBackward', [a], (g) => {
    const ga = new Float32Array(g.length);
    getBackend().scale(g, s, ga);
    return [ga];
  });
}

/** Sum of every element, as a scalar tensor. */
export function sum(a: Tensor): Tensor {
  const out = Tensor.scalar(getBackend().sum(a.data));
  return attachGrad(out, 'SumBackward', [a], (g) => [new Float32Array(a.data.length).fill(g[0])]);
}

/**
 * Mean of every element, as a scalar tensor. The float32 sum divided by the
 * count, and the gradient divided likewise, as torch does: multiplying by
 * 1/n instead is an ulp off on about one value in six.
 */
export function mean(a: Tensor): Tensor {
  const n = a.data.length;
  if (n === 0) throw new Error('mean: tensor is empty');
  // One float32 division: fround(x) / n in double arithmetic rounds, once stored, as float32's x / n would.
  const out = Tensor.scalar(Math.fround(getBackend().sum(a.data)) / n);
  return attachGrad(out, 'MeanBackward', [a], (g) => [new Float32Array(n).fill(g[0] / n)]);
}
