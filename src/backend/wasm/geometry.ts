/** Geometry records as the int32 arrays native/wasm/exports.cc reads (same field order there). */
import type { Conv2dGeometry, Pool2dGeometry } from '../backend.js';

export function convGeometryFields(g: Conv2dGeometry): Int32Array {
  return Int32Array.of(
    g.batch,
    g.inChannels,
    g.inH,
    g.inW,
    g.outChannels,
    g.outH,
    g.outW,
    g.kernelH,
    g.kernelW,
    g.strideH,
    g.strideW,
    g.padH,
    g.padW,
    g.dilationH,
    g.dilationW,
    g.groups,
  );
}

export function poolGeometryFields(g: Pool2dGeometry): Int32Array {
  return Int32Array.of(g.batch, g.channels, g.inH, g.inW, g.outH, g.outW, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW);
}
