/** torch.nn.Linear: weight [out, in], bias [out]. */
import { isGradEnabled } from '../../autograd/grad-mode.js';
import { getBackend } from '../../backend/registry.js';
import { linear, linearAsync, type LinearOptions } from '../../ops/linear.js';
import { discardFp32Values, fp32ValuesDiscarded, preparedWeight } from '../../ops/prepared-weight.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pytorchDefaultInit_ } from '../init.js';
import { assertBf16Inference, backendRunsBf16, roundedWeight, roundTensorToBf16 } from '../bf16-inference.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  /** `initialize` false leaves the weights zero for a caller that fills them at once (the ONNX importer). */
  constructor(inFeatures: number, outFeatures: number, bias = true, initialize = true) {
    super();
    // Checked here, so that the error names the argument rather than the weight's shape.
    for (const [name, value] of [
      ['in_features', inFeatures],
      ['out_features', outFeatures],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`Linear: ${name} must be a non-negative integer, got ${value}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter('weight', Parameter.empty([outFeatures, inFeatures]));
    this.bias = this.registerParameter('bias', bias ? Parameter.empty([outFeatures]) : null);
    if (initialize) pytorchDefaultInit_(this.weight, this.bias);
  }

  get label(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }

  /**
   * The input, weight and options of one call: fp32 uses the weight in place (or, in inference on a backend
   * that asks for it, packed once);
   * bf16 (inference only) uses the weight converted once by a backend with
   * bf16 kernels, or emulates it with rounded copies.
   */
  private prepare(x: Tensor, fuseRelu: boolean): { x: Tensor; weight: Tensor; options: LinearOptions } {
    const options: LinearOptions = { label: this.label, fuseRelu };
    const backend = getBackend();
    const pack = backend.packLinearWeight?.bind(backend);
    if (this.precision !== 'bf16') {
      // Without its float32 values (discardFp32Weights) the layer has only this backend's packed copy, which no
      // gradient and no other backend can use.
      const lost = fp32ValuesDiscarded(this.weight);
      if (lost !== undefined && isGradEnabled()) throw new Error(`${lost}; it runs under noGrad() only`);
      if (lost !== undefined && backend.packsFp32LinearWeights !== true) throw new Error(lost);
      if (backend.packsFp32LinearWeights === true && pack !== undefined && !this.training && !isGradEnabled())
        options.packed = preparedWeight(this.weight, 'packed-fp32', () => pack(this.outFeatures, this.inFeatures, this.weight.data, 'fp32'));
      return { x, weight: this.weight, options };
    }
    assertBf16Inference(this.label, this.training, [x, this.weight, this.bias]);
    if (backendRunsBf16(backend) && pack !== undefined) {
      options.packed = preparedWeight(this.weight, 'packed-bf16', () => pack(this.outFeatures, this.inFeatures, this.weight.data, 'bf16'));
      return { x, weight: this.weight, options };
    }
    const rounded = preparedWeight(this.weight, 'rounded-bf16', () => roundedWeight(this.weight));
    return { x: roundTensorToBf16(x), weight: rounded.tensor, options };
  }

  /**
   * setPrecision(p, { keepFp32Weights: false }): the weight converted by the
   * backend now, and its float32 values freed: into bf16 where the backend has
   * bf16 kernels, into the backend's packed fp32 copy where it keeps one
   * (packsFp32LinearWeights). Other backends keep them (their kernels, or the
   * bf16 emulation, read them).
   */
  protected override discardFp32Weights(): void {
    const backend = getBackend();
    const pack = backend.packLinearWeight?.bind(backend);
    if (pack === undefined) return;
    const bf16 = this.precision === 'bf16';
    if (bf16 ? !backendRunsBf16(backend) : backend.packsFp32LinearWeights !== true) return;
    const reason =
      `${this.label}: its float32 weight was discarded by setPrecision('${this.precision}', { keepFp32Weights: false }) ` +
      `and only the ${this.precision} copy for this backend is left; load the weights again to train, save, or change precision or backend`;
    discardFp32Values(
      this.weight,
      bf16 ? 'packed-bf16' : 'packed-fp32',
      () => pack(this.outFeatures, this.inFeatures, this.weight.data, this.precision, true),
      reason,
    );
  }

  override forward(x: Tensor): Tensor {
    const p = this.prepare(x, false);
    return linear(p.x, p.weight, this.bias, p.options);
  }

  forwardFusedRelu(x: Tensor): Tensor {
    const p = this.prepare(x, true);
    return linear(p.x, p.weight, this.bias, p.options);
  }

  override forwardAsync(x: Tensor): Promise<Tensor> {
    const p = this.prepare(x, false);
    return linearAsync(p.x, p.weight, this.bias, p.options);
  }

  forwardFusedReluAsync(x: Tensor): Promise<Tensor> {
    const p = this.prepare(x, true);
    return linearAsync(p.x, p.weight, this.bias, p.options);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? 'False' : 'True'}`;
  }
}
