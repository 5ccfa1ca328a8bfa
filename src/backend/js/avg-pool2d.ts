/**
 * Average pooling with torch's divisors. Along each axis a window starts at
 * o·stride − padBegin; it is first clipped to the padded extent
 * [−padBegin, in + padEnd) (ceil_mode windows may run past it), which gives
 * the count_include_pad divisor, then to the input [0, in), which gives the
 * cells summed and the count_include_pad=false divisor. divisorOverride, when
 * set, replaces both. A window with no input cell outputs 0, as torch does.
 */
import type { AvgPool2dGeometry } from '../backend.js';

/** One window along one axis: the input cells [start, end) and the window's length inside the padded extent. */
interface Span {
  start: number;
  end: number;
  padded: number;
}

function spans(outSize: number, kernel: number, stride: number, padBegin: number, padEnd: number, inSize: number): Span[] {
  const result: Span[] = [];
  for (let o = 0; o < outSize; o++) {
    const begin = o * stride - padBegin;
    const paddedEnd = Math.min(begin + kernel, inSize + padEnd);
    result.push({ start: Math.max(begin, 0), end: Math.min(paddedEnd, inSize), padded: paddedEnd - begin });
  }
  return result;
}

function divisor(g: AvgPool2dGeometry, h: Span, w: Span): number {
  if (g.divisorOverride !== null) return g.divisorOverride;
  return g.countIncludePad ? h.padded * w.padded : (h.end - h.start) * (w.end - w.start);
}

function windows(g: AvgPool2dGeometry): { rows: Span[]; cols: Span[] } {
  return {
    rows: spans(g.outH, g.kernelH, g.strideH, g.padTop, g.padBottom, g.inH),
    cols: spans(g.outW, g.kernelW, g.strideW, g.padLeft, g.padRight, g.inW),
  };
}

export function avgPool2dForward(g: AvgPool2dGeometry, x: Float32Array, out: Float32Array): void {
  const { rows, cols } = windows(g);
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const xo = p * g.inH * g.inW;
    const oo = p * g.outH * g.outW;
    for (let oh = 0; oh < g.outH; oh++) {
      const h = rows[oh];
      for (let ow = 0; ow < g.outW; ow++) {
        const w = cols[ow];
        if (h.start >= h.end || w.start >= w.end) {
          out[oo + oh * g.outW + ow] = 0;
          continue;
        }
        let s = 0;
        for (let ih = h.start; ih < h.end; ih++) {
          for (let iw = w.start; iw < w.end; iw++) s += x[xo + ih * g.inW + iw];
        }
        out[oo + oh * g.outW + ow] = s / divisor(g, h, w);
      }
    }
  }
}

export function avgPool2dBackward(g: AvgPool2dGeometry, gradOut: Float32Array, gradIn: Float32Array): void {
  gradIn.fill(0);
  const { rows, cols } = windows(g);
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const xo = p * g.inH * g.inW;
    const oo = p * g.outH * g.outW;
    for (let oh = 0; oh < g.outH; oh++) {
      const h = rows[oh];
      for (let ow = 0; ow < g.outW; ow++) {
        const w = cols[ow];
        if (h.start >= h.end || w.start >= w.end) continue;
        const share = gradOut[oo + oh * g.outW + ow] / divisor(g, h, w);
        for (let ih = h.start; ih < h.end; ih++) {
          for (let iw = w.start; iw < w.end; iw++) gradIn[xo + ih * g.inW + iw] += share;
        }
      }
    }
  }
}
