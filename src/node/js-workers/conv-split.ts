/**
 * How one convolution is cut into independent shares for several threads.
 * Every share is itself an ordinary convolution handed to the js kernel, on
 * subarrays of the same input, weight and output:
 *  - a batch of at least `threads` images is split by images;
 *  - a smaller batch is split by output channels: thread t computes channels
 *    [o0, o1) of every image and group (the rows of W_g and of the output it
 *    owns are contiguous), each thread unfolding the image itself.
 * Shares never write the same output element, so no locking is needed.
 */
import type { Conv2dGeometry } from '../../backend/backend.js';
import { conv2dForward } from '../../backend/js/conv2d.js';

/** Output channel ranges are multiples of this (the GEMM micro-kernel's row count). */
const CHANNEL_ALIGN = 4;

function splitRange(length: number, parts: number, part: number, align: number): [number, number] {
  const units = Math.ceil(length / align);
  const start = Math.floor((units * part) / parts) * align;
  const end = Math.floor((units * (part + 1)) / parts) * align;
  return [Math.min(start, length), Math.min(end, length)];
}

/** Computes share `thread` of `threads` of conv2dForward. */
export function conv2dForwardShare(
  g: Conv2dGeometry,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
  fuseRelu: boolean,
  thread: number,
  threads: number,
): void {
  const inPerImage = g.inChannels * g.inH * g.inW;
  const P = g.outH * g.outW;
  const outPerImage = g.outChannels * P;
  if (g.batch >= threads) {
    const [n0, n1] = splitRange(g.batch, threads, thread, 1);
    if (n0 === n1) return;
    conv2dForward({ ...g, batch: n1 - n0 }, x.subarray(n0 * inPerImage, n1 * inPerImage), w, bias, out.subarray(n0 * outPerImage, n1 * outPerImage), fuseRelu);
    return;
  }
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const K = cg * g.kernelH * g.kernelW;
  const [o0, o1] = splitRange(og, threads, thread, CHANNEL_ALIGN);
  if (o0 === o1) return;
  const sub: Conv2dGeometry = { ...g, batch: 1, inChannels: cg, outChannels: o1 - o0, groups: 1 };
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xStart = n * inPerImage + gi * cg * g.inH * g.inW;
      const first = gi * og + o0;
      conv2dForward(
        sub,
        x.subarray(xStart, xStart + cg * g.inH * g.inW),
        w.subarray(first * K, (first + o1 - o0) * K),
        bias === null ? null : bias.subarray(first, first + o1 - o0),
        out.subarray(n * outPerImage + first * P, n * outPerImage + (first + o1 - o0) * P),
        fuseRelu,
      );
    }
  }
}
