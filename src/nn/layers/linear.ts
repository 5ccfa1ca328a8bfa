/** torch.nn.Linear: weight [out, in], bias [out]. */
import { linear, linearAsync } from '../../ops/linear.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pytorchDefaultInit_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

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

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, { label: this.label });
  }

  forwardFusedRelu(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, { label: this.label, fuseRelu: true });
  }

  override forwardAsync(x: Tensor): Promise<Tensor> {
    return linearAsync(x, this.weight, this.bias, { label: this.label });
  }

  forwardFusedReluAsync(x: Tensor): Promise<Tensor> {
    return linearAsync(x, this.weight, this.bias, { label: this.label, fuseRelu: true });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? 'False' : 'True'}`;
  }
}
