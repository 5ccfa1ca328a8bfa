/**
 * The native backend: every kernel of the Backend interface runs in the C++
 * addon, on the caller's Float32Arrays (zero-copy: the addon reads and writes
 * their memory directly), with SIMD kernels and the addon's own thread pool.
 */
import type { AsyncKernels, AvgPool2dGeometry, Backend, Conv2dGeometry, LrnGeometry, Pool2dGeometry, ResampleTaps, SgdHyper } from '../../backend/backend.js';
import { avgPool2dBackward, avgPool2dForward } from '../../backend/js/avg-pool2d.js';
import type { Precision } from '../../backend/precision.js';
import type { Bf16Level, NativeAddon, NativeAddonInfo, PackedConvHandle, ResampleSource, SimdLevel } from './addon.js';

/**
 * Convolution weights prepared once for inference (e.g. after loading a
 * model in eval mode): the addon keeps them in its micro-kernel layout, or as
 * Winograd-transformed filters (3×3 and 5×5 stride-1 layers, and strided ones
 * after space-to-depth). Valid for any batch and spatial size; only the
 * weight shape must match. Stale once the original weights change.
 */
export interface PackedConv2dWeight {
  readonly kind: 'native-packed-conv2d';
  readonly handle: PackedConvHandle;
  /** What the packed kernel runs ("Winograd F(5×5, 3×3) after 4×4 space-to-depth"). */
  readonly algorithm: string;
  /**
   * The weight the packing was made from (kept alive here, not copied): an input holding a value outside Winograd's
   * range (a NaN or ∞, which its transforms would spread over whole tiles, or a huge one they would overflow on) is
   * convolved directly from this.
   */
  readonly source: Float32Array;
  /** Frees the packed copy now rather than when it is garbage-collected. */
  dispose(): void;
}

/**
 * A linear layer's weight prepared once by the addon: converted to bf16, or
 * for fp32 the weight itself (`fp32`, kept alive here) with a handle under
 * which the addon makes a transposed copy at the first batch-1-to-4 call whose
 * input has enough zeros to skip (native/src/sparse_rows.h).
 */
export interface PackedLinearWeight {
  readonly kind: 'native-packed-linear';
  readonly handle: PackedConvHandle;
  readonly fp32?: Float32Array;
  dispose(): void;
}

/** The async kernels, plus the packed-weight convolution and linear layer and max pooling. */
export interface NativeAsyncKernels extends AsyncKernels {
  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array): Promise<void>;
  conv2dForwardPacked(
    g: Conv2dGeometry,
    packed: PackedConv2dWeight,
    x: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): Promise<void>;
  linearForwardPacked(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    packed: PackedLinearWeight,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): Promise<void>;
}

export class NativeBackend implements Backend {
  readonly name = 'native';
  /**
   * fp32 inference packs linear weights too (Backend.packsFp32LinearWeights): the packing keeps the weight in place
   * and lets the addon make, on the first batch-1-to-4 call whose input has enough zeros, the transposed copy that skips
   * them (AlexNet's classifier: a third to a half of its 234 MB at batch 1, for a second copy of it in memory).
   */
  readonly packsFp32LinearWeights = true;
  readonly async: NativeAsyncKernels;

  constructor(private readonly addon: NativeAddon) {
    this.async = {
      conv2dForward: (g, x, w, bias, out, fuseRelu) => addon.conv2dForwardAsync(g, x, w, bias, out, fuseRelu),
      linearForward: (batch, inF, outF, x, w, bias, out, fuseRelu) => addon.linearForwardAsync(batch, inF, outF, x, w, bias, out, fuseRelu),
      conv2dForwardPacked: (g, packed, x, bias, out, fuseRelu) => addon.conv2dForwardAsync(g, x, packed.handle, bias, out, fuseRelu, packed.source),
      linearForwardPacked: (batch, inF, outF, x, packed, bias, out, fuseRelu) =>
        addon.linearForwardAsync(batch, inF, outF, x, packed.handle, bias, out, fuseRelu, packed.fp32),
      maxPool2dForward: (g, x, out) => addon.maxPool2dForwardAsync(g, x, out),
    };
  }

  allocateLarge(length: number): Float32Array {
    return this.addon.allocateFloat32(length);
  }

  /** The addon's kernel set, thread count and CPU features. */
  info(): NativeAddonInfo {
    return this.addon.info();
  }

  /** Selects a kernel set (for tests and benchmarks); returns the one in effect, clamped to the CPU. */
  setSimd(level: SimdLevel): SimdLevel {
    return this.addon.setSimd(level);
  }

  /** Caps the bf16 kernels (an AMX CPU kept on AVX512-BF16, for comparisons and tests); the set in effect, or null. */
  setBf16(level: Bf16Level): Bf16Level | null {
    return this.addon.setBf16(level);
  }

  resampleBilinear(src: Uint8Array, width: number, height: number, channels: number, cols: ResampleTaps, rows: ResampleTaps, out: Uint8Array): void {
    this.addon.resampleBilinear(...resampleSource(src, width, height, channels, cols, rows), out);
  }

  resampleBilinearToPlanes(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    cols: ResampleTaps,
    rows: ResampleTaps,
    table: Float32Array,
    out: Float32Array,
  ): void {
    this.addon.resampleBilinearToPlanes(...resampleSource(src, width, height, channels, cols, rows), table, out);
  }

  setThreads(threads: number): number {
    return this.addon.setThreads(threads);
  }

  /**
   * How long idle kernel threads spin before sleeping (µs; 1000 by default,
   * ALEXNET_SPIN_US at load). Spinning saves a wake-up between layers when
   * the cores are ours; 0 gives them back at once to a process's other
   * threads (a server decoding images).
   */
  setSpinMicros(microseconds: number): number {
    return this.addon.setSpin(microseconds);
  }

  /** The FMA peak (GFLOP/s) of the current kernel set on all threads, for benchmarks. */
  peakGflops(seconds?: number): number {
    return this.addon.peakGflops(seconds);
  }

  // ---- weight packing (inference) ----

  precisionSupport(precision: Precision): string | null {
    if (precision === 'fp32') return null;
    const reason = this.addon.info().bf16Unsupported;
    return reason === '' ? null : reason;
  }

  packConv2dWeight(g: Conv2dGeometry, w: Float32Array, precision: Precision = 'fp32'): PackedConv2dWeight {
    const addon = this.addon;
    const handle = addon.packConvWeight(g, w, precision);
    return {
      kind: 'native-packed-conv2d',
      handle,
      algorithm: addon.packedConvAlgorithm(handle),
      source: w,
      dispose: () => addon.disposePackedWeight(handle),
    };
  }

  /**
   * bf16: the rows converted (consume: w's memory is given back as they are). fp32: w stays the weight, held by the
   * packing; consume (setPrecision's keepFp32Weights: false) then only hands w over to it, which the layer drops.
   */
  packLinearWeight(outFeatures: number, inFeatures: number, w: Float32Array, precision: Precision, consume = false): PackedLinearWeight {
    const addon = this.addon;
    if (precision === 'fp32') {
      const handle = addon.packLinearWeight(outFeatures, inFeatures, w, 'fp32');
      return { kind: 'native-packed-linear', handle, fp32: w, dispose: () => addon.disposePackedWeight(handle) };
    }
    const handle = addon.packLinearWeight(outFeatures, inFeatures, w, precision, consume);
    return { kind: 'native-packed-linear', handle, dispose: () => addon.disposePackedWeight(handle) };
  }

  /** The bytes of memory a packed weight holds now (an fp32 linear packing: none until its transposed copy). */
  packedBytes(packed: PackedLinearWeight | PackedConv2dWeight): number {
    return this.addon.packedWeightBytes(packed.handle);
  }

  linearForwardPacked(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    packed: PackedLinearWeight,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void {
    this.addon.linearForward(batch, inFeatures, outFeatures, x, packed.handle, bias, out, fuseRelu, packed.fp32);
  }

  conv2dForwardPacked(g: Conv2dGeometry, packed: PackedConv2dWeight, x: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    this.addon.conv2dForwardPacked(g, packed.handle, x, bias, out, fuseRelu, packed.source);
  }

  // ---- the Backend interface ----

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
    this.addon.gemm(transA, transB, M, N, K, A, B, C, accumulate);
  }

  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    this.addon.conv2dForward(g, x, w, bias, out, fuseRelu);
  }

  conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void {
    this.addon.conv2dBackwardData(g, gradOut, w, gradIn);
  }

  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array, gradBias: Float32Array | null): void {
    this.addon.conv2dBackwardWeight(g, x, gradOut, gradW, gradBias);
  }

  linearForward(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void {
    this.addon.linearForward(batch, inFeatures, outFeatures, x, w, bias, out, fuseRelu);
  }

  reluForward(x: Float32Array, out: Float32Array): void {
    this.addon.reluForward(x, out);
  }

  reluBackward(gradOut: Float32Array, y: Float32Array, gradIn: Float32Array): void {
    this.addon.reluBackward(gradOut, y, gradIn);
  }

  lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array | null): void {
    this.addon.lrnForward(g, x, out, scale);
  }

  lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
    this.addon.lrnBackward(g, x, out, scale, gradOut, gradIn);
  }

  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void {
    this.addon.maxPool2dForward(g, x, out, argmax);
  }

  maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void {
    this.addon.maxPool2dBackward(g, gradOut, argmax, gradIn);
  }

  // Average pooling has no C++ kernel yet (AlexNet does not use it; ONNX import does): the js kernel runs here.
  avgPool2dForward(g: AvgPool2dGeometry, x: Float32Array, out: Float32Array): void {
    avgPool2dForward(g, x, out);
  }

  avgPool2dBackward(g: AvgPool2dGeometry, gradOut: Float32Array, gradIn: Float32Array): void {
    avgPool2dBackward(g, gradOut, gradIn);
  }

  adaptiveAvgPool2dForward(planes: number, inH: number, inW: number, outH: number, outW: number, x: Float32Array, out: Float32Array): void {
    this.addon.adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x, out);
  }

  adaptiveAvgPool2dBackward(planes: number, inH: number, inW: number, outH: number, outW: number, gradOut: Float32Array, gradIn: Float32Array): void {
    this.addon.adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradIn);
  }

  logSoftmaxForward(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
    this.addon.logSoftmaxForward(rows, cols, x, out);
  }

  logSoftmaxBackward(rows: number, cols: number, gradOut: Float32Array, out: Float32Array, gradIn: Float32Array): void {
    this.addon.logSoftmaxBackward(rows, cols, gradOut, out, gradIn);
  }

  add(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.addon.add(a, b, out);
  }

  sub(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.addon.sub(a, b, out);
  }

  mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.addon.mul(a, b, out);
  }

  div(a: Float32Array, b: Float32Array, out: Float32Array): void {
    this.addon.div(a, b, out);
  }

  scale(a: Float32Array, s: number, out: Float32Array): void {
    this.addon.scale(a, s, out);
  }

  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    this.addon.axpy(alpha, x, y);
  }

  sum(a: Float32Array): number {
    return this.addon.sum(a);
  }

  sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void {
    this.addon.sgdStep(h, param, grad, momentumBuffer);
  }
}

/** The image and taps in the order the addon's resampling entry points take them. */
function resampleSource(src: Uint8Array, width: number, height: number, channels: number, cols: ResampleTaps, rows: ResampleTaps): ResampleSource {
  return [src, width, height, channels, cols.first, cols.count, cols.weights, cols.stride, rows.first, rows.count, rows.weights, rows.stride];
}
