/** torch.nn.Conv2d: weight [out, in/groups, kH, kW], bias [out]. */
import { isGradEnabled } from '../../autograd/grad-mode.js';
import type { Backend, PackedConv2dWeight } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { conv2d, conv2dAsync, conv2dGeometry, type Conv2dOptions } from '../../ops/conv2d.js';
import { pair, type Pair } from '../../ops/pair.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pytorchDefaultInit_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface Conv2dConfig {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** The weight packed by a backend for inference, with what it was packed from. */
  private packed: { backend: Backend; weight: PackedConv2dWeight; fingerprint: number } | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, config: Conv2dConfig = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(config.stride ?? 1);
    this.padding = pair(config.padding ?? 0);
    this.dilation = pair(config.dilation ?? 1);
    this.groups = config.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: groups=${this.groups} must divide both in_channels=${inChannels} and out_channels=${outChannels}`);
    }
    this.weight = this.registerParameter('weight', Parameter.empty([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = this.registerParameter('bias', config.bias === false ? null : Parameter.empty([outChannels]));
    pytorchDefaultInit_(this.weight, this.bias);
  }

  /** Short description used in error messages, e.g. "Conv2d(3→64, k=11, s=4, p=2)". */
  get label(): string {
    const one = ([a, b]: [number, number]): string => (a === b ? `${a}` : `${a}×${b}`);
    let s = `Conv2d(${this.inChannels}→${this.outChannels}, k=${one(this.kernelSize)}, s=${one(this.stride)}, p=${one(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, d=${one(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    return `${s})`;
  }

  private options(x: Tensor, fuseRelu: boolean): Conv2dOptions {
    const options: Conv2dOptions = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, fuseRelu, label: this.label };
    options.packed = this.packedWeight(x, options);
    return options;
  }

  /**
   * In inference (eval mode, no graph) a backend that can pack weights gets
   * them packed once instead of on every call. The packed copy is dropped on
   * train() and loadStateDict(), and repacked when a sample of the weight
   * shows that it was written to in place.
   */
  private packedWeight(x: Tensor, options: Conv2dOptions): PackedConv2dWeight | undefined {
    const backend = getBackend();
    if (this.training || isGradEnabled() || backend.packConv2dWeight === undefined) return undefined;
    const fingerprint = sampleFingerprint(this.weight.data);
    if (this.packed !== null && this.packed.backend === backend && this.packed.fingerprint === fingerprint) return this.packed.weight;
    this.dropPackedWeight();
    const weight = backend.packConv2dWeight(conv2dGeometry(x.shape, this.weight.shape, options), this.weight.data);
    this.packed = { backend, weight, fingerprint };
    return weight;
  }

  private dropPackedWeight(): void {
    this.packed?.weight.dispose();
    this.packed = null;
  }

  protected override onParametersChanged(): void {
    this.dropPackedWeight();
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options(x, false));
  }

  forwardFusedRelu(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options(x, true));
  }

  override forwardAsync(x: Tensor): Promise<Tensor> {
    return conv2dAsync(x, this.weight, this.bias, this.options(x, false));
  }

  forwardFusedReluAsync(x: Tensor): Promise<Tensor> {
    return conv2dAsync(x, this.weight, this.bias, this.options(x, true));
  }

  override extraRepr(): string {
    const t = ([a, b]: [number, number]): string => `(${a}, ${b})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${t(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${t(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** A cheap summary of 64 evenly spaced values: catches a weight rewritten in place (new training, manual edits). */
function sampleFingerprint(data: Float32Array): number {
  let h = data.length;
  const step = Math.max(1, Math.floor(data.length / 64));
  for (let i = 0; i < data.length; i += step) h = (Math.imul(h, 31) + Math.round(data[i] * 1e6)) | 0;
  return h;
}
