/**
 * The functions exported by the compiled addon (build/Release/alexnet_native.node),
 * typed. Argument orders mirror the Backend interface; the addon checks every
 * argument (types, lengths, geometry) and throws a TypeError naming the bad one.
 */
import type { Backend, Conv2dGeometry, Pool2dGeometry } from '../../backend/backend.js';
import type { Precision } from '../../backend/precision.js';

export type SimdLevel = 'avx512' | 'avx2' | 'generic';
/** The bf16 kernel sets: AVX512-BF16's vdpbf16ps, or AMX tiles (Sapphire Rapids and later). */
export type Bf16Level = 'avx512_bf16' | 'amx';

export interface NativeAddonInfo {
  /** The kernel set in use. */
  simd: SimdLevel;
  /** The best kernel set this CPU supports. */
  bestSimd: SimdLevel;
  threads: number;
  /** How long idle pool threads spin before sleeping, in microseconds. */
  spinMicros: number;
  /** Rows × columns of the GEMM micro-kernel tile of the kernel set in use. */
  tileRows: number;
  tileColumns: number;
  /** The CPU as CPUID describes it (caches in bytes: L1d and L2 per core, L3 shared). */
  cpu: { vendor: string; brand: string; family: number; model: number; l1d: number; l2: number; l3: number; description: string };
  /** The row of the per-CPU tuning table in use (native/src/cpu_tuning.cc), e.g. "zen4". */
  tuning: string;
  /** The bf16 kernel set in use ("amx" or "avx512_bf16"), or null when bf16 cannot run here (see bf16Unsupported). */
  bf16: string | null;
  /** Why bf16 cannot run here; empty when it can. */
  bf16Unsupported: string;
  /** The bf16 kernel sets this CPU can run, lowest first (setBf16 chooses among them). */
  bf16Levels: readonly Bf16Level[];
  cpuFeatures: string[];
  /** Whether linear layers at batch 1-4 skip the weights of zero inputs (ALEXNET_SPARSE_LINEAR, default on). */
  sparseLinear: boolean;
  /** ALEXNET_* settings whose values did not parse, one line each ("ALEXNET_BF16='AMX' is not avx512_bf16 or amx"). */
  settingProblems: readonly string[];
}

/** An opaque handle to weights packed by the addon (a napi External). */
export interface PackedConvHandle {
  readonly __packedConvWeight: unique symbol;
}

/** The Backend kernels the addon exports under the same names and argument orders. */
type SharedKernels = Pick<
  Backend,
  | 'gemm'
  | 'conv2dForward'
  | 'conv2dBackwardData'
  | 'conv2dBackwardWeight'
  | 'reluForward'
  | 'reluBackward'
  | 'lrnForward'
  | 'lrnBackward'
  | 'maxPool2dForward'
  | 'maxPool2dBackward'
  | 'adaptiveAvgPool2dForward'
  | 'adaptiveAvgPool2dBackward'
  | 'logSoftmaxForward'
  | 'logSoftmaxBackward'
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'scale'
  | 'axpy'
  | 'sum'
  | 'sgdStep'
>;

/** The image and both axes' taps, as the resampling entry points take them first (src/image/resample.ts's AxisTaps, unpacked). */
export type ResampleSource = [
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  colFirst: Int32Array,
  colCount: Int32Array,
  colWeights: Int32Array,
  colStride: number,
  rowFirst: Int32Array,
  rowCount: Int32Array,
  rowWeights: Int32Array,
  rowStride: number,
];

export interface NativeAddon extends SharedKernels {
  info(): NativeAddonInfo;
  /** Switches the kernel set (clamped to what the CPU supports); returns the one in effect. */
  setSimd(level: SimdLevel): SimdLevel;
  /** Caps the bf16 kernels at `level` (AMX CPUs can be kept on AVX512-BF16); returns the set in effect, or null. */
  setBf16(level: Bf16Level): Bf16Level | null;
  setThreads(threads: number): number;
  /** Pillow's two-pass bilinear resampling with the given taps (Backend.resampleBilinear). */
  resampleBilinear(...args: [...ResampleSource, out: Uint8Array]): void;
  /** The same into normalized float32 planes through a per-channel byte table (Backend.resampleBilinearToPlanes). */
  resampleBilinearToPlanes(...args: [...ResampleSource, table: Float32Array, out: Float32Array]): void;
  /** How long idle pool threads spin before sleeping (µs, clamped to [0, 1e6]); returns the value in effect. */
  setSpin(microseconds: number): number;
  /** The FMA peak (GFLOP/s) of the current kernel set on all pool threads, measured over ~seconds. */
  peakGflops(seconds?: number): number;
  /** A zero-filled Float32Array on 2 MiB pages where the OS gives them (native/src/huge_pages.h). */
  allocateFloat32(length: number): Float32Array;

  packConvWeight(g: Conv2dGeometry, w: Float32Array, precision?: Precision): PackedConvHandle;
  /**
   * bf16: the rows converted (consume: w is zeroed, its pages given back to the OS, as it is packed). fp32: a handle
   * that calls pass together with w itself (argument 9 of linearForward): batch 1-4 calls whose input has enough zeros
   * run on a transposed copy the addon makes at the first such call (native/src/sparse_rows.h); consume must be false.
   */
  packLinearWeight(outFeatures: number, inFeatures: number, w: Float32Array, precision: Precision, consume?: boolean): PackedConvHandle;
  /** C[M×N] = bf16(A) · bf16(B) accumulated in fp32 by the bf16 micro-kernels (tests). */
  gemmBf16(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void;
  /** linearForward with a packed weight in place of w (an fp32 packing: with w as `weight`). */
  linearForward(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array | PackedConvHandle,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
    weight?: Float32Array,
  ): void;
  disposePackedWeight(handle: PackedConvHandle): void;
  /** The bytes a packed weight holds now (an fp32 linear packing grows by its transposed copy on first use). */
  packedWeightBytes(handle: PackedConvHandle): number;
  /** What a packed convolution runs, in words ("Winograd F(5×5, 3×3) after 4×4 space-to-depth"). */
  packedConvAlgorithm(handle: PackedConvHandle): string;
  /**
   * w: the weight the packing was made from, convolved directly for an input Winograd filters cannot take (NaN, ∞);
   * without it such an input is refused.
   */
  conv2dForwardPacked(
    g: Conv2dGeometry,
    packed: PackedConvHandle,
    x: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
    w?: Float32Array,
  ): void;

  /** With a packed handle, `source` is the weight it was made from (as conv2dForwardPacked's w). */
  conv2dForwardAsync(
    g: Conv2dGeometry,
    x: Float32Array,
    w: Float32Array | PackedConvHandle,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
    source?: Float32Array,
  ): Promise<void>;
  linearForwardAsync(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array | PackedConvHandle,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
    weight?: Float32Array,
  ): Promise<void>;
  maxPool2dForwardAsync(g: Pool2dGeometry, x: Float32Array, out: Float32Array): Promise<void>;
}
