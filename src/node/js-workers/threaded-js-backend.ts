/**
 * The js backend with its convolutions spread over worker threads
 * (worker_threads + SharedArrayBuffer): what `alexnet bench --backend js
 * --threads N` measures. Internal, not exported by the package.
 * The core's JsBackend stays single-threaded and browser-safe; this wrapper
 * delegates every kernel to it and only splits conv2dForward, by far the
 * largest cost of AlexNet's forward pass, into shares (see conv-split.ts).
 * The calling thread computes share 0 and blocks (Atomics.wait) until the
 * workers finish theirs, so the kernel stays synchronous like every other.
 *
 * The job's arrays are copied into a shared arena (the tensors' own buffers
 * are not shared): O(input + weight + output) per call against
 * O(output · C·kH·kW) of arithmetic.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../workers/start-worker.js';
import type { Conv2dGeometry } from '../../backend/backend.js';
import { JsBackend } from '../../backend/js/index.js';
import { conv2dForwardShare } from './conv-split.js';
import { CTRL, CTRL_WORDS, JOB, writeGeometry, type WorkerInit } from './protocol.js';

/** Smaller convolutions (multiply-adds) run on the calling thread alone: waking workers costs more. */
const MIN_PARALLEL_MACS = 4_000_000;
/** The arena reserves this much address space and grows into it on demand. */
const ARENA_MAX_BYTES = 2 ** 31;

/** A growable SharedArrayBuffer (ES2024, in Node ≥ 20); typed here because the project compiles against ES2022. */
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(byteLength: number): void;
}
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => GrowableSharedArrayBuffer;

export interface ThreadedJsBackendOptions {
  /** Threads computing each convolution, the calling one included (≥ 2). */
  threads: number;
}

export class ThreadedJsBackend extends JsBackend {
  readonly threads: number;
  private readonly workers: Worker[];
  private readonly ctrl: Int32Array;
  private readonly arenaBuffer: GrowableSharedArrayBuffer;
  private readonly arena: Float32Array;
  private closed = false;
  /**
   * Why the workers can no longer share the work (one exited: terminated, out of memory, process.exit in it), or null.
   * A call waiting for a worker that is gone would wait for ever (Atomics.wait): the convolutions that follow run on
   * the calling thread instead. Set by the workers' 'exit' events, so between calls: a worker lost in the middle of a
   * call is not detected while the calling thread waits.
   */
  private lost: string | null = null;

  private constructor(threads: number, workers: Worker[], ctrl: Int32Array, arenaBuffer: GrowableSharedArrayBuffer) {
    super();
    this.threads = threads;
    this.workers = workers;
    this.ctrl = ctrl;
    this.arenaBuffer = arenaBuffer;
    this.arena = new Float32Array(arenaBuffer);
    for (const [i, worker] of workers.entries()) {
      worker.once('exit', (code) => {
        if (!this.closed) this.lost ??= `worker ${i + 1} exited (code ${code})`;
      });
    }
  }

  /** Why the convolutions run on the calling thread alone although threads were asked for, or null while the workers share them. */
  get workersLost(): string | null {
    return this.lost;
  }

  /** Starts `threads − 1` workers and resolves once they are ready. */
  static async create({ threads }: ThreadedJsBackendOptions): Promise<ThreadedJsBackend> {
    if (!Number.isInteger(threads) || threads < 2) throw new Error(`threaded js backend: threads must be an integer ≥ 2, got ${threads}`);
    const ctrlBuffer = new SharedArrayBuffer(CTRL_WORDS * 4);
    const arenaBuffer = new GrowableSharedArrayBuffer(0, { maxByteLength: ARENA_MAX_BYTES });
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from(
          { length: threads - 1 },
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              const init: WorkerInit = { ctrl: ctrlBuffer, arena: arenaBuffer, index: i + 1, threads };
              const worker = startWorker(import.meta.url, 'worker', init);
              workers.push(worker);
              // The worker says 'ready' just before it first waits for a job; no job may be published earlier.
              worker.once('message', () => {
                // Idle workers must not keep the program alive; until ready, the pending start must.
                worker.unref();
                resolve();
              });
              worker.once('error', reject);
              worker.once('exit', (code) => reject(new Error(`threaded js backend: a worker exited (code ${code}) before it was ready`)));
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new ThreadedJsBackend(threads, workers, new Int32Array(ctrlBuffer), arenaBuffer);
  }

  override conv2dForward(g: Conv2dGeometry, x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, fuseRelu: boolean): void {
    const macs = out.length * (g.inChannels / g.groups) * g.kernelH * g.kernelW;
    const floats = x.length + w.length + (bias?.length ?? 0) + out.length;
    if (this.closed || this.lost !== null || macs < MIN_PARALLEL_MACS || floats * 4 > ARENA_MAX_BYTES) {
      super.conv2dForward(g, x, w, bias, out, fuseRelu);
      return;
    }
    if (this.arenaBuffer.byteLength < floats * 4) this.arenaBuffer.grow(floats * 4);
    const ctrl = this.ctrl;
    let offset = 0;
    const place = (data: Float32Array | null, word: number): Float32Array | null => {
      if (data === null) {
        ctrl[word] = -1;
        return null;
      }
      ctrl[word] = offset;
      const view = this.arena.subarray(offset, offset + data.length);
      view.set(data);
      offset += data.length;
      return view;
    };
    const sx = place(x, CTRL.X)!;
    const sw = place(w, CTRL.W)!;
    const sb = place(bias, CTRL.BIAS);
    ctrl[CTRL.OUT] = offset;
    const so = this.arena.subarray(offset, offset + out.length);
    writeGeometry(ctrl, g);
    ctrl[CTRL.FUSE_RELU] = fuseRelu ? 1 : 0;
    this.run(JOB.CONV2D_FORWARD, () => conv2dForwardShare(g, sx, sw, sb, so, fuseRelu, 0, this.threads));
    out.set(so);
  }

  /** Publishes the job in the control words, computes share 0 here, waits for the workers. */
  private run(kind: number, ownShare: () => void): void {
    const ctrl = this.ctrl;
    Atomics.store(ctrl, CTRL.DONE, 0);
    Atomics.store(ctrl, CTRL.FAILED, 0);
    Atomics.store(ctrl, CTRL.KIND, kind);
    Atomics.add(ctrl, CTRL.SEQ, 1);
    Atomics.notify(ctrl, CTRL.SEQ);
    let error: unknown = null;
    try {
      ownShare();
    } catch (e) {
      error = e;
    }
    const others = this.threads - 1;
    for (let done = Atomics.load(ctrl, CTRL.DONE); done < others; done = Atomics.load(ctrl, CTRL.DONE)) {
      Atomics.wait(ctrl, CTRL.DONE, done);
    }
    if (error !== null) throw error;
    if (Atomics.load(ctrl, CTRL.FAILED) !== 0) throw new Error('threaded js backend: a worker failed while computing its share of a convolution');
  }

  /** Stops the workers; later kernels run on the calling thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.KIND, JOB.EXIT);
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
