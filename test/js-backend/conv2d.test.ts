import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conv2dGeometry } from '../../src/backend/backend.js';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward } from '../../src/backend/js/conv2d.js';
import { conv2dGeometry, type Conv2dOptions } from '../../src/ops/conv2d.js';
import { Generator } from '../../src/tensor/random.js';

function random(n: number, generator: Generator): Float32Array {
  return Float32Array.from({ length: n }, () => generator.uniformRange(-1, 1));
}

/**
 * The convolution by its definition, visiting every (output, weight) pair:
 * calls visit(xIndex, wIndex, outIndex) where the input element is inside the image.
 */
function eachTap(g: Conv2dGeometry, visit: (xi: number, wi: number, oi: number) => void): void {
  const cg = g.inChannels / g.groups,
    og = g.outChannels / g.groups;
  for (let n = 0; n < g.batch; n++) {
    for (let o = 0; o < g.outChannels; o++) {
      const group = Math.floor(o / og);
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const oi = ((n * g.outChannels + o) * g.outH + oh) * g.outW + ow;
          for (let c = 0; c < cg; c++) {
            for (let kh = 0; kh < g.kernelH; kh++) {
              for (let kw = 0; kw < g.kernelW; kw++) {
                const ih = oh * g.strideH - g.padH + kh * g.dilationH;
                const iw = ow * g.strideW - g.padW + kw * g.dilationW;
                if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
                const xi = ((n * g.inChannels + group * cg + c) * g.inH + ih) * g.inW + iw;
                const wi = ((o * cg + c) * g.kernelH + kh) * g.kernelW + kw;
                visit(xi, wi, oi);
              }
            }
          }
        }
      }
    }
  }
}

function maxRelativeError(actual: Float32Array, expected: Float64Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

const CASES: [number[], number[], Conv2dOptions][] = [
  [[2, 3, 13, 11], [8, 3, 5, 5], { stride: 2, padding: 2 }],
  [[1, 4, 7, 9], [6, 2, 3, 3], { padding: 1, groups: 2 }],
  [[2, 2, 9, 8], [5, 2, 3, 2], { stride: [2, 1], padding: [1, 0], dilation: 2 }],
  [[3, 6, 5, 5], [4, 6, 1, 1], {}],
];

test('conv2d forward, backward-data and backward-weight match the definition', () => {
  const generator = new Generator(11);
  for (const [xShape, wShape, options] of CASES) {
    const g = conv2dGeometry(xShape, wShape, options);
    const x = random(
      xShape.reduce((a, b) => a * b),
      generator,
    );
    const w = random(
      wShape.reduce((a, b) => a * b),
      generator,
    );
    const bias = random(g.outChannels, generator);
    const outSize = g.batch * g.outChannels * g.outH * g.outW;
    const P = g.outH * g.outW;
    const label = `${xShape} * ${wShape} ${JSON.stringify(options)}`;

    const expectedOut = Float64Array.from({ length: outSize }, (_, i) => bias[Math.floor(i / P) % g.outChannels]);
    eachTap(g, (xi, wi, oi) => {
      expectedOut[oi] += x[xi] * w[wi];
    });
    const out = new Float32Array(outSize);
    conv2dForward(g, x, w, bias, out, false);
    assert.ok(maxRelativeError(out, expectedOut) < 1e-6, `forward ${label}`);
    const relu = new Float32Array(outSize);
    conv2dForward(g, x, w, bias, relu, true);
    assert.deepEqual(
      relu,
      out.map((v) => Math.max(v, 0)),
      `fused ReLU ${label}`,
    );

    const gradOut = random(outSize, generator);
    const expectedGradX = new Float64Array(x.length);
    const expectedGradW = new Float64Array(w.length);
    eachTap(g, (xi, wi, oi) => {
      expectedGradX[xi] += gradOut[oi] * w[wi];
      expectedGradW[wi] += gradOut[oi] * x[xi];
    });
    const gradX = new Float32Array(x.length).fill(9); // overwritten, not accumulated into
    conv2dBackwardData(g, gradOut, w, gradX);
    assert.ok(maxRelativeError(gradX, expectedGradX) < 1e-6, `backward data ${label}`);
    const gradW = new Float32Array(w.length).fill(9);
    const gradB = new Float32Array(g.outChannels);
    conv2dBackwardWeight(g, x, gradOut, gradW, gradB);
    assert.ok(maxRelativeError(gradW, expectedGradW) < 1e-6, `backward weight ${label}`);
    const expectedGradB = Float64Array.from({ length: g.outChannels }, (_, o) => {
      let s = 0;
      for (let n = 0; n < g.batch; n++) for (let p = 0; p < P; p++) s += gradOut[(n * g.outChannels + o) * P + p];
      return s;
    });
    assert.ok(maxRelativeError(gradB, expectedGradB) < 1e-6, `backward bias ${label}`);
  }
});

test('conv2d gives the same result after a larger convolution reused its scratch buffer', () => {
  const generator = new Generator(5);
  const g = conv2dGeometry([1, 2, 6, 6], [3, 2, 3, 3], { padding: 1 });
  const x = random(72, generator),
    w = random(54, generator);
  const first = new Float32Array(3 * 36);
  conv2dForward(g, x, w, null, first, false);
  const big = conv2dGeometry([1, 8, 20, 20], [4, 8, 5, 5], {});
  conv2dForward(big, random(3200, generator), random(800, generator), null, new Float32Array(4 * 256), false);
  const again = new Float32Array(3 * 36);
  conv2dForward(g, x, w, null, again, false);
  assert.deepEqual(again, first);
});
