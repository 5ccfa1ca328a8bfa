/**
 * The portable backend: plain TypeScript over Float32Array, no allocation
 * per element, runs anywhere JavaScript does. It is the readable reference
 * that every other backend is tested against.
 */
import type { AvgPool2dGeometry, Backend, Conv2dGeometry, LrnGeometry, Pool2dGeometry, SgdHyper } from '../backend.js';
import { adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward } from './adaptive-avg-pool2d.js';
import { avgPool2dBackward, avgPool2dForward } from './avg-pool2d.js';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward } from './conv2d.js';
import * as ew from './elementwise.js';
import { gemm } from './gemm.js';
import { lrnBackward, lrnForward } from './local-response-norm.js';
import { logSoftmaxBackward, logSoftmaxForward } from './log-softmax.js';
import { maxPool2dBackward, maxPool2dForward } from './max-pool2d.js';
import { sgdStep } from './sgd.js';

export class JsBackend implements Backend {
  // string, not 'js': backends that reuse these kernels (WasmBackend) carry their own name.
  readonly name: string = 'js';

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
    gemm(transA, transB, M, N, K, A, B, C, accumulate);
  }

  conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    conv2dForward(g, x, w, bias, out, fuseRelu);
  }

  conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void {
    conv2dBackwardData(g, gradOut, w, gradIn);
  }

  conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array, gradBias: Float32Array | null): void {
    conv2dBackwardWeight(g, x, gradOut, gradW, gradBias);
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
    gemm(false, true, batch, outFeatures, inFeatures, x, w, out, false);
    if (bias === null && !fuseRelu) return;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < outFeatures; o++) {
        const i = b * outFeatures + o;
        const v = out[i] + (bias === null ? 0 : bias[o]);
        out[i] = fuseRelu && v < 0 ? 0 : v;
      }
    }
  }

  reluForward(x: Float32Array, out: Float32Array): void {
    ew.reluForward(x, out);
  }

  reluBackward(gradOut: Float32Array, y: Float32Array, gradIn: Float32Array): void {
    ew.reluBackward(gradOut, y, gradIn);
  }

  lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array | null): void {
    lrnForward(g, x, out, scale);
  }

  lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
    lrnBackward(g, x, out, scale, gradOut, gradIn);
  }

  maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void {
    maxPool2dForward(g, x, out, argmax);
  }

  maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void {
    maxPool2dBackward(g, gradOut, argmax, gradIn);
  }

  avgPool2dForward(g: AvgPool2dGeometry, x: Float32Array, out: Float32Array): void {
    avgPool2dForward(g, x, out);
  }

  avgPool2dBackward(g: AvgPool2dGeometry, gradOut: Float32Array, gradIn: Float32Array): void {
    avgPool2dBackward(g, gradOut, gradIn);
  }

  adaptiveAvgPool2dForward(planes: number, inH: number, inW: number, outH: number, outW: number, x: Float32Array, out: Float32Array): void {
    adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x, out);
  }

  adaptiveAvgPool2dBackward(planes: number, inH: number, inW: number, outH: number, outW: number, gradOut: Float32Array, gradIn: Float32Array): void {
    adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradIn);
  }

  logSoftmaxForward(rows: number, cols: number, x: Float32Array, out: Float32Array): void {
    logSoftmaxForward(rows, cols, x, out);
  }

  logSoftmaxBackward(rows: number, cols: number, gradOut: Float32Array, out: Float32Array, gradIn: Float32Array): void {
    logSoftmaxBackward(rows, cols, gradOut, out, gradIn);
  }

  add(a: Float32Array, b: Float32Array, out: Float32Array): void {
    ew.add(a, b, out);
  }
  sub(a: Float32Array, b: Float32Array, out: Float32Array): void {
    ew.sub(a, b, out);
  }
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
    ew.mul(a, b, out);
  }
  div(a: Float32Array, b: Float32Array, out: Float32Array): void {
    ew.div(a, b, out);
  }
  scale(a: Float32Array, s: number, out: Float32Array): void {
    ew.scale(a, s, out);
  }
  axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    ew.axpy(alpha, x, y);
  }
  sum(a: Float32Array): number {
    return ew.sum(a);
  }

  sgdStep(h: SgdHyper, param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void {
    sgdStep(h, param, grad, momentumBuffer);
  }
}
