/**
 * 2-D convolution for the js backend as im2col + GEMM, the formulation that
 * turns every convolution into one matrix multiply per image and group:
 *   out_g[O/g, P] = W_g[O/g, K] · col[K, P],  K = C/g·kH·kW,  P = oH·oW.
 * The backward passes are the two transposed products of the same equation.
 */
import type { Conv2dGeometry } from '../backend.js';
import { gemm } from './gemm.js';

/**
 * The col[K, P] buffer, reused across calls (a convolution would otherwise
 * allocate megabytes per image). Kernels are synchronous and never nest, so
 * one buffer per thread is enough; it keeps the largest size seen.
 */
let colScratch = new Float32Array(0);

function colBuffer(size: number): Float32Array {
  if (colScratch.length < size) colScratch = new Float32Array(size);
  return colScratch.subarray(0, size);
}

/** Unfolds one group of one image into col[K, P] (zeros where the window hits padding). */
export function im2col(g: Conv2dGeometry, x: Float32Array, xOffset: number, col: Float32Array): void {
  const cg = g.inChannels / g.groups;
  const P = g.outH * g.outW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const plane = xOffset + c * g.inH * g.inW;
    for (let kh = 0; kh < g.kernelH; kh++) {
      for (let kw = 0; kw < g.kernelW; kw++, row++) {
        const dst = row * P;
        for (let oh = 0; oh < g.outH; oh++) {
          const ih = oh * g.strideH - g.padH + kh * g.dilationH;
          const d = dst + oh * g.outW;
          if (ih < 0 || ih >= g.inH) {
            col.fill(0, d, d + g.outW);
            continue;
          }
          const src = plane + ih * g.inW;
          for (let ow = 0; ow < g.outW; ow++) {
            const iw = ow * g.strideW - g.padW + kw * g.dilationW;
            col[d + ow] = iw >= 0 && iw < g.inW ? x[src + iw] : 0;
          }
        }
      }
    }
  }
}

/** Folds col[K, P] back onto one group of one image, adding overlapping windows (the adjoint of im2col). */
export function col2imAdd(g: Conv2dGeometry, col: Float32Array, out: Float32Array, outOffset: number): void {
  const cg = g.inChannels / g.groups;
  const P = g.outH * g.outW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const plane = outOffset + c * g.inH * g.inW;
    for (let kh = 0; kh < g.kernelH; kh++) {
      for (let kw = 0; kw < g.kernelW; kw++, row++) {
        const src = row * P;
        for (let oh = 0; oh < g.outH; oh++) {
          const ih = oh * g.strideH - g.padH + kh * g.dilationH;
          if (ih < 0 || ih >= g.inH) continue;
          const dst = plane + ih * g.inW;
          const s = src + oh * g.outW;
          for (let ow = 0; ow < g.outW; ow++) {
            const iw = ow * g.strideW - g.padW + kw * g.dilationW;
            if (iw >= 0 && iw < g.inW) out[dst + iw] += col[s + ow];
          }
        }
      }
    }
  }
}

interface GroupLayout {
  /** Input channels per group. */
  cg: number;
  /** Output channels per group. */
  og: number;
  /** GEMM depth: cg·kH·kW. */
  K: number;
  /** Output pixels per image. */
  P: number;
}

function layout(g: Conv2dGeometry): GroupLayout {
  const cg = g.inChannels / g.groups;
  return { cg, og: g.outChannels / g.groups, K: cg * g.kernelH * g.kernelW, P: g.outH * g.outW };
}

export function conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
  const { cg, og, K, P } = layout(g);
  const col = colBuffer(K * P);
  const inPerImage = g.inChannels * g.inH * g.inW;
  const outPerImage = g.outChannels * P;
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(g, x, n * inPerImage + gi * cg * g.inH * g.inW, col);
      const outG = out.subarray(n * outPerImage + gi * og * P, n * outPerImage + (gi + 1) * og * P);
      gemm(false, false, og, P, K, w.subarray(gi * og * K, (gi + 1) * og * K), col, outG, false);
    }
    const image = out.subarray(n * outPerImage, (n + 1) * outPerImage);
    for (let o = 0; o < g.outChannels; o++) {
      const b = bias === null ? 0 : bias[o];
      const start = o * P;
      for (let p = start; p < start + P; p++) {
        const v = image[p] + b;
        image[p] = fuseRelu && v < 0 ? 0 : v;
      }
    }
  }
}

export function conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void {
  const { cg, og, K, P } = layout(g);
  gradIn.fill(0);
  const col = colBuffer(K * P);
  const inPerImage = g.inChannels * g.inH * g.inW;
  const outPerImage = g.outChannels * P;
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const gOut = gradOut.subarray(n * outPerImage + gi * og * P, n * outPerImage + (gi + 1) * og * P);
      // col[K, P] = W_gᵀ · gradOut_g, with W_g stored [og, K] (gemm packs it transposed, no copy).
      gemm(true, false, K, P, og, w.subarray(gi * og * K, (gi + 1) * og * K), gOut, col, false);
      col2imAdd(g, col, gradIn, n * inPerImage + gi * cg * g.inH * g.inW);
    }
  }
}

export function conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array, gradBias: Float32Array | null): void {
  const { cg, og, K, P } = layout(g);
  gradW.fill(0);
  const col = colBuffer(K * P);
  const inPerImage = g.inChannels * g.inH * g.inW;
  const outPerImage = g.outChannels * P;
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(g, x, n * inPerImage + gi * cg * g.inH * g.inW, col);
      const gOut = gradOut.subarray(n * outPerImage + gi * og * P, n * outPerImage + (gi + 1) * og * P);
      gemm(false, true, og, K, P, gOut, col, gradW.subarray(gi * og * K, (gi + 1) * og * K), true);
    }
  }
  if (gradBias !== null) {
    for (let o = 0; o < g.outChannels; o++) {
      let s = 0;
      for (let n = 0; n < g.batch; n++) {
        const start = n * outPerImage + o * P;
        for (let p = start; p < start + P; p++) s += gradOut[p];
      }
      gradBias[o] = s;
    }
  }
}
