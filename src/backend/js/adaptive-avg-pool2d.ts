/**
 * Adaptive average pooling with PyTorch's windows: output cell i of Out
 * covers input [⌊i·In/Out⌋, ⌈(i+1)·In/Out⌉). When Out > In the windows
 * overlap and repeat input cells (AlexNet below 224 px upsamples to 6×6).
 */

export function windowStart(i: number, outSize: number, inSize: number): number {
  return Math.floor((i * inSize) / outSize);
}

export function windowEnd(i: number, outSize: number, inSize: number): number {
  return Math.ceil(((i + 1) * inSize) / outSize);
}

export function adaptiveAvgPool2dForward(planes: number, inH: number, inW: number, outH: number, outW: number, x: Float32Array, out: Float32Array): void {
  for (let p = 0; p < planes; p++) {
    const xo = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = windowStart(oh, outH, inH),
        h1 = windowEnd(oh, outH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = windowStart(ow, outW, inW),
          w1 = windowEnd(ow, outW, inW);
        let s = 0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) s += x[xo + h * inW + w];
        }
        out[(p * outH + oh) * outW + ow] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
}

export function adaptiveAvgPool2dBackward(
  planes: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  gradOut: Float32Array,
  gradIn: Float32Array,
): void {
  gradIn.fill(0);
  for (let p = 0; p < planes; p++) {
    const xo = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = windowStart(oh, outH, inH),
        h1 = windowEnd(oh, outH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = windowStart(ow, outW, inW),
          w1 = windowEnd(ow, outW, inW);
        const share = gradOut[(p * outH + oh) * outW + ow] / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) gradIn[xo + h * inW + w] += share;
        }
      }
    }
  }
}
