/**
 * The kernel interface. Every numeric routine of alexnet-ts goes through one
 * Backend, so the portable `js` backend (the readable reference and test
 * oracle) and the C++ `native` backend can be swapped op for op.
 *
 * Kernels work on raw, contiguous, row-major Float32Arrays and plain geometry
 * records; they know nothing of tensors or autograd. Every kernel writes its
 * whole output (never accumulates) unless its name says `accumulate`.
 */

/** Geometry of a 2-D convolution over NCHW input and OIHW weight (groups split C and O). */
import type { Precision } from './precision.js';

export interface Conv2dGeometry {
  batch: number;
  inChannels: number;
  inH: number;
  inW: number;
  outChannels: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** Geometry of a 2-D max pooling over NCHW input; `channels` counts N·C planes per image. */
export interface Pool2dGeometry {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

/**
 * Geometry of a 2-D average pooling over NCHW input. Padding is per side (torch pads both sides alike; ONNX's
 * pads may differ), and the divisor follows torch's avg_pool2d: `divisorOverride` when set, else with
 * `countIncludePad` the window clipped to the padded extent [−padBegin, in + padEnd), else only its part
 * inside the input.
 */
export interface AvgPool2dGeometry {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/** Local response normalization over the channel axis of [N, C, S] (S = product of spatial sizes). */
export interface LrnGeometry {
  batch: number;
  channels: number;
  spatial: number;
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/** One torch.optim.SGD step for one parameter, in place. */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** true on the first step: torch initialises the momentum buffer to the gradient itself. */
  firstStep: boolean;
}

/**
 * A convolution weight prepared once for inference in a backend's own layout
 * (micro-kernel panels, Winograd-transformed filters). Valid for any batch and
 * spatial size with the same weight shape, stride and dilation; stale once
 * the original weight changes.
 */
export interface PackedConv2dWeight {
  readonly kind: string;
  /** What the packed kernel runs, where the backend says: "direct (implicit im2col)", "Winograd F(5×5, 3×3)", "Winograd F(5×5, 3×3) after 4×4 space-to-depth", with ", bf16" for bf16 products. */
  readonly algorithm?: string;
  /** Frees the packed copy now rather than when it is garbage-collected. */
  dispose(): void;
}

/** A linear layer's weight prepared once for inference (bf16: converted to bfloat16). Stale once the weight changes. */
export interface PackedLinearWeight {
  readonly kind: string;
  dispose(): void;
}

/**
 * Kernels that a backend can also run off the JavaScript thread, resolving
 * when the output is written. Used by Module.callAsync so that a server or UI
 * keeps answering during inference. The inputs must not be modified until
 * the promise settles.
 */
export interface AsyncKernels {
  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): Promise<void>;
  linearForward(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): Promise<void>;
  conv2dForwardPacked?(
    g: Conv2dGeometry,
    packed: PackedConv2dWeight,
    x: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): Promise<void>;
  linearForwardPacked?(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    packed: PackedLinearWeight,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): Promise<void>;
  /** Max pooling for inference (no indices for a backward pass). */
  maxPool2dForward?(g: Pool2dGeometry, x: Float32Array, out: Float32Array): Promise<void>;
}

/** The resampling taps of one image axis (src/image/resample.ts computes them): output i reads `count[i]` source pixels from `first[i]`. */
export interface ResampleTaps {
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Fixed-point weights per output (22 fraction bits). */
  readonly stride: number;
  readonly weights: Int32Array;
}

/**
 * Every kernel writes every element of its output arrays (out, gradIn, gradW,
 * C unless `accumulate`): ops hand them recycled, unzeroed buffers
 * (Tensor.empty). A kernel that accumulates must zero its output first.
 */
export interface Backend {
  readonly name: string;
  /** Present when the backend can run the heavy forward kernels off the main thread. */
  readonly async?: AsyncKernels;

  /**
   * C[M,N] = op(A) · op(B) (+ C when accumulate), all row-major.
   * op(A) is A[M,K] or, with transA, A stored as [K,M]; op(B) is B[K,N] or, with transB, B stored as [N,K].
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void;

  /**
   * Optional: Pillow's two-pass bilinear resampling of an 8-bit image (`height` × `width` × `channels`,
   * interleaved) with the given column and row taps into `out` (rows × columns × channels): the same bytes as
   * src/image/resample.ts, which uses it when present.
   */
  resampleBilinear?(src: Uint8Array, width: number, height: number, channels: number, cols: ResampleTaps, rows: ResampleTaps, out: Uint8Array): void;
  /**
   * Optional: the same resampling with each output byte of channel c mapped through `table[c * 256 + byte]` into
   * plane c of `out` (planes × rows × columns float32), for the first `planes = table.length / 256` channels
   * (1 to `channels`; an RGBA image's alpha is left out with a table of 3 planes): resize, ToTensor and Normalize
   * in one pass (src/image/imagenet.ts uses it when present).
   */
  resampleBilinearToPlanes?(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    cols: ResampleTaps,
    rows: ResampleTaps,
    table: Float32Array,
    out: Float32Array,
  ): void;

  /**
   * Optional: a zero-filled array of `length` floats in memory this backend's kernels stream fastest (native:
   * 2 MiB pages). Asked only for arrays of at least LARGE_ARRAY_LENGTH floats (buffer-pool.ts).
   */
  allocateLarge?(length: number): Float32Array;

  /** out[N, O, oH, oW] = conv(x[N, C, H, W], w[O, C/groups, kH, kW]) + bias[O]; optional fused ReLU. */
  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void;
  /**
   * Null when this backend runs inference in `precision` natively, else why it cannot (one line naming the
   * CPU or backend). A backend without this method runs fp32 only; bf16 is then emulated (see precision.ts).
   */
  precisionSupport?(precision: Precision): string | null;
  /** Optional inference fast path: pack a weight once (eval mode), then convolve with it. Precision fp32 by default. */
  packConv2dWeight?(g: Conv2dGeometry, w: Float32Array, precision?: Precision): PackedConv2dWeight;
  conv2dForwardPacked?(g: Conv2dGeometry, packed: PackedConv2dWeight, x: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void;
  /** gradIn[N, C, H, W] = ∂loss/∂x given gradOut[N, O, oH, oW]. */
  conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void;
  /** gradW[O, C/groups, kH, kW] and gradBias[O] (when not null) given x and gradOut. */
  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array, gradBias: Float32Array | null): void;

  /** out[B, outF] = x[B, inF] · wᵀ + bias, w stored [outF, inF] as torch.nn.Linear; optional fused ReLU. */
  linearForward(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void;
  /**
   * true when fp32 inference should pack linear weights once too (packLinearWeight with 'fp32'): the wasm
   * backend, whose kernels read only their own memory, would otherwise copy a 150 MB weight per call; the native
   * one, to keep the transposed copy with which batch 1 skips the weights of zero inputs.
   */
  readonly packsFp32LinearWeights?: boolean;
  /**
   * Optional: the weight prepared once for inference: bf16 (precisionSupport('bf16') must be null), or fp32 where
   * packsFp32LinearWeights. `consume`: w's values are not needed afterwards, so the backend zeroes w as it packs
   * and may give its memory back to the OS on the way (the native backend does on Linux), so that packing never
   * holds both copies whole.
   */
  packLinearWeight?(outFeatures: number, inFeatures: number, w: Float32Array, precision: Precision, consume?: boolean): PackedLinearWeight;
  linearForwardPacked?(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    packed: PackedLinearWeight,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void;

  reluForward(x: Float32Array, out: Float32Array): void;
  /** gradIn = gradOut where y > 0, else 0 (y is the ReLU output, as torch's threshold_backward uses). */
  reluBackward(gradOut: Float32Array, y: Float32Array, gradIn: Float32Array): void;

  /** out = x · scale^(−β), scale = k + α/n · Σ x²; `scale` is kept for the backward pass (null in inference). */
  lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array | null): void;
  lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void;

  /**
   * Max pooling; `argmax` receives, per output, the flat index inside its input plane (PyTorch's choice: the first
   * maximum, NaN wins). `argmax` null: inference, where no backward pass will need the indices.
   */
  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void;
  maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void;

  /** Average pooling with torch's divisors (see AvgPool2dGeometry); a window with no input cell gives 0, as in torch. */
  avgPool2dForward(g: AvgPool2dGeometry, x: Float32Array, out: Float32Array): void;
  /** gradIn: each output's gradient spread evenly over the input cells of its window, divided by that window's divisor. */
  avgPool2dBackward(g: AvgPool2dGeometry, gradOut: Float32Array, gradIn: Float32Array): void;

  /** PyTorch's adaptive average pooling: window i is [⌊i·In/Out⌋, ⌈(i+1)·In/Out⌉). `planes` = N·C. */
  adaptiveAvgPool2dForward(planes: number, inH: number, inW: number, outH: number, outW: number, x: Float32Array, out: Float32Array): void;
  adaptiveAvgPool2dBackward(planes: number, inH: number, inW: number, outH: number, outW: number, gradOut: Float32Array, gradIn: Float32Array): void;

  /** Row-wise log-softmax of x[rows, cols]. */
  logSoftmaxForward(rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  /** gradIn = gradOut − exp(out) · Σ gradOut, row-wise. */
  logSoftmaxBackward(rows: number, cols: number, gradOut: Float32Array, out: Float32Array, gradIn: Float32Array): void;

  // Elementwise, same length unless stated.
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  sub(a: Float32Array, b: Float32Array, out: Float32Array): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  div(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out = a · s */
  scale(a: Float32Array, s: number, out: Float32Array): void;
  /** y += alpha · x (gradient accumulation). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** Sum of all elements, accumulated in float64. */
  sum(a: Float32Array): number;

  sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void;
}
