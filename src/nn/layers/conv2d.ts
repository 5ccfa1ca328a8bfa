/** torch.nn.Conv2d: weight [out, in/groups, kH, kW], bias [out]. */
import { isGradEnabled } from '../../autograd/grad-mode.js';
import { getBackend } from '../../backend/registry.js';
import { conv2d, conv2dAsync, conv2dGeometry, type Conv2dOptions } from '../../ops/conv2d.js';
import { checkedPair, type Pair } from '../../ops/pair.js';
import { currentPreparedWeight, preparedWeight } from '../../ops/prepared-weight.js';
import type { Tensor } from '../../tensor/tensor.js';
import { pytorchDefaultInit_ } from '../init.js';
import { assertBf16Inference, backendRunsBf16, roundedWeight, roundTensorToBf16 } from '../bf16-inference.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface Conv2dConfig {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** false: leave the weights zero, for a caller that fills them at once (the ONNX importer); skips PyTorch's init. */
  initialize?: boolean;
}

/** A constructor argument that must be an integer ≥ min, checked so that the error names it (not the weight's shape). */
function checkedCount(value: number, min: number, name: string): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`Conv2d: ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/** A 2-D argument (k or [kh, kw]) of integers ≥ min. */
function checkedSizes(value: Pair, min: number, name: string): [number, number] {
  const sizes = checkedPair(value, name, 'Conv2d');
  if (!sizes.every((v) => Number.isInteger(v) && v >= min)) throw new Error(`Conv2d: ${name} must be integers ≥ ${min}, got ${JSON.stringify(value)}`);
  return sizes;
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

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, config: Conv2dConfig = {}) {
    super();
    this.inChannels = checkedCount(inChannels, 0, 'in_channels');
    this.outChannels = checkedCount(outChannels, 0, 'out_channels');
    this.kernelSize = checkedSizes(kernelSize, 1, 'kernel_size');
    this.stride = checkedSizes(config.stride ?? 1, 1, 'stride');
    this.padding = checkedSizes(config.padding ?? 0, 0, 'padding');
    this.dilation = checkedSizes(config.dilation ?? 1, 1, 'dilation');
    this.groups = checkedCount(config.groups ?? 1, 1, 'groups');
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: groups=${this.groups} must divide both in_channels=${inChannels} and out_channels=${outChannels}`);
    }
    this.weight = this.registerParameter('weight', Parameter.empty([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = this.registerParameter('bias', config.bias === false ? null : Parameter.empty([outChannels]));
    if (config.initialize !== false) pytorchDefaultInit_(this.weight, this.bias);
  }

  /** Short description used in error messages, e.g. "Conv2d(3→64, k=11, s=4, p=2)". */
  get label(): string {
    const one = ([a, b]: [number, number]): string => (a === b ? `${a}` : `${a}×${b}`);
    let s = `Conv2d(${this.inChannels}→${this.outChannels}, k=${one(this.kernelSize)}, s=${one(this.stride)}, p=${one(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, d=${one(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    return `${s})`;
  }

  /**
   * What the backend's packed kernel for this layer runs ("Winograd F(5×5, 3×3)
   * after 4×4 space-to-depth" for AlexNet's conv1 on the native and wasm
   * backends), once an inference call has packed the weight; null before that,
   * in training, or where the backend does not say.
   */
  get packedAlgorithm(): string | null {
    const packed = currentPreparedWeight(this.weight) as { algorithm?: string } | undefined;
    return packed?.algorithm ?? null;
  }

  /**
   * The input, weight and options of one call. In inference (eval mode, no
   * graph) a backend that can pack weights gets them packed once instead of on
   * every call, in the layer's precision (ops/prepared-weight.ts: repacked when
   * the weight changes in place, freed by train()). bf16 on a backend without
   * bf16 kernels is emulated with rounded copies.
   */
  private prepare(x: Tensor, fuseRelu: boolean): { x: Tensor; weight: Tensor; options: Conv2dOptions } {
    const options: Conv2dOptions = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, fuseRelu, label: this.label };
    const backend = getBackend();
    const pack = backend.packConv2dWeight?.bind(backend);
    if (this.precision === 'bf16') {
      assertBf16Inference(this.label, this.training, [x, this.weight, this.bias]);
      if (backendRunsBf16(backend) && pack !== undefined) {
        const g = conv2dGeometry(x.shape, this.weight.shape, options);
        options.packed = preparedWeight(this.weight, 'packed-bf16', () => pack(g, this.weight.data, 'bf16'));
        return { x, weight: this.weight, options };
      }
      const rounded = preparedWeight(this.weight, 'rounded-bf16', () => roundedWeight(this.weight));
      return { x: roundTensorToBf16(x), weight: rounded.tensor, options };
    }
    if (!this.training && !isGradEnabled() && pack !== undefined) {
      const g = conv2dGeometry(x.shape, this.weight.shape, options);
      options.packed = preparedWeight(this.weight, 'packed-fp32', () => pack(g, this.weight.data));
    }
    return { x, weight: this.weight, options };
  }

  override forward(x: Tensor): Tensor {
    const p = this.prepare(x, false);
    return conv2d(p.x, p.weight, this.bias, p.options);
  }

  forwardFusedRelu(x: Tensor): Tensor {
    const p = this.prepare(x, true);
    return conv2d(p.x, p.weight, this.bias, p.options);
  }

  override forwardAsync(x: Tensor): Promise<Tensor> {
    const p = this.prepare(x, false);
    return conv2dAsync(p.x, p.weight, this.bias, p.options);
  }

  forwardFusedReluAsync(x: Tensor): Promise<Tensor> {
    const p = this.prepare(x, true);
    return conv2dAsync(p.x, p.weight, this.bias, p.options);
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
