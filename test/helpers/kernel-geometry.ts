/**
 * Kernel-test data shared by every backend's tests (native, wasm): seeded
 * random arrays and convolution and pooling geometries with torch's output
 * sizes.
 */
import type { Conv2dGeometry, Pool2dGeometry } from '../../src/backend/backend.js';
import type { Generator } from '../../src/tensor/random.js';

/** Uniform values in [−1, 1) from a seeded generator. */
export function randomArray(n: number, gen: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = gen.uniformRange(-1, 1);
  return a;
}

export function convGeometry(p: {
  batch: number;
  inChannels: number;
  inH: number;
  inW: number;
  outChannels: number;
  kernel: number | [number, number];
  stride?: number | [number, number];
  pad?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}): Conv2dGeometry {
  const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  const [kernelH, kernelW] = pair(p.kernel, 1);
  const [strideH, strideW] = pair(p.stride, 1);
  const [padH, padW] = pair(p.pad, 0);
  const [dilationH, dilationW] = pair(p.dilation, 1);
  const outH = Math.floor((p.inH + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH) + 1;
  const outW = Math.floor((p.inW + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW) + 1;
  return {
    batch: p.batch,
    inChannels: p.inChannels,
    inH: p.inH,
    inW: p.inW,
    outChannels: p.outChannels,
    outH,
    outW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    groups: p.groups ?? 1,
  };
}

export function poolGeometry(p: {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  kernel: number;
  stride: number;
  pad?: number;
  dilation?: number;
  ceilMode?: boolean;
}): Pool2dGeometry {
  const pad = p.pad ?? 0,
    dilation = p.dilation ?? 1;
  const size = (n: number): number => {
    const span = n + 2 * pad - dilation * (p.kernel - 1) - 1;
    let out = (p.ceilMode ? Math.ceil(span / p.stride) : Math.floor(span / p.stride)) + 1;
    // torch: with ceil_mode the last window must start inside the input or left padding.
    if (p.ceilMode && (out - 1) * p.stride >= n + pad) out--;
    return out;
  };
  return {
    batch: p.batch,
    channels: p.channels,
    inH: p.inH,
    inW: p.inW,
    outH: size(p.inH),
    outW: size(p.inW),
    kernelH: p.kernel,
    kernelW: p.kernel,
    strideH: p.stride,
    strideW: p.stride,
    padH: pad,
    padW: pad,
    dilationH: dilation,
    dilationW: dilation,
  };
}

export function convSizes(g: Conv2dGeometry): { x: number; w: number; out: number } {
  return {
    x: g.batch * g.inChannels * g.inH * g.inW,
    w: g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
    out: g.batch * g.outChannels * g.outH * g.outW,
  };
}

export function describeConv(g: Conv2dGeometry): string {
  return (
    `N${g.batch} C${g.inChannels}→O${g.outChannels} ${g.inH}x${g.inW} k${g.kernelH}x${g.kernelW} ` +
    `s${g.strideH}x${g.strideW} p${g.padH}x${g.padW} d${g.dilationH}x${g.dilationW} g${g.groups}`
  );
}

/** Convolutions that reach every path of the C++ kernels: direct and Winograd, packed or not, groups, edges. */
export const CONV_TEST_GEOMETRIES: Conv2dGeometry[] = [
  // AlexNet-like layers, scaled down.
  convGeometry({ batch: 2, inChannels: 3, inH: 35, inW: 33, outChannels: 10, kernel: 11, stride: 4, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 16, inH: 9, inW: 9, outChannels: 24, kernel: 5, pad: 2 }),
  // 3×3 stride 1 with ≥ 16 channels: the Winograd path (odd and even output sizes, no padding too).
  convGeometry({ batch: 2, inChannels: 20, inH: 13, inW: 13, outChannels: 33, kernel: 3, pad: 1 }),
  convGeometry({ batch: 1, inChannels: 32, inH: 8, inW: 6, outChannels: 50, kernel: 3, pad: 1 }),
  convGeometry({ batch: 3, inChannels: 17, inH: 7, inW: 9, outChannels: 16, kernel: 3, pad: 0 }),
  convGeometry({ batch: 1, inChannels: 40, inH: 6, inW: 6, outChannels: 64, kernel: 3, pad: 1, groups: 2 }),
  // 5×5 stride 1 with ≥ 16 channels: Winograd F(2×2, 5×5) (odd, rectangular, unpadded, grouped).
  convGeometry({ batch: 2, inChannels: 20, inH: 11, inW: 8, outChannels: 17, kernel: 5, pad: 0 }),
  convGeometry({ batch: 1, inChannels: 24, inH: 7, inW: 10, outChannels: 30, kernel: 5, pad: 1 }),
  convGeometry({ batch: 1, inChannels: 32, inH: 9, inW: 9, outChannels: 32, kernel: 5, pad: 2, groups: 2 }),
  // Batch 1 with several panels of output channels: the threads split the panels (uneven: 2 + 1 or 1 + 1 + 1).
  convGeometry({ batch: 1, inChannels: 16, inH: 9, inW: 9, outChannels: 140, kernel: 5, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 24, inH: 13, inW: 13, outChannels: 150, kernel: 3, pad: 1 }),
  // Batch 1 on kernel sets that split an image's tiles among the threads (generic, wasm): one even range per
  // thread (49 tiles as 25 + 24, rows in blocks as even as the tile allows), and ranges within the L2 budget.
  convGeometry({ batch: 1, inChannels: 16, inH: 27, inW: 27, outChannels: 24, kernel: 5, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 64, inH: 56, inW: 56, outChannels: 16, kernel: 3, pad: 1 }),
  // Batch 1 with few tiles per thread (9 with packed F(4, 3)): one-vector tiles of every tile as a row (AVX-512).
  convGeometry({ batch: 1, inChannels: 16, inH: 11, inW: 11, outChannels: 100, kernel: 3, pad: 1 }),
  // Packed 3×3 weights take F(5, 3) where it needs fewer products than F(4, 3): 13×13 above (3×3 blocks of 5,
  // the last partial), 5×7 unpadded above, and 10×10 here (2×2 whole blocks), with odd channel counts.
  convGeometry({ batch: 1, inChannels: 9, inH: 10, inW: 10, outChannels: 21, kernel: 3, pad: 1 }),
  // Packed strided layers that space-to-depth turns into Winograd ones: conv1's 11×11 stride 4 as a 3×3 layer over
  // 48 phase channels (padded; unpadded with a last phase row and column past the input, as alexnet-original's 227;
  // grouped), 5×5 stride 2 as 3×3 over 4 channels each, and 10×10 stride 2 as 5×5 (F(4, 5)).
  convGeometry({ batch: 2, inChannels: 3, inH: 47, inW: 43, outChannels: 20, kernel: 11, stride: 4, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 3, inH: 47, inW: 47, outChannels: 17, kernel: 11, stride: 4 }),
  convGeometry({ batch: 1, inChannels: 6, inH: 43, inW: 43, outChannels: 32, kernel: 11, stride: 4, pad: 2, groups: 2 }),
  convGeometry({ batch: 1, inChannels: 4, inH: 29, inW: 30, outChannels: 16, kernel: 5, stride: 2, pad: 2 }),
  convGeometry({ batch: 1, inChannels: 4, inH: 40, inW: 38, outChannels: 16, kernel: 10, stride: 2, pad: 1 }),
  // Images enough for every thread (4 threads at most in CI): each takes whole images, an image's tile ranges
  // (this one has several) on the thread that converted it.
  convGeometry({ batch: 8, inChannels: 16, inH: 27, inW: 27, outChannels: 20, kernel: 5, pad: 2 }),
  // Single pixels, 1×1 kernels, K = 1.
  convGeometry({ batch: 2, inChannels: 1, inH: 1, inW: 1, outChannels: 5, kernel: 1 }),
  convGeometry({ batch: 1, inChannels: 6, inH: 1, inW: 1, outChannels: 7, kernel: 3, pad: 1 }),
  convGeometry({ batch: 2, inChannels: 5, inH: 4, inW: 3, outChannels: 9, kernel: 1 }),
  // Stride larger than the kernel, rectangular kernels and strides, dilation.
  convGeometry({ batch: 2, inChannels: 4, inH: 11, inW: 10, outChannels: 6, kernel: 2, stride: 3, pad: 1 }),
  convGeometry({ batch: 1, inChannels: 3, inH: 12, inW: 9, outChannels: 5, kernel: [3, 2], stride: [2, 1], pad: [1, 0] }),
  convGeometry({ batch: 2, inChannels: 6, inH: 12, inW: 12, outChannels: 8, kernel: 3, pad: 2, dilation: 2 }),
  convGeometry({ batch: 1, inChannels: 4, inH: 10, inW: 13, outChannels: 4, kernel: 3, stride: 2, pad: 1, dilation: [2, 3] }),
  // Groups.
  convGeometry({ batch: 2, inChannels: 8, inH: 7, inW: 7, outChannels: 12, kernel: 3, pad: 1, groups: 2 }),
  convGeometry({ batch: 1, inChannels: 6, inH: 9, inW: 8, outChannels: 6, kernel: 5, stride: 2, pad: 2, groups: 3 }),
  // 64 and 100 output channels: the 6×64 AVX-512 tiles (64-wide panels, one partial).
  convGeometry({ batch: 1, inChannels: 3, inH: 19, inW: 19, outChannels: 64, kernel: 5, stride: 2, pad: 2 }),
  // More output pixels than the direct weight gradient's pixel block (512: 24 × 24 = 576), 20 channels (a 16-wide
  // transposed block and a partial one).
  convGeometry({ batch: 2, inChannels: 3, inH: 99, inW: 99, outChannels: 20, kernel: 11, stride: 4, pad: 2 }),
  // More output channels than a tile has columns, few pixels.
  convGeometry({ batch: 1, inChannels: 3, inH: 3, inW: 3, outChannels: 100, kernel: 2 }),
];
