/**
 * How JavaScript arrays reach the wasm kernels. The kernels can only read the
 * module's own memory, so each call copies its inputs into one block of it,
 * runs, and copies its outputs back. The block is kept between calls and
 * grown when a call needs more, so steady-state inference allocates nothing.
 * (Weights do not travel this way at inference: they are packed once and
 * stay in wasm memory; see wasm-backend.ts.)
 */
import type { WasmModule } from './wasm-module.js';

export type HostArray = Float32Array | Int32Array | Uint32Array | Uint8Array;

/** One argument of a call: an array to place in wasm memory, and which way it travels. */
export interface Staged {
  data: HostArray | null;
  /** Copied in before the call (inputs; outputs the kernel accumulates into). */
  in: boolean;
  /** Copied back after the call (outputs). */
  out: boolean;
}

export const input = (data: HostArray | null): Staged => ({ data, in: true, out: false });
export const output = (data: HostArray | null): Staged => ({ data, in: false, out: true });
export const inOut = (data: HostArray | null): Staged => ({ data, in: true, out: true });

const ALIGN = 64;
const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export class CallArena {
  private base = 0;
  private capacity = 0;

  constructor(
    private readonly module: WasmModule,
    private readonly memory: () => ArrayBufferLike,
  ) {}

  /**
   * Places `args` in wasm memory (null stays the null pointer), runs `kernel` with their addresses and copies
   * the outputs back. The kernel's own result is returned.
   */
  run<R>(args: readonly Staged[], kernel: (ptrs: number[]) => R): R {
    let total = 0;
    for (const a of args) if (a.data !== null) total += alignUp(a.data.byteLength);
    this.reserve(total);
    const ptrs: number[] = [];
    let at = this.base;
    let heap = new Uint8Array(this.memory());
    for (const a of args) {
      if (a.data === null) {
        ptrs.push(0);
        continue;
      }
      ptrs.push(at);
      if (a.in) heap.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), at);
      at += alignUp(a.data.byteLength);
    }
    let result: R;
    try {
      result = kernel(ptrs);
    } catch (error) {
      // The exports catch C++ exceptions themselves (native/wasm/exports.cc); anything else that escapes (a
      // WebAssembly.Exception or a trap) is no Error a page could show: say what it means.
      if (error instanceof Error) throw error;
      throw new Error(`wasm backend: a kernel failed inside WebAssembly (out of memory, most likely): ${String(error)}`);
    }
    // The kernel may have grown the memory, which replaces its buffer.
    heap = new Uint8Array(this.memory());
    args.forEach((a, i) => {
      if (a.out && a.data !== null)
        new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength).set(heap.subarray(ptrs[i], ptrs[i] + a.data.byteLength));
    });
    return result;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.capacity) return;
    if (this.base !== 0) this.module._alx_free(this.base);
    // Grow by half again, so that a run of slightly larger calls does not reallocate each time.
    const capacity = Math.max(bytes, Math.ceil(this.capacity * 1.5));
    // wasm returns addresses as signed i32: above 2 GiB they come back negative unless read as unsigned.
    this.base = this.module._alx_malloc(capacity) >>> 0;
    if (this.base === 0) {
      this.capacity = 0;
      throw new Error(`wasm backend: out of WebAssembly memory (asked for ${(capacity / 2 ** 20).toFixed(1)} MiB of staging space)`);
    }
    this.capacity = capacity;
  }
}
