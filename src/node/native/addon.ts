/**
 * The functions exported by the compiled addon (build/Release/alexnet_native.node),
 * typed. Argument orders mirror the Backend interface; the addon checks every
 * argument (types, lengths, geometry) and throws a TypeError naming the bad one.
 */
import type { Conv2dGeometry, LrnGeometry, Pool2dGeometry, SgdHyper } from '../../backend/backend.js';

export type SimdLevel = 'avx512' | 'avx2' | 'generic';

export interface NativeAddonInfo {
  /** The kernel set in use. */
  simd: SimdLevel;
  /** The best kernel set this CPU supports. */
  bestSimd: SimdLevel;
  threads: number;
  /** Rows × columns of the GEMM micro-kernel tile of the kernel set in use. */
  tileRows: number;
  tileColumns: number;
  cpuFeatures: string[];
}

/** An opaque handle to weights packed by the addon (a napi External). */
export interface PackedConvHandle {
  readonly __packedConvWeight: unique symbol;
}

export interface NativeAddon {
  info(): NativeAddonInfo;
  /** Switches the kernel set (clamped to what the CPU supports); returns the one in effect. */
  setSimd(level: SimdLevel): SimdLevel;
  setThreads(threads: number): number;
  /** The FMA peak (GFLOP/s) of the current kernel set on all pool threads, measured over ~seconds. */
  peakGflops(seconds?: number): number;

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void;
  linearForward(batch: number, inFeatures: number, outFeatures: number, x: Float32Array, w: Float32Array,
    bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void;

  packConvWeight(g: Conv2dGeometry, w: Float32Array): PackedConvHandle;
  disposePackedWeight(handle: PackedConvHandle): void;
  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null,
    out: Float32Array, fuseRelu: boolean): void;
  conv2dForwardPacked(g: Conv2dGeometry, packed: PackedConvHandle, x: Float32Array, bias: Float32Array | null,
    out: Float32Array, fuseRelu: boolean): void;
  conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void;
  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array,
    gradBias: Float32Array | null): void;

  conv2dForwardAsync(g: Conv2dGeometry, x: Float32Array, w: Float32Array | PackedConvHandle,
    bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): Promise<void>;
  linearForwardAsync(batch: number, inFeatures: number, outFeatures: number, x: Float32Array, w: Float32Array,
    bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): Promise<void>;

  reluForward(x: Float32Array, out: Float32Array): void;
  reluBackward(gradOut: Float32Array, y: Float32Array, gradIn: Float32Array): void;
  lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array): void;
  lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array,
    gradOut: Float32Array, gradIn: Float32Array): void;
  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array): void;
  maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void;
  adaptiveAvgPool2dForward(planes: number, inH: number, inW: number, outH: number, outW: number,
    x: Float32Array, out: Float32Array): void;
  adaptiveAvgPool2dBackward(planes: number, inH: number, inW: number, outH: number, outW: number,
    gradOut: Float32Array, gradIn: Float32Array): void;
  logSoftmaxForward(rows: number, cols: number, x: Float32Array, out: Float32Array): void;
  logSoftmaxBackward(rows: number, cols: number, gradOut: Float32Array, out: Float32Array, gradIn: Float32Array): void;
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  sub(a: Float32Array, b: Float32Array, out: Float32Array): void;
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void;
  div(a: Float32Array, b: Float32Array, out: Float32Array): void;
  scale(a: Float32Array, s: number, out: Float32Array): void;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  sum(a: Float32Array): number;
  sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void;
}
