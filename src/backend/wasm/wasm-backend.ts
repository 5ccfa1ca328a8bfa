/**
 * The wasm backend: the C++ kernels of native/src compiled to WebAssembly
 * with 128-bit SIMD (scripts/build-wasm.mjs), for browsers and for Node
 * where the native addon cannot build. The heavy kernels (matrix products,
 * convolutions forward and backward, LRN, max pooling, image resampling) run
 * in wasm on copies of their arrays (call-arena.ts); the rest are memory
 * bound, where a copy would cost as much as the work, and run in JavaScript
 * (the js backend's kernels, inherited, so their results are the reference's).
 *
 * At inference, weights are packed once into wasm memory (convolutions in
 * the micro-kernel layout, linear layers as they are), so a forward pass
 * copies only activations.
 */
import type { Backend, Conv2dGeometry, LrnGeometry, PackedConv2dWeight, PackedLinearWeight, Pool2dGeometry, ResampleTaps } from '../backend.js';
import { JsBackend } from '../js/index.js';
import type { Precision } from '../precision.js';
import { CallArena, inOut, input, output, type Staged } from './call-arena.js';
import { convGeometryFields, poolGeometryFields } from './geometry.js';
import { memoryOf, type ResampleArgs, readCString, type WasmMemory, type WasmModule } from './wasm-module.js';

/** What the wasm backend runs on, and why. */
export interface WasmBackendInfo {
  name: 'wasm';
  /** The build in use: 'simd' (one thread) or 'simd-threads' (web workers over shared memory). */
  build: 'simd' | 'simd-threads';
  threaded: boolean;
  threads: number;
  /** Why this build was chosen (e.g. "the page is not cross-origin isolated: no SharedArrayBuffer"). */
  reason: string;
  /** The kernel set ("wasm-simd128") and its GEMM tile. */
  simd: string;
  tileRows: number;
  tileColumns: number;
}

/** Kernels read exactly the lengths their geometry implies: a shorter array would let them read past it in wasm memory. */
function expectLength(kernel: string, name: string, a: { length: number } | null, n: number): void {
  if (a !== null && a.length !== n) throw new Error(`wasm backend ${kernel}: ${name} has ${a.length} values, expected ${n}`);
}

/** The planes a resampling table maps (256 values each): 1 to `channels`, the leading channels of the image. */
function tablePlanes(kernel: string, table: Float32Array, channels: number): number {
  const planes = table.length / 256;
  if (!Number.isInteger(planes) || planes < 1 || planes > channels)
    throw new Error(`wasm backend ${kernel}: table has ${table.length} values, expected 256 per plane for 1 to ${channels} planes`);
  return planes;
}

function convSizes(g: Conv2dGeometry): { x: number; w: number; out: number } {
  return {
    x: g.batch * g.inChannels * g.inH * g.inW,
    w: g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
    out: g.batch * g.outChannels * g.outH * g.outW,
  };
}

function checkConv(kernel: string, g: Conv2dGeometry, arrays: { x?: Float32Array; w?: Float32Array; out?: Float32Array; bias?: Float32Array | null }): void {
  const n = convSizes(g);
  if (arrays.x !== undefined) expectLength(kernel, 'x', arrays.x, n.x);
  if (arrays.w !== undefined) expectLength(kernel, 'w', arrays.w, n.w);
  if (arrays.out !== undefined) expectLength(kernel, 'out', arrays.out, n.out);
  if (arrays.bias !== undefined) expectLength(kernel, 'bias', arrays.bias, g.outChannels);
}

function poolSizes(g: Pool2dGeometry): { x: number; out: number } {
  return { x: g.batch * g.channels * g.inH * g.inW, out: g.batch * g.channels * g.outH * g.outW };
}

/** Frees a packed weight's wasm memory: a convolution's or a linear layer's, each by its own export. */
function freePacked(module: WasmModule, kind: WasmPacked['kind'], handle: number): void {
  if (kind === 'wasm-packed-linear') module._alx_linear_transposed_free(handle);
  else module._alx_packed_free(handle);
}

/** alx_conv_forward_packed's status for an input its packing does not take (native/wasm/exports.cc). */
const WASM_DECLINED = 2;

interface WasmPacked {
  readonly kind: 'wasm-packed-conv2d' | 'wasm-packed-linear';
  /** Address in wasm memory; 0 once disposed. */
  handle: number;
  /** The module whose memory holds it: an address means nothing in another instance's memory. */
  readonly owner: object;
  /** A convolution's algorithm (PackedConv2dWeight). */
  algorithm?: string;
  /**
   * A convolution's weight as packed from (kept alive here, not copied): an input holding a value outside Winograd's range
   * (a NaN or ∞, which its transforms would spread over whole tiles, or a huge one they would overflow on) is convolved
   * directly from this.
   */
  source?: Float32Array;
  dispose(): void;
}

/**
 * The js backend's kernels, with the heavy ones replaced by wasm: those not overridden here (elementwise,
 * softmax, average pooling, SGD) are memory bound, where a copy into wasm memory would cost as much as the work.
 */
export class WasmBackend extends JsBackend implements Backend {
  override readonly name = 'wasm';
  /** Linear weights are packed (copied into wasm memory) once for fp32 inference too: see Backend.packsFp32LinearWeights. */
  readonly packsFp32LinearWeights = true;
  private readonly memory: WasmMemory;
  private readonly arena: CallArena;
  private readonly packedFinalizer: FinalizationRegistry<{ handle: number; kind: WasmPacked['kind'] }>;

  constructor(
    private readonly module: WasmModule,
    private readonly how: { build: WasmBackendInfo['build']; reason: string },
  ) {
    super();
    this.memory = memoryOf(module);
    this.arena = new CallArena(module, () => this.memory.buffer);
    // A packed weight dropped without dispose() (its layer garbage-collected) still frees its wasm memory. The
    // registry holds plain data: a closure made where the packed object is in scope (as packLinearWeight's
    // loop is) would keep it reachable, and its finalizer would never run (224 MiB per AlexNet load in the page).
    this.packedFinalizer = new FinalizationRegistry(({ handle, kind }) => freePacked(module, kind, handle));
  }

  info(): WasmBackendInfo {
    const m = this.module;
    return {
      name: 'wasm',
      build: this.how.build,
      threaded: this.how.build === 'simd-threads',
      threads: m._alx_threads(),
      reason: this.how.reason,
      simd: readCString(this.memory, m._alx_simd() >>> 0),
      tileRows: m._alx_tile_rows(),
      tileColumns: m._alx_tile_columns(),
    };
  }

  /** Sets the number of kernel threads (1 in the single-threaded build; at most the logical cores, up to 16); returns the number in effect. */
  setThreads(threads: number): number {
    if (this.how.build === 'simd') return 1;
    return this.module._alx_set_threads(threads);
  }

  /** Throws the kernel's message when a call returned nonzero. */
  private check(status: number): void {
    if (status !== 0) throw new Error(`wasm backend: ${readCString(this.memory, this.module._alx_last_error() >>> 0)}`);
  }

  // ---- packed weights (inference) ----

  packConv2dWeight(g: Conv2dGeometry, w: Float32Array, precision: Precision = 'fp32'): PackedConv2dWeight {
    if (precision !== 'fp32') throw new Error(`wasm backend: packConv2dWeight packs fp32 only (got ${precision})`);
    checkConv('packConv2dWeight', g, { w });
    // Addresses are unsigned (the module may grow past 2 GiB).
    const handleOut = new Uint32Array(1);
    this.arena.run([input(convGeometryFields(g)), input(w), output(handleOut)], ([geom, wp, hp]) => this.check(this.module._alx_conv_pack(geom, wp, hp)));
    const packed = this.packed('wasm-packed-conv2d', handleOut[0]);
    packed.algorithm = readCString(this.memory, this.module._alx_packed_conv_algorithm(packed.handle) >>> 0);
    packed.source = w;
    return packed;
  }

  packLinearWeight(outFeatures: number, inFeatures: number, w: Float32Array, precision: Precision, consume = false): PackedLinearWeight {
    if (precision !== 'fp32') throw new Error(`wasm backend: packLinearWeight packs fp32 only (got ${precision})`);
    if (w.length !== outFeatures * inFeatures) throw new Error(`wasm backend: linear weight has ${w.length} values, expected ${outFeatures}×${inFeatures}`);
    // Transposed (native/src/linear.h: batch 1-4 skip the weights of zero inputs), filled a slice of about 4 MB
    // at a time so that memory never holds a second full copy.
    const handleOut = new Uint32Array(1);
    this.arena.run([output(handleOut)], ([hp]) => this.check(this.module._alx_linear_transposed_new(outFeatures, inFeatures, hp)));
    const handle = handleOut[0];
    const packed = this.packed('wasm-packed-linear', handle);
    const rowsPerSlice = Math.max(1, Math.floor((1 << 20) / inFeatures));
    try {
      for (let row0 = 0; row0 < outFeatures; row0 += rowsPerSlice) {
        const rows = Math.min(rowsPerSlice, outFeatures - row0);
        const slice = w.subarray(row0 * inFeatures, (row0 + rows) * inFeatures);
        this.arena.run([input(slice)], ([sp]) => this.check(this.module._alx_linear_transpose_rows(handle, row0, rows, sp)));
        if (consume) slice.fill(0);
      }
    } catch (e) {
      packed.dispose();
      throw e;
    }
    return packed;
  }

  private packed(kind: WasmPacked['kind'], handle: number): WasmPacked {
    const token = {};
    const finalizer = this.packedFinalizer;
    const module = this.module;
    const packed: WasmPacked = {
      kind,
      handle,
      owner: module,
      dispose() {
        if (packed.handle === 0) return;
        freePacked(module, kind, packed.handle);
        packed.handle = 0;
        finalizer.unregister(token);
      },
    };
    finalizer.register(packed, { handle, kind }, token);
    return packed;
  }

  private handleOf(packed: PackedConv2dWeight | PackedLinearWeight, kind: WasmPacked['kind']): number {
    const p = packed as Partial<WasmPacked>;
    if (p.kind !== kind || typeof p.handle !== 'number')
      throw new Error(`wasm backend: expected a weight packed by the wasm backend (${kind}), got ${packed.kind}`);
    if (p.handle === 0) throw new Error('wasm backend: the packed weight was disposed');
    if (p.owner !== this.module)
      throw new Error('wasm backend: the weight was packed by another instance of the wasm backend (its memory holds it); pack it with this one');
    return p.handle;
  }

  conv2dForwardPacked(g: Conv2dGeometry, packed: PackedConv2dWeight, x: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    const handle = this.handleOf(packed, 'wasm-packed-conv2d');
    checkConv('conv2dForwardPacked', g, { x, out, bias });
    let declined = false;
    this.arena.run([input(convGeometryFields(g)), input(x), input(bias), output(out)], ([geom, xp, bp, op]) => {
      const status = this.module._alx_conv_forward_packed(geom, handle, xp, bp, op, fuseRelu ? 1 : 0);
      declined = status === WASM_DECLINED;
      if (!declined) this.check(status);
    });
    if (!declined) return;
    // An input value outside Winograd's range (NaN, ∞, huge): convolved directly from the weight itself (native/src/conv.h).
    const source = (packed as WasmPacked).source;
    if (source === undefined)
      throw new Error(
        'wasm backend: conv2dForwardPacked: the input holds a value Winograd cannot take (NaN, infinity or beyond 2^40) and the packing kept no weights',
      );
    this.conv2dForward(g, x, source, bias, out, fuseRelu);
  }

  linearForwardPacked(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    packed: PackedLinearWeight,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void {
    const handle = this.handleOf(packed, 'wasm-packed-linear');
    expectLength('linearForwardPacked', 'x', x, batch * inFeatures);
    expectLength('linearForwardPacked', 'bias', bias, outFeatures);
    expectLength('linearForwardPacked', 'out', out, batch * outFeatures);
    this.arena.run([input(x), input(bias), output(out)], ([xp, bp, op]) =>
      this.check(this.module._alx_linear_forward_transposed(batch, inFeatures, outFeatures, xp, handle, bp, op, fuseRelu ? 1 : 0)),
    );
  }

  // ---- the Backend interface: kernels in wasm ----

  override gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    accumulate: boolean,
  ): void {
    expectLength('gemm', 'A', A, M * K);
    expectLength('gemm', 'B', B, K * N);
    expectLength('gemm', 'C', C, M * N);
    const c = accumulate ? inOut(C) : output(C);
    this.arena.run([input(A), input(B), c], ([a, b, cp]) =>
      this.check(this.module._alx_gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, a, b, cp, accumulate ? 1 : 0)),
    );
  }

  override conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    checkConv('conv2dForward', g, { x, w, out, bias });
    this.arena.run([input(convGeometryFields(g)), input(x), input(w), input(bias), output(out)], ([geom, xp, wp, bp, op]) =>
      this.check(this.module._alx_conv_forward(geom, xp, wp, bp, op, fuseRelu ? 1 : 0)),
    );
  }

  override conv2dBackwardData(g: Conv2dGeometry, gradOut: Float32Array, w: Float32Array, gradIn: Float32Array): void {
    checkConv('conv2dBackwardData', g, { x: gradIn, w, out: gradOut });
    this.arena.run([input(convGeometryFields(g)), input(gradOut), input(w), output(gradIn)], ([geom, go, wp, gi]) =>
      this.check(this.module._alx_conv_backward_data(geom, go, wp, gi)),
    );
  }

  override conv2dBackwardWeight(g: Conv2dGeometry, x: Float32Array, gradOut: Float32Array, gradW: Float32Array, gradBias: Float32Array | null): void {
    checkConv('conv2dBackwardWeight', g, { x, w: gradW, out: gradOut, bias: gradBias });
    this.arena.run([input(convGeometryFields(g)), input(x), input(gradOut), output(gradW), output(gradBias)], ([geom, xp, go, gw, gb]) =>
      this.check(this.module._alx_conv_backward_weight(geom, xp, go, gw, gb)),
    );
  }

  override linearForward(
    batch: number,
    inFeatures: number,
    outFeatures: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
    fuseRelu: boolean,
  ): void {
    expectLength('linearForward', 'x', x, batch * inFeatures);
    expectLength('linearForward', 'w', w, outFeatures * inFeatures);
    expectLength('linearForward', 'bias', bias, outFeatures);
    expectLength('linearForward', 'out', out, batch * outFeatures);
    this.arena.run([input(x), input(w), input(bias), output(out)], ([xp, wp, bp, op]) =>
      this.check(this.module._alx_linear_forward(batch, inFeatures, outFeatures, xp, wp, bp, op, fuseRelu ? 1 : 0)),
    );
  }

  override lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array | null): void {
    const n = g.batch * g.channels * g.spatial;
    for (const [name, a] of [
      ['x', x],
      ['out', out],
      ['scale', scale],
    ] as const)
      expectLength('lrnForward', name, a, n);
    this.arena.run([input(x), output(out), output(scale)], ([xp, op, sp]) =>
      this.check(this.module._alx_lrn_forward(g.batch, g.channels, g.spatial, g.size, g.alpha, g.beta, g.k, xp, op, sp)),
    );
  }

  override lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
    const n = g.batch * g.channels * g.spatial;
    for (const [name, a] of [
      ['x', x],
      ['out', out],
      ['scale', scale],
      ['gradOut', gradOut],
      ['gradIn', gradIn],
    ] as const)
      expectLength('lrnBackward', name, a, n);
    this.arena.run([input(x), input(out), input(scale), input(gradOut), output(gradIn)], ([xp, op, sp, go, gi]) =>
      this.check(this.module._alx_lrn_backward(g.batch, g.channels, g.spatial, g.size, g.alpha, g.beta, g.k, xp, op, sp, go, gi)),
    );
  }

  override maxPool2dForward(g: Pool2dGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array | null): void {
    const n = poolSizes(g);
    expectLength('maxPool2dForward', 'x', x, n.x);
    expectLength('maxPool2dForward', 'out', out, n.out);
    expectLength('maxPool2dForward', 'argmax', argmax, n.out);
    this.arena.run([input(poolGeometryFields(g)), input(x), output(out), output(argmax)], ([geom, xp, op, ap]) =>
      this.check(this.module._alx_max_pool_forward(geom, xp, op, ap)),
    );
  }

  override maxPool2dBackward(g: Pool2dGeometry, gradOut: Float32Array, argmax: Int32Array, gradIn: Float32Array): void {
    const n = poolSizes(g);
    expectLength('maxPool2dBackward', 'gradOut', gradOut, n.out);
    expectLength('maxPool2dBackward', 'argmax', argmax, n.out);
    expectLength('maxPool2dBackward', 'gradIn', gradIn, n.x);
    this.arena.run([input(poolGeometryFields(g)), input(gradOut), input(argmax), output(gradIn)], ([geom, go, ap, gi]) =>
      this.check(this.module._alx_max_pool_backward(geom, go, ap, gi)),
    );
  }

  resampleBilinear(src: Uint8Array, width: number, height: number, channels: number, cols: ResampleTaps, rows: ResampleTaps, out: Uint8Array): void {
    expectLength('resampleBilinear', 'out', out, rows.first.length * cols.first.length * channels);
    this.resample('resampleBilinear', src, width, height, channels, cols, rows, [output(out)], (taps, [o]) => this.module._alx_resample_bilinear(...taps, o));
  }

  resampleBilinearToPlanes(
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    cols: ResampleTaps,
    rows: ResampleTaps,
    table: Float32Array,
    out: Float32Array,
  ): void {
    const planes = tablePlanes('resampleBilinearToPlanes', table, channels);
    expectLength('resampleBilinearToPlanes', 'out', out, planes * rows.first.length * cols.first.length);
    this.resample('resampleBilinearToPlanes', src, width, height, channels, cols, rows, [input(table), output(out)], (taps, [t, o]) =>
      this.module._alx_resample_bilinear_to_planes(...taps, t, planes, o),
    );
  }

  /** The checks and staging both resampling entry points share: `call` gets the source and taps as the C ABI orders them. */
  private resample(
    kernel: string,
    src: Uint8Array,
    width: number,
    height: number,
    channels: number,
    cols: ResampleTaps,
    rows: ResampleTaps,
    outputs: Staged[],
    call: (taps: ResampleArgs, staged: number[]) => number,
  ): void {
    expectLength(kernel, 'src', src, width * height * channels);
    for (const [axis, taps] of [
      ['column', cols],
      ['row', rows],
    ] as const) {
      expectLength(kernel, `${axis} counts`, taps.count, taps.first.length);
      expectLength(kernel, `${axis} weights`, taps.weights, taps.first.length * taps.stride);
    }
    const args = [input(src), input(cols.first), input(cols.count), input(cols.weights), input(rows.first), input(rows.count), input(rows.weights), ...outputs];
    this.arena.run(args, ([s, cf, cc, cw, rf, rc, rw, ...staged]) =>
      this.check(call([s, width, height, channels, cf, cc, cw, cols.stride, cols.first.length, rf, rc, rw, rows.stride, rows.first.length], staged)),
    );
  }
}
