/** torch.nn.Linear: weight [out, in], bias [out]. */
import type { PackedLinearWeight } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { linear, linearAsync, type LinearOptions } from '../../ops/linear.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pytorchDefaultInit_ } from '../init.js';
import { assertBf16Inference, backendRunsBf16, roundedWeight, roundTensorToBf16 } from '../bf16-inference.js';
import { Module } from '../module.js';
import { PackedWeightCache } from '../packed-weight-cache.js';
import { Parameter } from '../parameter.js';

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** The weight converted by a backend for bf16 inference. */
  private readonly packedCache = new PackedWeightCache<PackedLinearWeight>();
  /** The weight rounded to bf16, for backends that emulate bf16. */
  private readonly roundedCache = new PackedWeightCache<{ tensor: Tensor; dispose(): void }>();

  constructor(inFeatures: number, outFeatures: number, bias = true) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = this.registerParameter('weight', Parameter.empty([outFeatures, inFeatures]));
    this.bias = this.registerParameter('bias', bias ? Parameter.empty([outFeatures]) : null);
    pytorchDefaultInit_(this.weight, this.bias);
  }

  get label(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures})`;
  }

  /**
   * The input, weight and options of one call: fp32 uses the weight in place;
   * bf16 (inference only) uses the weight converted once by a backend with
   * bf16 kernels, or emulates it with rounded copies.
   */
  private prepare(x: Tensor, fuseRelu: boolean): { x: Tensor; weight: Tensor; options: LinearOptions } {
    const options: LinearOptions = { label: this.label, fuseRelu };
    if (this.precision !== 'bf16') return { x, weight: this.weight, options };
    assertBf16Inference(this.label, this.training, [x, this.weight, this.bias]);
    const backend = getBackend();
    const pack = backend.packLinearWeight?.bind(backend);
    if (backendRunsBf16(backend) && pack !== undefined) {
      options.packed = this.packedCache.get(backend, 'bf16', this.weight.data,
        () => pack(this.outFeatures, this.inFeatures, this.weight.data, 'bf16'));
      return { x, weight: this.weight, options };
    }
    const rounded = this.roundedCache.get(backend, 'bf16', this.weight.data, () => roundedWeight(this.weight));
    return { x: roundTensorToBf16(x), weight: rounded.tensor, options };
  }

  protected override onParametersChanged(): void {
    this.packedCache.drop();
    this.roundedCache.drop();
  }

  forward(x: Tensor): Tensor {
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
