/**
 * Max pooling with PyTorch's tie rules: the window is scanned row-major and
 * a value replaces the running maximum when it is strictly greater or NaN,
 * so the first maximum wins and a NaN propagates (the last NaN is recorded).
 * The recorded index routes the gradient in backward, as torch does.
 */
import type { Pool2dGeometry } from '../backend.js';

export function maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void {
  const inPlane = g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const xo = p * inPlane;
    const oo = p * outPlane;
    for (let oh = 0; oh < g.outH; oh++) {
      let h0 = oh * g.strideH - g.padH;
      const h1 = Math.min(h0 + (g.kernelH - 1) * g.dilationH + 1, g.inH);
      while (h0 < 0) h0 += g.dilationH;
      for (let ow = 0; ow < g.outW; ow++) {
        let w0 = ow * g.strideW - g.padW;
        const w1 = Math.min(w0 + (g.kernelW - 1) * g.dilationW + 1, g.inW);
        while (w0 < 0) w0 += g.dilationW;
        let best = -Infinity;
        let index = h0 * g.inW + w0;
        for (let h = h0; h < h1; h += g.dilationH) {
          for (let w = w0; w < w1; w += g.dilationW) {
            const i = h * g.inW + w;
            const v = x[xo + i];
            if (v > best || Number.isNaN(v)) {
              best = v;
              index = i;
            }
          }
        }
        out[oo + oh * g.outW + ow] = best;
        if (argmax !== null) argmax[oo + oh * g.outW + ow] = index;
      }
    }
  }
}

export function maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void {
  gradIn.fill(0);
  const inPlane = g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < outPlane; o++) {
      // A dilated window whose taps all fall in the padding records an index past its plane (torch's too) and
      // takes no gradient: the output is −∞ whatever the input.
      const i = argmax[p * outPlane + o];
      if (i >= 0 && i < inPlane) gradIn[p * inPlane + i] += gradOut[p * outPlane + o];
    }
  }
}
